package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/countersign/countersign/push"
)

// Creating a sign-in request reads what the store knows of the user, and
// answering one writes the decision: under load these run thousands of
// times a second, and each statement is a round trip to PostgreSQL and a
// walk of SQLite's pages, so each is folded into as few statements as
// possible.

// UserAndDevices returns a user and their devices, oldest first, in one
// statement; ErrNotFound when there is no such user.
func (s *Store) UserAndDevices(name string) (User, []Device, error) {
	rows, err := s.query(`SELECT u.blocked, u.require_mfa, u.sealed_seed, u.created, u.phone, u.default_method,
		d.id, d.user, d.name, d.kind, d.public_key, d.sealed_seed, d.pending, d.created, d.revoked
		FROM users u LEFT JOIN devices d ON d.user = u.name
		WHERE u.name = ? ORDER BY d.created, d.rowid`, name)
	if err != nil {
		return User{}, nil, fmt.Errorf("reading user %q: %w", name, err)
	}
	defer rows.Close()
	u := User{Name: name}
	var devices []Device
	found := false
	for rows.Next() {
		var created int64
		var id, user, dname, kind sql.NullString
		var pending sql.NullBool
		var dcreated, revoked sql.NullInt64
		var key, seed []byte
		if err := rows.Scan(&u.Blocked, &u.RequireMFA, &u.SealedSeed, &created, &u.Phone, &u.DefaultMethod,
			&id, &user, &dname, &kind, &key, &seed, &pending, &dcreated, &revoked); err != nil {
			return User{}, nil, fmt.Errorf("reading user %q: %w", name, err)
		}
		found = true
		u.Created = time.Unix(created, 0)
		if id.Valid {
			devices = append(devices, Device{ID: id.String, User: user.String, Name: dname.String, Kind: kind.String,
				PublicKey: key, SealedSeed: seed, Pending: pending.Bool, Created: time.Unix(dcreated.Int64, 0), Revoked: fromUnix(revoked)})
		}
	}
	if err := rows.Err(); err != nil {
		return User{}, nil, fmt.Errorf("reading user %q: %w", name, err)
	}
	if !found {
		return User{}, nil, fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	return u, devices, nil
}

// DeviceDecision is the outcome of DecideAnswer.
type DeviceDecision struct {
	// Won: this answer decided the request.
	Won bool
	// Status and Reason are what was stored: an approval of a user blocked
	// since the request was made is stored denied, reason user_blocked.
	Status push.Status
	Reason string
}

// DecideAnswer stores a device's answer to a pending, unexpired request in
// one conditional statement, which also checks, at the moment of the
// write, that the device is active and the request's user's, and turns an
// approval of a blocked user into a denial. Like Decide, of racing answers
// (from one server or several) one wins.
func (s *Store) DecideAnswer(id, deviceID string, status push.Status, reason string, now time.Time) (DeviceDecision, error) {
	d := DeviceDecision{}
	err := s.writeRow(`UPDATE auth_requests SET
		status = CASE WHEN ? = 'approved' AND COALESCE((SELECT blocked FROM users WHERE name = auth_requests.user), 1) <> 0 THEN 'denied' ELSE ? END,
		reason = CASE WHEN ? = 'approved' AND COALESCE((SELECT blocked FROM users WHERE name = auth_requests.user), 1) <> 0 THEN 'user_blocked' ELSE ? END,
		decided = ?, decided_by = ?
		WHERE id = ? AND status = 'pending' AND expires > ?
		AND EXISTS (SELECT 1 FROM devices WHERE id = ? AND user = auth_requests.user AND revoked IS NULL AND pending = 0)
		RETURNING status, reason`,
		[]any{status, status, status, reason, now.Unix(), deviceID, id, now.Unix(), deviceID}, &d.Status, &d.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return DeviceDecision{}, nil
	}
	if err != nil {
		return DeviceDecision{}, fmt.Errorf("deciding request %s: %w", id, err)
	}
	d.Won = true
	return d, nil
}
