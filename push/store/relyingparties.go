package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RelyingParty is an application that asks Countersign for a second factor.
type RelyingParty struct {
	Name       string
	KeyHash    []byte
	WebhookURL string
	// SealedWebhookSecret is the key of the webhook's HMAC, sealed with the
	// server's seal key (it must be usable, so it cannot be a hash).
	SealedWebhookSecret []byte
	// ClearWebhookSecret is a secret stored in clear before schema 3; the
	// server seals it when it opens the database (SealWebhookSecret).
	ClearWebhookSecret string
	Created            time.Time
	// IKey is the integration key of Duo's Auth API (public, unique);
	// empty for a relying party added before schema 5 until the server
	// gives it one (see duo.go).
	IKey string
	// SealedSKey is the integration's secret key, sealed with the server's
	// seal key (it must be usable to verify signatures, so it cannot be a
	// hash).
	SealedSKey []byte
	// ApproveOnly: its push requests ask for an approval without number
	// matching (weaker: see the README).
	ApproveOnly bool
}

const rpColumns = `name, key_hash, webhook_url, webhook_secret, sealed_webhook_secret, created, COALESCE(ikey, ''), sealed_skey, approve_only`

func scanRP(scan func(...any) error) (RelyingParty, error) {
	var rp RelyingParty
	var created int64
	err := scan(&rp.Name, &rp.KeyHash, &rp.WebhookURL, &rp.ClearWebhookSecret, &rp.SealedWebhookSecret, &created, &rp.IKey, &rp.SealedSKey, &rp.ApproveOnly)
	if errors.Is(err, sql.ErrNoRows) {
		return RelyingParty{}, ErrNotFound
	}
	rp.Created = time.Unix(created, 0)
	return rp, err
}

// AddRelyingParty stores a relying party; ErrExists if the name (or the
// integration key) is taken.
func (s *Store) AddRelyingParty(rp RelyingParty) error {
	_, err := s.exec(`INSERT INTO relying_parties (name, key_hash, webhook_url, sealed_webhook_secret, created, ikey, sealed_skey, approve_only) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		rp.Name, rp.KeyHash, rp.WebhookURL, rp.SealedWebhookSecret, rp.Created.Unix(), nullIfEmpty(rp.IKey), rp.SealedSKey, rp.ApproveOnly)
	if isUnique(err) {
		return fmt.Errorf("relying party %q: %w", rp.Name, ErrExists)
	}
	return err
}

// SealWebhookSecret stores a relying party's webhook secret sealed, and
// erases its clear copy.
func (s *Store) SealWebhookSecret(name string, sealed []byte) error {
	_, err := s.exec(`UPDATE relying_parties SET sealed_webhook_secret = ?, webhook_secret = '' WHERE name = ?`, sealed, name)
	if err != nil {
		return fmt.Errorf("sealing the webhook secret of %s: %w", name, err)
	}
	return nil
}

// RelyingParty returns the relying party with this name, or ErrNotFound.
func (s *Store) RelyingParty(name string) (RelyingParty, error) {
	return scanRP(s.queryRow(`SELECT `+rpColumns+` FROM relying_parties WHERE name = ?`, name).Scan)
}

// RelyingPartyByKeyHash returns the relying party with this API key hash, or ErrNotFound.
func (s *Store) RelyingPartyByKeyHash(hash []byte) (RelyingParty, error) {
	return scanRP(s.queryRow(`SELECT `+rpColumns+` FROM relying_parties WHERE key_hash = ?`, hash).Scan)
}

// RelyingParties lists every relying party (with key hashes, for checking keys).
func (s *Store) RelyingParties() ([]RelyingParty, error) {
	rows, err := s.query(`SELECT ` + rpColumns + ` FROM relying_parties ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RelyingParty
	for rows.Next() {
		rp, err := scanRP(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, rp)
	}
	return out, rows.Err()
}
