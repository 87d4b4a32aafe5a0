package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User is a person who signs in with Countersign.
type User struct {
	Name       string
	Blocked    bool
	RequireMFA bool
	// SealedSeed is the user's former shared TOTP seed (schema 1 and 2),
	// kept only until every device has its own; empty afterwards.
	SealedSeed []byte
	Created    time.Time
	// Phone is the user's phone number in E.164 ("+14155550123"), or empty.
	Phone string
	// DefaultMethod is the method a request with method auto uses; empty:
	// push when the user has an active device, else the first phone method.
	DefaultMethod string
}

// AddUser creates a user; ErrExists if the name is taken.
func (s *Store) AddUser(u User) error {
	if u.SealedSeed == nil {
		u.SealedSeed = []byte{}
	}
	_, err := s.exec(`INSERT INTO users (name, blocked, require_mfa, sealed_seed, created) VALUES (?, ?, ?, ?, ?)`,
		u.Name, u.Blocked, u.RequireMFA, u.SealedSeed, u.Created.Unix())
	if isUnique(err) {
		return fmt.Errorf("user %q: %w", u.Name, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("adding user %q: %w", u.Name, err)
	}
	_, err = s.exec(`INSERT INTO otp_state (user) VALUES (?)`, u.Name)
	return err
}

// User returns the user with this name, or ErrNotFound.
func (s *Store) User(name string) (User, error) {
	u := User{Name: name}
	var created int64
	err := s.queryRow(`SELECT blocked, require_mfa, sealed_seed, created, phone, default_method FROM users WHERE name = ?`, name).
		Scan(&u.Blocked, &u.RequireMFA, &u.SealedSeed, &created, &u.Phone, &u.DefaultMethod)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("reading user %q: %w", name, err)
	}
	u.Created = time.Unix(created, 0)
	return u, nil
}

// Users lists every user by name.
func (s *Store) Users() ([]User, error) {
	rows, err := s.query(`SELECT name, blocked, require_mfa, created, phone, default_method FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var created int64
		if err := rows.Scan(&u.Name, &u.Blocked, &u.RequireMFA, &created, &u.Phone, &u.DefaultMethod); err != nil {
			return nil, err
		}
		u.Created = time.Unix(created, 0)
		out = append(out, u)
	}
	return out, rows.Err()
}

// UsersWithSharedSeed lists the users that still hold a former shared seed.
func (s *Store) UsersWithSharedSeed() ([]User, error) {
	rows, err := s.query(`SELECT name, sealed_seed FROM users WHERE length(sealed_seed) > 0 ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.Name, &u.SealedSeed); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// GiveDevicesOwnSeeds moves a user off the former shared seed: each device
// without a seed of its own gets the one sealed for it in sealed (by device
// id), and the user's shared seed is erased, in one transaction.
func (s *Store) GiveDevicesOwnSeeds(user string, sealed map[string][]byte) error {
	defer s.lockWrites()()
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for id, seed := range sealed {
		if _, err := tx.Exec(`UPDATE devices SET sealed_seed = ? WHERE id = ? AND user = ? AND sealed_seed IS NULL`, seed, id, user); err != nil {
			return fmt.Errorf("giving device %s its seed: %w", id, err)
		}
	}
	if _, err := tx.Exec(`UPDATE users SET sealed_seed = X'' WHERE name = ?`, user); err != nil {
		return err
	}
	return tx.Commit()
}

// SetBlocked blocks or unblocks a user. Unblocking also clears the count of
// failed one-time codes.
func (s *Store) SetBlocked(name string, blocked bool) error {
	res, err := s.exec(`UPDATE users SET blocked = ? WHERE name = ?`, blocked, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	if !blocked {
		_, err = s.exec(`UPDATE otp_state SET failures = 0 WHERE user = ?`, name)
	}
	return err
}
