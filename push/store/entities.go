package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/countersign/countersign/push"
)

// AuthRequest is a sign-in request waiting for, or having had, an answer.
type AuthRequest struct {
	push.Request
	RP string
	// Subject is the device an add_device or remove_device request is about.
	Subject   string
	Number    string
	Status    push.Status
	Reason    string
	DecidedAt time.Time
	DecidedBy string
	// Method is how the user is asked: push, sms or voice.
	Method push.Method
	// SealedCode is the code of a text-message sign-in, sealed.
	SealedCode []byte
	// CodeFailures counts wrong codes typed for it.
	CodeFailures int
}

// AddAuthRequest stores a new pending request.
func (s *Store) AddAuthRequest(r AuthRequest) error {
	_, err := s.addAuthRequest(r, nil)
	return err
}

// Limits bound the sign-in requests one relying party makes of a user:
// at most MaxPending waiting at Now, and at most MaxRecent made since Since.
type Limits struct {
	Now, Since            time.Time
	MaxPending, MaxRecent int
}

// AddAuthRequestWithin stores a new pending request only if the relying
// party's requests for the user are within the limits, in one statement
// (on PostgreSQL, one that holds the user's row while it counts:
// countersign_request_room in pgcompat.go), so that racing
// requests, on one server or several, cannot together pass a limit. It
// reports whether the request was stored.
func (s *Store) AddAuthRequestWithin(r AuthRequest, l Limits) (bool, error) {
	return s.addAuthRequest(r, &l)
}

func (s *Store) addAuthRequest(r AuthRequest, l *Limits) (bool, error) {
	ctx, err := json.Marshal(r.Context)
	if err != nil {
		return false, err
	}
	kind := r.Kind
	if kind == "" {
		kind = push.KindSignIn
	}
	method, status := r.Method, push.StatusPending
	if method == "" {
		method = push.MethodPush
	}
	if method == push.MethodSMS {
		status = push.StatusCodeSent
	}
	args := []any{r.ID, r.User, r.RP, r.Application, kind, r.Subject, string(ctx), r.Number, r.Nonce, status, r.CreatedAt.Unix(), r.ExpiresAt.Unix(), method, r.SealedCode, r.ApproveOnly}
	if l == nil {
		_, err = s.exec(insertRequest+`VALUES (`+requestParams+`)`, args...)
		return err == nil, err
	}
	var query string
	if s.pg {
		// READ COMMITTED lets two transactions count at once: the function
		// (pgcompat.go) takes the user's row first, and counts after it,
		// with a snapshot of its own, so the second of two racing requests
		// counts the first. One statement: one round trip, not four.
		query = insertRequest + `SELECT ` + requestParams + ` WHERE countersign_request_room(?, ?, ?, ?, ?, ?)`
		args = append(args, r.User, r.RP, l.Now.Unix(), l.MaxPending, l.Since.Unix(), l.MaxRecent)
	} else {
		// SQLite: one writer at a time, the counts and the insert in one
		// statement.
		query = insertRequest + `SELECT ` + requestParams + `
		WHERE (SELECT COUNT(*) FROM auth_requests WHERE user = ? AND rp = ? AND status = 'pending' AND expires > ?) < ?
		AND (SELECT COUNT(*) FROM auth_requests WHERE user = ? AND rp = ? AND created >= ?) < ?`
		args = append(args, r.User, r.RP, l.Now.Unix(), l.MaxPending, r.User, r.RP, l.Since.Unix(), l.MaxRecent)
	}
	res, err := s.exec(query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// insertRequest and requestParams make addAuthRequest's statements: the
// row's 15 values, given as they are or selected under the limits.
const (
	insertRequest = `INSERT INTO auth_requests (id, user, rp, application, kind, subject, context, number, nonce, status, created, expires, method, sealed_code, approve_only) `
	requestParams = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`
)

const authRequestColumns = `id, user, rp, application, kind, subject, context, number, nonce, status, reason, created, expires, decided, decided_by, method, sealed_code, code_failures, approve_only`

func scanAuthRequest(scan func(...any) error) (AuthRequest, error) {
	var r AuthRequest
	var ctx string
	var created, expires int64
	var decided sql.NullInt64
	var decidedBy sql.NullString
	if err := scan(&r.ID, &r.User, &r.RP, &r.Application, &r.Kind, &r.Subject, &ctx, &r.Number, &r.Nonce, &r.Status, &r.Reason, &created, &expires, &decided, &decidedBy, &r.Method, &r.SealedCode, &r.CodeFailures, &r.ApproveOnly); err != nil {
		return AuthRequest{}, err
	}
	if err := json.Unmarshal([]byte(ctx), &r.Context); err != nil {
		return AuthRequest{}, fmt.Errorf("request %s has a damaged context: %w", r.ID, err)
	}
	r.CreatedAt, r.ExpiresAt, r.DecidedAt, r.DecidedBy = time.Unix(created, 0), time.Unix(expires, 0), fromUnix(decided), decidedBy.String
	return r, nil
}

// AuthRequest returns one request, or ErrNotFound.
func (s *Store) AuthRequest(id string) (AuthRequest, error) {
	r, err := scanAuthRequest(s.queryRow(`SELECT `+authRequestColumns+` FROM auth_requests WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return AuthRequest{}, fmt.Errorf("request %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return AuthRequest{}, fmt.Errorf("reading request %q: %w", id, err)
	}
	return r, nil
}

// PendingRequests returns a user's pending requests that have not expired at now.
func (s *Store) PendingRequests(user string, now time.Time) ([]AuthRequest, error) {
	r, err := s.authRequests(`SELECT `+authRequestColumns+` FROM auth_requests WHERE user = ? AND status = 'pending' AND method = 'push' AND expires > ? ORDER BY created, id`, user, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("listing the pending requests of %q: %w", user, err)
	}
	return r, nil
}

// authRequests runs a query of authRequestColumns and reads every row.
func (s *Store) authRequests(query string, args ...any) ([]AuthRequest, error) {
	rows, err := s.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuthRequest
	for rows.Next() {
		r, err := scanAuthRequest(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// strings runs a query of one text column and reads every row.
func (s *Store) strings(query string, args ...any) ([]string, error) {
	rows, err := s.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Decide moves a pending, unexpired request to status, atomically. It
// reports false when the request was already decided or has expired: the
// first valid decision wins.
func (s *Store) Decide(id string, status push.Status, reason, deviceID string, now time.Time) (bool, error) {
	res, err := s.exec(`UPDATE auth_requests SET status = ?, reason = ?, decided = ?, decided_by = ? WHERE id = ? AND status = 'pending' AND expires > ?`,
		status, reason, now.Unix(), deviceID, id, now.Unix())
	if err != nil {
		return false, fmt.Errorf("deciding request %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Expire marks a pending request whose time is up as expired; it reports
// whether it did.
func (s *Store) Expire(id string, now time.Time) (bool, error) {
	res, err := s.exec(`UPDATE auth_requests SET status = 'expired', decided = ? WHERE id = ? AND status IN ('pending', 'code_sent') AND expires <= ?`, now.Unix(), id, now.Unix())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RequestCounts says of the requests one relying party made for a user:
// how many are pending now, how many were made since a time, how many of
// the latest expired unanswered in a row (those made since the latest
// answered one, in the same second too; at most 100), and when the latest was made, in one statement.
// Each application has its own counts: one cannot use up another's.
func (s *Store) RequestCounts(user, rp string, now, since time.Time) (pending, recent, unansweredRun int, latest time.Time, err error) {
	var last int64
	err = s.queryRow(`SELECT
		COUNT(CASE WHEN status = 'pending' AND expires > ? THEN 1 END),
		COUNT(CASE WHEN created >= ? THEN 1 END),
		COALESCE(MAX(created), 0),
		COUNT(CASE WHEN (status = 'expired' OR (status = 'pending' AND expires <= ?)) AND created >= COALESCE(
			(SELECT MAX(a.created) FROM auth_requests a WHERE a.user = ? AND a.rp = ? AND a.status NOT IN ('expired', 'pending')), 0) THEN 1 END)
		FROM auth_requests WHERE user = ? AND rp = ?`,
		now.Unix(), since.Unix(), now.Unix(), user, rp, user, rp).Scan(&pending, &recent, &last, &unansweredRun)
	if err != nil {
		return 0, 0, 0, time.Time{}, fmt.Errorf("counting the requests of %s from %s: %w", user, rp, err)
	}
	return pending, recent, min(unansweredRun, 100), time.Unix(last, 0), nil
}

// ResetOTPFailures clears the count of a user's consecutive failed codes
// (after a correct one).
func (s *Store) ResetOTPFailures(user string) error {
	if _, err := s.exec(`UPDATE otp_state SET failures = 0 WHERE user = ? AND failures <> 0`, user); err != nil {
		return fmt.Errorf("resetting the wrong-code count of %q: %w", user, err)
	}
	return nil
}

// OTPFailures returns the count of consecutive failed codes of a user and
// the time of the last one.
func (s *Store) OTPFailures(user string) (int, time.Time, error) {
	var n int
	var last int64
	if err := s.queryRow(`SELECT failures, last_failure FROM otp_state WHERE user = ?`, user).Scan(&n, &last); err != nil {
		return 0, time.Time{}, fmt.Errorf("reading the wrong-code count of %q: %w", user, err)
	}
	return n, time.Unix(last, 0), nil
}

// AddOTPFailure counts one more failed code at now and returns the new count.
func (s *Store) AddOTPFailure(user string, now time.Time) (int, error) {
	var n int
	defer s.lockWrites()()
	if err := s.queryRow(`UPDATE otp_state SET failures = failures + 1, last_failure = ? WHERE user = ? RETURNING failures`, now.Unix(), user).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting a wrong code of %q: %w", user, err)
	}
	return n, nil
}

// PendingRequestAbout returns the pending, unexpired request about a
// device (its add_device or remove_device request), or ErrNotFound.
func (s *Store) PendingRequestAbout(deviceID string, now time.Time) (AuthRequest, error) {
	r, err := scanAuthRequest(s.queryRow(`SELECT `+authRequestColumns+` FROM auth_requests WHERE subject = ? AND status = 'pending' AND expires > ? ORDER BY created DESC LIMIT 1`, deviceID, now.Unix()).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return AuthRequest{}, ErrNotFound
	}
	return r, err
}
