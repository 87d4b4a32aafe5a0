package store

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Activation is a single-use activation code, stored by its hash.
type Activation struct {
	CodeHash []byte
	User     string
	// Token names the enrollment page of this activation. It is given to
	// AddActivation and ActivationByToken in clear; only its SHA-256 is
	// stored, so it is empty in what the store returns.
	Token string
	// SealedToken is the token sealed with the server's seal key, so the
	// server can point a user back at a page it already made.
	SealedToken []byte
	Created     time.Time
	Expires     time.Time
	Used        time.Time
	DeviceID    string
	// SealedURI is the activation URI (or, once spent by another
	// authenticator app, its otpauth:// URI), encrypted with the server's
	// seal key, for the enrollment page to show as a QR code.
	SealedURI []byte
	// ApprovedBy is "admin" for an activation an administrator made: its
	// device joins at once. Otherwise a device joining a user who already
	// has one waits for an approval from one of those.
	ApprovedBy string
}

// tokenHash is how an enrollment token is stored.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// hashActivationTokens replaces the enrollment tokens stored in clear
// before schema 3 by their hashes.
func hashActivationTokens(tx *sql.Tx) error {
	rows, err := tx.Query(`SELECT token FROM activations WHERE token NOT LIKE 'sha256:%'`)
	if err != nil {
		return err
	}
	var tokens []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tokens = append(tokens, t)
	}
	rows.Close()
	for _, t := range tokens {
		if _, err := tx.Exec(`UPDATE activations SET token = ? WHERE token = ?`, tokenHash(t), t); err != nil {
			return fmt.Errorf("hashing an enrollment token: %w", err)
		}
	}
	return rows.Err()
}

// AddActivation stores a new activation code (its token as a hash).
func (s *Store) AddActivation(a Activation) error {
	_, err := s.exec(`INSERT INTO activations (code_hash, user, token, sealed_token, created, expires, sealed_uri, approved_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.CodeHash, a.User, tokenHash(a.Token), a.SealedToken, a.Created.Unix(), a.Expires.Unix(), a.SealedURI, a.ApprovedBy)
	if err != nil {
		return fmt.Errorf("storing the activation: %w", err)
	}
	return nil
}

// OpenActivation returns the user's most recent activation that is unused,
// made without an administrator (one that needs approval to add a device),
// and unexpired at now, or ErrNotFound.
func (s *Store) OpenActivation(user string, now time.Time) (Activation, error) {
	a, err := s.activation(`user = ? AND used IS NULL AND approved_by = '' AND expires > ? ORDER BY created DESC LIMIT 1`, user, now.Unix())
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Activation{}, fmt.Errorf("looking for an open activation of %q: %w", user, err)
	}
	return a, err
}

// ActivationByToken returns the activation of an enrollment page.
func (s *Store) ActivationByToken(token string) (Activation, error) {
	return s.activation(`token = ?`, tokenHash(token))
}

func (s *Store) activation(where string, args ...any) (Activation, error) {
	var a Activation
	var created, expires int64
	var used sql.NullInt64
	var device sql.NullString
	err := s.queryRow(`SELECT code_hash, user, sealed_token, created, expires, used, device_id, sealed_uri, approved_by FROM activations WHERE `+where, args...).
		Scan(&a.CodeHash, &a.User, &a.SealedToken, &created, &expires, &used, &device, &a.SealedURI, &a.ApprovedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return Activation{}, ErrNotFound
	}
	a.Created, a.Expires, a.Used, a.DeviceID = time.Unix(created, 0), time.Unix(expires, 0), fromUnix(used), device.String
	return a, err
}

// SetActivationURI replaces the sealed URI of a spent activation (the
// otpauth:// URI of the authenticator app that spent it).
func (s *Store) SetActivationURI(token string, sealed []byte) error {
	_, err := s.exec(`UPDATE activations SET sealed_uri = ? WHERE token = ?`, sealed, tokenHash(token))
	return err
}

// Errors of SpendActivation.
var (
	ErrActivationUsed    = errors.New("this activation code was already used")
	ErrActivationExpired = errors.New("this activation code has expired")
	ErrUserBlocked       = errors.New("the user is blocked")
)

// SpendActivation uses the activation code with this hash to bind device d
// (whose ID, Name, Kind, PublicKey and SealedSeed are set) to the code's
// user, atomically: the code must be unused and unexpired, the user not
// blocked, and only one caller can spend it. The device is Pending when the
// user already has an active device and no administrator made the code.
func (s *Store) SpendActivation(codeHash []byte, d Device, now time.Time) (Device, error) {
	defer s.lockWrites()()
	tx, err := s.db.Begin()
	if err != nil {
		return Device{}, err
	}
	defer tx.Rollback()
	var user, approvedBy string
	err = tx.QueryRow(`UPDATE activations SET used = ?, device_id = ? WHERE code_hash = ? AND used IS NULL AND expires > ?
		AND (SELECT blocked FROM users WHERE name = activations.user) = 0 RETURNING user, approved_by`,
		now.Unix(), d.ID, codeHash, now.Unix()).Scan(&user, &approvedBy)
	if errors.Is(err, sql.ErrNoRows) {
		// Why not: asked inside the transaction, which holds this connection
		// (another one might never come: the pool is small).
		var used, expires int64
		var blocked bool
		switch err := tx.QueryRow(`SELECT COALESCE(used, 0), expires, (SELECT blocked FROM users WHERE name = activations.user) FROM activations WHERE code_hash = ?`, codeHash).Scan(&used, &expires, &blocked); {
		case err != nil:
			return Device{}, ErrNotFound
		case used != 0:
			return Device{}, ErrActivationUsed
		case expires <= now.Unix():
			return Device{}, ErrActivationExpired
		default:
			return Device{}, ErrUserBlocked
		}
	}
	if err != nil {
		return Device{}, err
	}
	if d.Kind == "" {
		d.Kind = KindApp
	}
	d.User, d.Created = user, now
	if err := lockUser(tx, user); err != nil {
		return Device{}, err
	}
	if approvedBy == "" {
		var others int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM devices WHERE user = ? AND revoked IS NULL AND pending = 0`, user).Scan(&others); err != nil {
			return Device{}, err
		}
		d.Pending = others > 0
	}
	if _, err := tx.Exec(`INSERT INTO devices (id, user, name, kind, public_key, sealed_seed, pending, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.User, d.Name, d.Kind, d.PublicKey, d.SealedSeed, d.Pending, d.Created.Unix()); err != nil {
		return Device{}, err
	}
	return d, tx.Commit()
}

// HadActivation reports whether an activation was ever made for user.
func (s *Store) HadActivation(user string) (bool, error) {
	var n int
	err := s.queryRow(`SELECT COUNT(*) FROM activations WHERE user = ?`, user).Scan(&n)
	return n > 0, err
}
