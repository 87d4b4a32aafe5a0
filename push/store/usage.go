package store

import (
	"fmt"
	"time"
)

// The usage report's counts, all read from the audit log (and the users
// table for enabled users). A period is [from, to): from inclusive, to
// exclusive; days are UTC dates.

// AuthenticationCount is how many authentications of one day, application,
// method and result the audit log holds.
type AuthenticationCount struct {
	Day         string // YYYY-MM-DD, UTC
	Application string
	Method      string
	Result      string
	Count       int
}

// TelephonyMessageCount is how many telephony messages of one day, kind (sms or
// voice), country and result the audit log holds.
type TelephonyMessageCount struct {
	Day     string // YYYY-MM-DD, UTC
	Kind    string
	Country string
	Result  string
	Count   int
}

// AuthenticationCounts counts the authentication events of [from, to) by
// day, application, method and result, in that order.
func (s *Store) AuthenticationCounts(from, to time.Time) ([]AuthenticationCount, error) {
	rows, err := s.query(`SELECT strftime('%Y-%m-%d', time, 'unixepoch') AS day, application, method, result, COUNT(*)
		FROM audit WHERE kind = ? AND time >= ? AND time < ?
		GROUP BY day, application, method, result ORDER BY day, application, method, result`,
		AuditAuthentication, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("counting authentications: %w", err)
	}
	defer rows.Close()
	var out []AuthenticationCount
	for rows.Next() {
		var c AuthenticationCount
		if err := rows.Scan(&c.Day, &c.Application, &c.Method, &c.Result, &c.Count); err != nil {
			return nil, fmt.Errorf("counting authentications: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// TelephonyMessageCounts counts the telephony events of [from, to) by day, kind,
// country (the event's detail "country") and result, in that order.
func (s *Store) TelephonyMessageCounts(from, to time.Time) ([]TelephonyMessageCount, error) {
	rows, err := s.query(`SELECT strftime('%Y-%m-%d', time, 'unixepoch') AS day, method, COALESCE(json_extract(detail, '$.country'), '') AS country, result, COUNT(*)
		FROM audit WHERE kind = ? AND time >= ? AND time < ?
		GROUP BY day, method, country, result ORDER BY day, method, country, result`,
		AuditTelephony, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("counting telephony messages: %w", err)
	}
	defer rows.Close()
	var out []TelephonyMessageCount
	for rows.Next() {
		var c TelephonyMessageCount
		if err := rows.Scan(&c.Day, &c.Kind, &c.Country, &c.Result, &c.Count); err != nil {
			return nil, fmt.Errorf("counting telephony messages: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// EnabledUsers counts the users with require-MFA on that existed before
// to. Users are never deleted and require-MFA is set when a user is added,
// so these are exactly the enabled users who existed at some point of any
// period that ends at to.
func (s *Store) EnabledUsers(to time.Time) (int, error) {
	var n int
	if err := s.queryRow(`SELECT COUNT(*) FROM users WHERE require_mfa = 1 AND created < ?`, to.Unix()).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting enabled users: %w", err)
	}
	return n, nil
}

// AuthenticatingUsers counts the users with at least one authentication
// event (any method, any result) in [from, to).
func (s *Store) AuthenticatingUsers(from, to time.Time) (int, error) {
	var n int
	if err := s.queryRow(`SELECT COUNT(DISTINCT user) FROM audit WHERE kind = ? AND time >= ? AND time < ?`,
		AuditAuthentication, from.Unix(), to.Unix()).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the users who authenticated: %w", err)
	}
	return n, nil
}

// HasUsage reports whether the audit log holds any authentication or
// telephony event: usage was counted already.
func (s *Store) HasUsage() (bool, error) {
	var yes bool
	if err := s.queryRow(`SELECT EXISTS(SELECT 1 FROM audit WHERE kind IN (?, ?))`, AuditAuthentication, AuditTelephony).Scan(&yes); err != nil {
		return false, fmt.Errorf("looking for recorded usage: %w", err)
	}
	return yes, nil
}
