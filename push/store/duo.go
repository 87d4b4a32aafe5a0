package store

import (
	"fmt"
)

// schemaDuo gives relying parties the credentials of Duo's Auth API: an
// integration key (public, unique) and its secret key, sealed with the
// server's seal key (it must be usable to verify signatures, so it cannot
// be a hash), and whether the integration's pushes ask for approval only,
// without number matching. A request remembers whether it was made so:
// the device shows it, and the server accepts an approval without a
// number for it only.
const schemaDuo = `ALTER TABLE relying_parties ADD COLUMN ikey TEXT;
	ALTER TABLE relying_parties ADD COLUMN sealed_skey BLOB;
	ALTER TABLE relying_parties ADD COLUMN approve_only INTEGER NOT NULL DEFAULT 0;
	CREATE UNIQUE INDEX relying_parties_ikey ON relying_parties(ikey);
	ALTER TABLE auth_requests ADD COLUMN approve_only INTEGER NOT NULL DEFAULT 0;`

// nullIfEmpty stores an empty text as NULL, so that a unique index allows
// many rows without one.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// RelyingPartyByIKey returns the relying party with this Duo integration
// key, or ErrNotFound.
func (s *Store) RelyingPartyByIKey(ikey string) (RelyingParty, error) {
	if ikey == "" {
		return RelyingParty{}, ErrNotFound
	}
	rp, err := scanRP(s.queryRow(`SELECT `+rpColumns+` FROM relying_parties WHERE ikey = ?`, ikey).Scan)
	if err != nil {
		return rp, fmt.Errorf("integration key %q: %w", ikey, err)
	}
	return rp, nil
}

// SetDuoKeys gives a relying party its Duo integration key and sealed
// secret key (relying parties made before schema 5); ErrExists if another
// has the integration key.
func (s *Store) SetDuoKeys(name, ikey string, sealedSKey []byte) error {
	res, err := s.exec(`UPDATE relying_parties SET ikey = ?, sealed_skey = ? WHERE name = ?`, ikey, sealedSKey, name)
	if isUnique(err) {
		return fmt.Errorf("integration key of %s: %w", name, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("storing the integration key of %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("relying party %q: %w", name, ErrNotFound)
	}
	return nil
}

// ActivationByCodeHash returns the activation whose code has this SHA-256
// (Duo's enroll_status names an activation by its code), or ErrNotFound.
func (s *Store) ActivationByCodeHash(hash []byte) (Activation, error) {
	return s.activation(`code_hash = ?`, hash)
}
