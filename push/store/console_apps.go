package store

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"time"
)

// Applications as the console manages them: a new API key (rotation), and
// revocation, which also replaces the key's hash by one of no key at all.

// AppRow is an application (relying party) as the console lists it.
type AppRow struct {
	Name       string
	WebhookURL string
	Created    time.Time
	Revoked    time.Time // zero while in use
}

// Apps lists the applications by name.
func (s *Store) Apps() ([]AppRow, error) {
	rows, err := s.query(`SELECT name, webhook_url, created, revoked FROM relying_parties ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing applications: %w", err)
	}
	defer rows.Close()
	var out []AppRow
	for rows.Next() {
		var a AppRow
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&a.Name, &a.WebhookURL, &created, &revoked); err != nil {
			return nil, fmt.Errorf("listing applications: %w", err)
		}
		a.Created, a.Revoked = time.Unix(created, 0), fromUnix(revoked)
		out = append(out, a)
	}
	return out, rows.Err()
}

// RotateRelyingPartyKey gives an application that is not revoked a new API
// key hash: the old key stops working. ErrNotFound if there is no such
// application in use.
func (s *Store) RotateRelyingPartyKey(name string, keyHash []byte) error {
	res, err := s.exec(`UPDATE relying_parties SET key_hash = ? WHERE name = ? AND revoked IS NULL`, keyHash, name)
	if err != nil {
		return fmt.Errorf("rotating the key of %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("application %q in use: %w", name, ErrNotFound)
	}
	return nil
}

// RevokeRelyingParty ends an application: it is marked revoked, its API
// key hash becomes the hash of a random value nobody holds (the key checks
// find it no more), and its Duo credentials are erased. ErrNotFound if
// there is no such application in use.
func (s *Store) RevokeRelyingParty(name string, randomValue []byte, now time.Time) error {
	hash := sha256.Sum256(randomValue)
	res, err := s.exec(`UPDATE relying_parties SET revoked = ?, key_hash = ?, ikey = NULL, sealed_skey = NULL WHERE name = ? AND revoked IS NULL`, now.Unix(), hash[:], name)
	if err != nil {
		return fmt.Errorf("revoking application %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("application %q in use: %w", name, ErrNotFound)
	}
	return nil
}

// BypassCode is a one-time code an administrator gave a user, kept as a hash.
type BypassCode struct {
	User      string
	CodeHash  []byte
	Created   time.Time
	Expires   time.Time
	CreatedBy string
}

// AddBypassCode stores a user's new bypass code; the user's codes not used
// yet end (one valid code at a time, also when two are made at once).
func (s *Store) AddBypassCode(c BypassCode) error {
	defer s.lockWrites()()
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("storing a bypass code of %q: %w", c.User, err)
	}
	defer tx.Rollback()
	if err := lockUser(tx, c.User); err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM bypass_codes WHERE user = ? AND used IS NULL`, c.User); err != nil {
		return fmt.Errorf("ending the earlier bypass codes of %q: %w", c.User, err)
	}
	_, err = tx.Exec(`INSERT INTO bypass_codes (user, code_hash, created, expires, created_by) VALUES (?, ?, ?, ?, ?)`,
		c.User, c.CodeHash, c.Created.Unix(), c.Expires.Unix(), c.CreatedBy)
	if err != nil {
		return fmt.Errorf("storing a bypass code of %q: %w", c.User, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storing a bypass code of %q: %w", c.User, err)
	}
	return nil
}

// UseBypassCode spends a user's bypass code whose hash is codeHash, if it
// is unused and unexpired at now, in one conditional UPDATE: two racing
// uses cannot both succeed. It reports whether it did.
func (s *Store) UseBypassCode(user string, codeHash []byte, now time.Time) (bool, error) {
	res, err := s.exec(`UPDATE bypass_codes SET used = ? WHERE user = ? AND code_hash = ? AND used IS NULL AND expires > ?`, now.Unix(), user, codeHash, now.Unix())
	if err != nil {
		return false, fmt.Errorf("using a bypass code of %q: %w", user, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SpendConsoleApproval uses up an approved request of relying party rp
// whose subject is subject: the subject becomes spent, in one conditional
// UPDATE, so an approval carries out one change once, even when two calls
// race or arrive at two server processes. It reports whether this call
// spent it.
func (s *Store) SpendConsoleApproval(id, rp, subject, spent string) (bool, error) {
	res, err := s.exec(`UPDATE auth_requests SET subject = ? WHERE id = ? AND rp = ? AND subject = ? AND status = 'approved'`, spent, id, rp, subject)
	if err != nil {
		return false, fmt.Errorf("spending the approval %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
