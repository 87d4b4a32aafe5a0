package store

import (
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// schemaConsole adds the administrators of the web console (each is also a
// user, with an Argon2id password hash), their sessions (kept as hashes of
// the cookie), one-time bypass codes, revocation of applications, and the
// indexes the console's pages read by: a user's audit events, and the
// requests a device answered (its last answer).
const schemaConsole = `CREATE TABLE admins (
		name          TEXT PRIMARY KEY REFERENCES users(name),
		password_hash TEXT NOT NULL,
		created       INTEGER NOT NULL
	);
	CREATE TABLE admin_sessions (
		id_hash    BLOB PRIMARY KEY,
		admin      TEXT NOT NULL REFERENCES admins(name) ON DELETE CASCADE,
		csrf       TEXT NOT NULL,
		created    INTEGER NOT NULL,
		last_seen  INTEGER NOT NULL
	);
	CREATE INDEX admin_sessions_admin ON admin_sessions(admin);
	CREATE TABLE bypass_codes (
		user       TEXT NOT NULL REFERENCES users(name),
		code_hash  BLOB NOT NULL,
		created    INTEGER NOT NULL,
		expires    INTEGER NOT NULL,
		created_by TEXT NOT NULL,
		used       INTEGER,
		PRIMARY KEY (user, code_hash)
	);
	ALTER TABLE relying_parties ADD COLUMN revoked INTEGER;
	CREATE INDEX audit_user ON audit(user, id);
	CREATE INDEX auth_requests_decided_by ON auth_requests(decided_by, decided);`

// Admin is an administrator of the web console.
type Admin struct {
	Name string
	// PasswordHash is the Argon2id hash in PHC string format.
	PasswordHash string
	Created      time.Time
}

// AddAdmin makes an existing user an administrator; ErrExists if they are
// one already, ErrNotFound if there is no such user.
func (s *Store) AddAdmin(a Admin) error {
	_, err := s.exec(`INSERT INTO admins (name, password_hash, created) VALUES (?, ?, ?)`, a.Name, a.PasswordHash, a.Created.Unix())
	if isUnique(err) {
		return fmt.Errorf("administrator %q: %w", a.Name, ErrExists)
	}
	if isForeignKey(err) {
		return fmt.Errorf("user %q: %w", a.Name, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("adding administrator %q: %w", a.Name, err)
	}
	return nil
}

// isForeignKey reports whether err is a FOREIGN KEY violation.
func isForeignKey(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "FOREIGN KEY constraint failed") || pgCode(err) == "23503")
}

// Admin returns the administrator with this name, or ErrNotFound.
func (s *Store) Admin(name string) (Admin, error) {
	a := Admin{Name: name}
	var created int64
	err := s.queryRow(`SELECT password_hash, created FROM admins WHERE name = ?`, name).Scan(&a.PasswordHash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Admin{}, fmt.Errorf("administrator %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Admin{}, fmt.Errorf("reading administrator %q: %w", name, err)
	}
	a.Created = time.Unix(created, 0)
	return a, nil
}

// Admins lists the administrators by name (without their hashes).
func (s *Store) Admins() ([]Admin, error) {
	rows, err := s.query(`SELECT name, created FROM admins ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing administrators: %w", err)
	}
	defer rows.Close()
	var out []Admin
	for rows.Next() {
		var a Admin
		var created int64
		if err := rows.Scan(&a.Name, &created); err != nil {
			return nil, err
		}
		a.Created = time.Unix(created, 0)
		out = append(out, a)
	}
	return out, rows.Err()
}

// RemoveAdmin takes the administrator role (and every console session)
// from a user, who stays a user; ErrNotFound if they are no administrator.
func (s *Store) RemoveAdmin(name string) error {
	res, err := s.exec(`DELETE FROM admins WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("removing administrator %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("administrator %q: %w", name, ErrNotFound)
	}
	return nil
}

// AdminSession is a signed-in console session. Only the SHA-256 of its
// cookie is stored.
type AdminSession struct {
	IDHash   []byte
	Admin    string
	CSRF     string
	Created  time.Time
	LastSeen time.Time
}

// AddAdminSession stores a new session, and forgets every session that
// ended: idle since before idleBefore, or created before createdBefore.
func (s *Store) AddAdminSession(ses AdminSession, idleBefore, createdBefore time.Time) error {
	if _, err := s.exec(`DELETE FROM admin_sessions WHERE last_seen < ? OR created < ?`, idleBefore.Unix(), createdBefore.Unix()); err != nil {
		return fmt.Errorf("forgetting ended console sessions: %w", err)
	}
	_, err := s.exec(`INSERT INTO admin_sessions (id_hash, admin, csrf, created, last_seen) VALUES (?, ?, ?, ?, ?)`,
		ses.IDHash, ses.Admin, ses.CSRF, ses.Created.Unix(), ses.LastSeen.Unix())
	if err != nil {
		return fmt.Errorf("storing the console session of %s: %w", ses.Admin, err)
	}
	return nil
}

// TouchAdminSession returns the session whose cookie hashes to idHash if
// it is still alive (seen at or after idleBefore, created at or after
// createdBefore), and marks it seen now; ErrNotFound otherwise (an ended
// session is forgotten). The hash is looked up by the primary key, then
// compared again in constant time.
func (s *Store) TouchAdminSession(idHash []byte, now, idleBefore, createdBefore time.Time) (AdminSession, error) {
	var ses AdminSession
	var created, seen int64
	err := s.queryRow(`SELECT id_hash, admin, csrf, created, last_seen FROM admin_sessions WHERE id_hash = ?`, idHash).
		Scan(&ses.IDHash, &ses.Admin, &ses.CSRF, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && subtle.ConstantTimeCompare(ses.IDHash, idHash) != 1) {
		return AdminSession{}, fmt.Errorf("console session: %w", ErrNotFound)
	}
	if err != nil {
		return AdminSession{}, fmt.Errorf("reading a console session: %w", err)
	}
	ses.Created, ses.LastSeen = time.Unix(created, 0), time.Unix(seen, 0)
	if ses.LastSeen.Before(idleBefore) || ses.Created.Before(createdBefore) {
		if err := s.EndAdminSession(idHash); err != nil {
			return AdminSession{}, err
		}
		return AdminSession{}, fmt.Errorf("console session: %w", ErrNotFound)
	}
	if _, err := s.exec(`UPDATE admin_sessions SET last_seen = ? WHERE id_hash = ?`, now.Unix(), idHash); err != nil {
		return AdminSession{}, fmt.Errorf("marking a console session seen: %w", err)
	}
	ses.LastSeen = now
	return ses, nil
}

// EndAdminSession forgets a session (signing out).
func (s *Store) EndAdminSession(idHash []byte) error {
	if _, err := s.exec(`DELETE FROM admin_sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("ending a console session: %w", err)
	}
	return nil
}
