package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// schemaShared moves into the database what server processes sharing it
// must agree on: wrong-code counts per client address and self-service
// sessions (kept as hashes of their tokens).
const schemaShared = `CREATE TABLE attempts (
		scope    TEXT NOT NULL,
		subject  TEXT NOT NULL,
		since    INTEGER NOT NULL,
		failures INTEGER NOT NULL,
		PRIMARY KEY (scope, subject)
	);
	CREATE TABLE self_sessions (
		token_hash BLOB PRIMARY KEY,
		user       TEXT NOT NULL,
		device     TEXT NOT NULL,
		expires    INTEGER NOT NULL
	);
	CREATE INDEX self_sessions_user ON self_sessions(user);
	CREATE INDEX self_sessions_device ON self_sessions(device);`

// Attempts returns the failures counted for subject (a client address)
// in scope, and when their window began; zero when there are none.
func (s *Store) Attempts(scope, subject string) (int, time.Time, error) {
	var n int
	var since int64
	err := s.queryRow(`SELECT failures, since FROM attempts WHERE scope = ? AND subject = ?`, scope, subject).Scan(&n, &since)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("reading attempts: %w", err)
	}
	return n, time.Unix(since, 0), nil
}

// AddAttemptFailure counts one failure of subject at now, in one
// statement; a window that began before windowStart starts again.
func (s *Store) AddAttemptFailure(scope, subject string, now, windowStart time.Time) error {
	_, err := s.exec(`INSERT INTO attempts (scope, subject, since, failures) VALUES (?, ?, ?, 1)
		ON CONFLICT (scope, subject) DO UPDATE SET
			failures = CASE WHEN attempts.since <= ? THEN 1 ELSE attempts.failures + 1 END,
			since = CASE WHEN attempts.since <= ? THEN excluded.since ELSE attempts.since END`,
		scope, subject, now.Unix(), windowStart.Unix(), windowStart.Unix())
	if err != nil {
		return fmt.Errorf("counting an attempt: %w", err)
	}
	return nil
}

// PruneAttempts forgets the windows that began before t.
func (s *Store) PruneAttempts(t time.Time) error {
	_, err := s.exec(`DELETE FROM attempts WHERE since < ?`, t.Unix())
	return err
}

// SelfSession is a self-service sign-in.
type SelfSession struct {
	User, Device string
	Expires      time.Time
}

// AddSelfSession stores a session under the hash of its token.
func (s *Store) AddSelfSession(tokenHash []byte, ses SelfSession) error {
	if _, err := s.exec(`INSERT INTO self_sessions (token_hash, user, device, expires) VALUES (?, ?, ?, ?)`, tokenHash, ses.User, ses.Device, ses.Expires.Unix()); err != nil {
		return fmt.Errorf("storing a self-service session: %w", err)
	}
	return nil
}

// SelfSessionByHash returns the session with this token hash, or ErrNotFound.
func (s *Store) SelfSessionByHash(tokenHash []byte) (SelfSession, error) {
	var ses SelfSession
	var expires int64
	err := s.queryRow(`SELECT user, device, expires FROM self_sessions WHERE token_hash = ?`, tokenHash).Scan(&ses.User, &ses.Device, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return ses, ErrNotFound
	}
	if err != nil {
		return ses, fmt.Errorf("reading a self-service session: %w", err)
	}
	ses.Expires = time.Unix(expires, 0)
	return ses, nil
}

// EndSelfSessions ends the sessions of a user (device "") or those opened
// with a device's code (user "").
func (s *Store) EndSelfSessions(user, device string) error {
	var err error
	if device != "" {
		_, err = s.exec(`DELETE FROM self_sessions WHERE device = ?`, device)
	} else {
		_, err = s.exec(`DELETE FROM self_sessions WHERE user = ?`, user)
	}
	if err != nil {
		return fmt.Errorf("ending self-service sessions: %w", err)
	}
	return nil
}

// PruneSelfSessions deletes the sessions that expired before now.
func (s *Store) PruneSelfSessions(now time.Time) error {
	_, err := s.exec(`DELETE FROM self_sessions WHERE expires < ?`, now.Unix())
	return err
}
