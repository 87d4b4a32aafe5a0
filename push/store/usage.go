package store

import (
	"encoding/json"
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

// kindRequireMFAChanged is the audit kind of the console's require-MFA
// switch (server.AuditRequireMFA); its detail "require_mfa" is the new
// value, "true" or "false", as in a user_added event.
const kindRequireMFAChanged AuditKind = "require_mfa_changed"

// EnabledUsers counts the users who had require-MFA on at some point of
// [from, to): on at from, or turned on (added with it, or switched on)
// during the period. The history comes from the audit log (user_added and
// require_mfa_changed events); a user without any such event counts with
// their current setting.
func (s *Store) EnabledUsers(from, to time.Time) (int, error) {
	type user struct {
		requireMFA bool // now
		created    int64
	}
	users := map[string]user{}
	rows, err := s.query(`SELECT name, require_mfa, created FROM users WHERE created < ?`, to.Unix())
	if err != nil {
		return 0, fmt.Errorf("counting enabled users: %w", err)
	}
	for rows.Next() {
		var name string
		var u user
		if err := rows.Scan(&name, &u.requireMFA, &u.created); err != nil {
			rows.Close()
			return 0, fmt.Errorf("counting enabled users: %w", err)
		}
		users[name] = u
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("counting enabled users: %w", err)
	}
	history := map[string][]mfaEvent{}
	rows, err = s.query(`SELECT user, time, kind, detail FROM audit WHERE kind IN (?, ?) AND time < ? ORDER BY id`, AuditUserAdded, kindRequireMFAChanged, to.Unix())
	if err != nil {
		return 0, fmt.Errorf("reading the require-MFA history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, detail string
		var e mfaEvent
		if err := rows.Scan(&name, &e.time, &e.kind, &detail); err != nil {
			return 0, fmt.Errorf("reading the require-MFA history: %w", err)
		}
		var d map[string]string
		if json.Unmarshal([]byte(detail), &d) == nil {
			e.value = d["require_mfa"]
		}
		history[name] = append(history[name], e)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reading the require-MFA history: %w", err)
	}
	n := 0
	for name, u := range users {
		if enabledIn(u.requireMFA, u.created < from.Unix(), history[name], from.Unix()) {
			n++
		}
	}
	return n, nil
}

// mfaEvent is a user's require-MFA setting as the audit log records it.
type mfaEvent struct {
	time  int64
	kind  AuditKind
	value string // "true", "false", or empty when not recorded
}

// enabledIn replays a user's require-MFA history (the events before the
// end of the period, oldest first) and reports whether it was on at some
// point of the period that starts at from. state starts as the current
// setting (right for a user whose history is empty); existedAtFrom says
// whether the state at from counts.
func enabledIn(state, existedAtFrom bool, events []mfaEvent, from int64) bool {
	enabled, checkedFrom := false, false
	for _, e := range events {
		if e.time >= from && !checkedFrom {
			enabled = existedAtFrom && state
			checkedFrom = true
		}
		switch {
		case e.value == "true":
			state = true
		case e.value == "false":
			state = false
		case e.kind == kindRequireMFAChanged:
			state = !state // a switch without its new value: a toggle
		}
		if e.time >= from && state {
			enabled = true
		}
	}
	if !checkedFrom {
		enabled = state
	}
	return enabled
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
