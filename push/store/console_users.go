package store

import (
	"fmt"
	"strings"
	"time"
)

// UserRow is a user as the console's list shows them.
type UserRow struct {
	Name          string
	Blocked       bool
	RequireMFA    bool
	ActiveDevices int
}

// UsersPage returns up to limit users whose name contains search (any
// case; empty: all), after the name after, in name order. It walks the
// users' primary key from after and stops at limit, so a page costs the
// same with 100,000 users as with ten (a search that matches few names
// reads more of them).
func (s *Store) UsersPage(search, after string, limit int) ([]UserRow, error) {
	pattern := "%" + likeEscape(search) + "%"
	rows, err := s.query(`SELECT u.name, u.blocked, u.require_mfa,
			(SELECT COUNT(*) FROM devices d WHERE d.user = u.name AND d.revoked IS NULL AND d.pending = 0)
		FROM users u WHERE u.name > ? AND u.name LIKE ? ESCAPE '\' ORDER BY u.name LIMIT ?`, after, pattern, limit)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	defer rows.Close()
	var out []UserRow
	for rows.Next() {
		var u UserRow
		if err := rows.Scan(&u.Name, &u.Blocked, &u.RequireMFA, &u.ActiveDevices); err != nil {
			return nil, fmt.Errorf("listing users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// likeEscape makes text match itself in a LIKE pattern with ESCAPE '\'.
func likeEscape(text string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(text)
}

// UserCounts are the dashboard's numbers of users.
type UserCounts struct {
	Users      int
	RequireMFA int
	Blocked    int
}

// CountUsers counts the users, those who must use a second factor, and the
// blocked ones.
func (s *Store) CountUsers() (UserCounts, error) {
	var c UserCounts
	err := s.queryRow(`SELECT COUNT(*), COALESCE(SUM(require_mfa), 0), COALESCE(SUM(blocked), 0) FROM users`).Scan(&c.Users, &c.RequireMFA, &c.Blocked)
	if err != nil {
		return c, fmt.Errorf("counting users: %w", err)
	}
	return c, nil
}

// SetRequireMFA turns the second factor on or off for a user.
func (s *Store) SetRequireMFA(name string, on bool) error {
	res, err := s.exec(`UPDATE users SET require_mfa = ? WHERE name = ?`, on, name)
	if err != nil {
		return fmt.Errorf("setting require-MFA of %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	return nil
}

// SignInsSince counts the sign-in requests made at or after t, by status
// (pending, approved, denied, fraud, expired), but those of the relying
// party exceptRP.
func (s *Store) SignInsSince(t time.Time, exceptRP string) (map[string]int, error) {
	rows, err := s.query(`SELECT status, COUNT(*) FROM auth_requests WHERE kind = 'sign_in' AND created >= ? AND rp <> ? GROUP BY status`, t.Unix(), exceptRP)
	if err != nil {
		return nil, fmt.Errorf("counting sign-ins: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("counting sign-ins: %w", err)
		}
		out[status] = n
	}
	return out, rows.Err()
}

// DeviceLastAnswer returns when a device last answered a request (zero if
// never).
func (s *Store) DeviceLastAnswer(id string) (time.Time, error) {
	var t *int64
	if err := s.queryRow(`SELECT MAX(decided) FROM auth_requests WHERE decided_by = ?`, id).Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("reading the last answer of device %s: %w", id, err)
	}
	if t == nil {
		return time.Time{}, nil
	}
	return time.Unix(*t, 0), nil
}
