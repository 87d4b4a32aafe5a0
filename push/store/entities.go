package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/countersign/countersign/push"
)

// User is a person who signs in with Countersign.
type User struct {
	Name       string
	Blocked    bool
	RequireMFA bool
	// SealedSeed is the TOTP seed, encrypted with the server's seal key.
	SealedSeed []byte
	Created    time.Time
}

// AddUser creates a user; ErrExists if the name is taken.
func (s *Store) AddUser(u User) error {
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
	err := s.queryRow(`SELECT blocked, require_mfa, sealed_seed, created FROM users WHERE name = ?`, name).
		Scan(&u.Blocked, &u.RequireMFA, &u.SealedSeed, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	u.Created = time.Unix(created, 0)
	return u, err
}

// Users lists every user by name.
func (s *Store) Users() ([]User, error) {
	rows, err := s.query(`SELECT name, blocked, require_mfa, created FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var created int64
		if err := rows.Scan(&u.Name, &u.Blocked, &u.RequireMFA, &created); err != nil {
			return nil, err
		}
		u.Created = time.Unix(created, 0)
		out = append(out, u)
	}
	return out, rows.Err()
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

// Device is an authenticator app bound to a user by activation.
type Device struct {
	ID        string
	User      string
	Name      string
	PublicKey []byte
	Created   time.Time
	Revoked   time.Time // zero while active
}

// Active reports whether the device is not revoked.
func (d Device) Active() bool { return d.Revoked.IsZero() }

// Device returns the device with this id, or ErrNotFound.
func (s *Store) Device(id string) (Device, error) {
	d := Device{ID: id}
	var created int64
	var revoked sql.NullInt64
	err := s.queryRow(`SELECT user, name, public_key, created, revoked FROM devices WHERE id = ?`, id).
		Scan(&d.User, &d.Name, &d.PublicKey, &created, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Device{}, fmt.Errorf("device %q: %w", id, ErrNotFound)
	}
	d.Created, d.Revoked = time.Unix(created, 0), fromUnix(revoked)
	return d, err
}

// Devices lists the devices of a user, oldest first.
func (s *Store) Devices(user string) ([]Device, error) {
	rows, err := s.query(`SELECT id, name, public_key, created, revoked FROM devices WHERE user = ? ORDER BY created, rowid`, user)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		d := Device{User: user}
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&d.ID, &d.Name, &d.PublicKey, &created, &revoked); err != nil {
			return nil, err
		}
		d.Created, d.Revoked = time.Unix(created, 0), fromUnix(revoked)
		out = append(out, d)
	}
	return out, rows.Err()
}

// RevokeDevice revokes a device: it can no longer connect or answer.
func (s *Store) RevokeDevice(id string, now time.Time) error {
	res, err := s.exec(`UPDATE devices SET revoked = ? WHERE id = ? AND revoked IS NULL`, now.Unix(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Device(id); err != nil {
			return err
		}
		return fmt.Errorf("device %q is already revoked", id)
	}
	return nil
}

// RevokedSince lists the devices revoked at or after t.
func (s *Store) RevokedSince(t time.Time) ([]string, error) {
	rows, err := s.query(`SELECT id FROM devices WHERE revoked >= ?`, t.Unix())
	if err != nil {
		return nil, fmt.Errorf("listing revoked devices: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Activation is a single-use activation code, stored by its hash.
type Activation struct {
	CodeHash []byte
	User     string
	// Token names the enrollment page of this activation.
	Token    string
	Created  time.Time
	Expires  time.Time
	Used     time.Time
	DeviceID string
	// SealedURI is the activation URI, encrypted with the server's seal
	// key, for the enrollment page to show as a QR code.
	SealedURI []byte
}

// AddActivation stores a new activation code.
func (s *Store) AddActivation(a Activation) error {
	_, err := s.exec(`INSERT INTO activations (code_hash, user, token, created, expires, sealed_uri) VALUES (?, ?, ?, ?, ?, ?)`,
		a.CodeHash, a.User, a.Token, a.Created.Unix(), a.Expires.Unix(), a.SealedURI)
	return err
}

// OpenActivation returns the user's most recent activation that is unused
// and unexpired at now, or ErrNotFound.
func (s *Store) OpenActivation(user string, now time.Time) (Activation, error) {
	var token string
	err := s.queryRow(`SELECT token FROM activations WHERE user = ? AND used IS NULL AND expires > ? ORDER BY created DESC LIMIT 1`, user, now.Unix()).Scan(&token)
	if errors.Is(err, sql.ErrNoRows) {
		return Activation{}, ErrNotFound
	}
	if err != nil {
		return Activation{}, fmt.Errorf("looking for an open activation of %q: %w", user, err)
	}
	return s.ActivationByToken(token)
}

// ActivationByToken returns the activation of an enrollment page.
func (s *Store) ActivationByToken(token string) (Activation, error) {
	return s.activation(`token = ?`, token)
}

func (s *Store) activation(where string, arg any) (Activation, error) {
	var a Activation
	var created, expires int64
	var used sql.NullInt64
	var device sql.NullString
	err := s.queryRow(`SELECT code_hash, user, token, created, expires, used, device_id, sealed_uri FROM activations WHERE `+where, arg).
		Scan(&a.CodeHash, &a.User, &a.Token, &created, &expires, &used, &device, &a.SealedURI)
	if errors.Is(err, sql.ErrNoRows) {
		return Activation{}, ErrNotFound
	}
	a.Created, a.Expires, a.Used, a.DeviceID = time.Unix(created, 0), time.Unix(expires, 0), fromUnix(used), device.String
	return a, err
}

// Errors of SpendActivation.
var (
	ErrActivationUsed    = errors.New("this activation code was already used")
	ErrActivationExpired = errors.New("this activation code has expired")
)

// SpendActivation uses the activation code with this hash to bind device d
// (whose ID, Name and PublicKey are set) to the code's user, atomically: the
// code must be unused and unexpired, and only one caller can spend it.
func (s *Store) SpendActivation(codeHash []byte, d Device, now time.Time) (Device, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.Begin()
	if err != nil {
		return Device{}, err
	}
	defer tx.Rollback()
	var user string
	err = tx.QueryRow(`UPDATE activations SET used = ?, device_id = ? WHERE code_hash = ? AND used IS NULL AND expires > ? RETURNING user`,
		now.Unix(), d.ID, codeHash, now.Unix()).Scan(&user)
	if errors.Is(err, sql.ErrNoRows) {
		// Why not: asked inside the transaction, which holds this connection
		// (another one might never come: the pool is small).
		var used sql.NullInt64
		switch err := tx.QueryRow(`SELECT used FROM activations WHERE code_hash = ?`, codeHash).Scan(&used); {
		case err != nil:
			return Device{}, ErrNotFound
		case used.Valid:
			return Device{}, ErrActivationUsed
		default:
			return Device{}, ErrActivationExpired
		}
	}
	if err != nil {
		return Device{}, err
	}
	d.User, d.Created = user, now
	if _, err := tx.Exec(`INSERT INTO devices (id, user, name, public_key, created) VALUES (?, ?, ?, ?, ?)`,
		d.ID, d.User, d.Name, d.PublicKey, d.Created.Unix()); err != nil {
		return Device{}, err
	}
	return d, tx.Commit()
}

// RelyingParty is an application that asks Countersign for a second factor.
type RelyingParty struct {
	Name          string
	KeyHash       []byte
	WebhookURL    string
	WebhookSecret string
	Created       time.Time
}

// AddRelyingParty stores a relying party; ErrExists if the name is taken.
func (s *Store) AddRelyingParty(rp RelyingParty) error {
	_, err := s.exec(`INSERT INTO relying_parties (name, key_hash, webhook_url, webhook_secret, created) VALUES (?, ?, ?, ?, ?)`,
		rp.Name, rp.KeyHash, rp.WebhookURL, rp.WebhookSecret, rp.Created.Unix())
	if isUnique(err) {
		return fmt.Errorf("relying party %q: %w", rp.Name, ErrExists)
	}
	return err
}

// RelyingParty returns the relying party with this name, or ErrNotFound.
func (s *Store) RelyingParty(name string) (RelyingParty, error) {
	rp := RelyingParty{Name: name}
	var created int64
	err := s.queryRow(`SELECT key_hash, webhook_url, webhook_secret, created FROM relying_parties WHERE name = ?`, name).
		Scan(&rp.KeyHash, &rp.WebhookURL, &rp.WebhookSecret, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return RelyingParty{}, ErrNotFound
	}
	rp.Created = time.Unix(created, 0)
	return rp, err
}

// RelyingPartyByKeyHash returns the relying party with this API key hash, or ErrNotFound.
func (s *Store) RelyingPartyByKeyHash(hash []byte) (RelyingParty, error) {
	var rp RelyingParty
	var created int64
	err := s.queryRow(`SELECT name, key_hash, webhook_url, webhook_secret, created FROM relying_parties WHERE key_hash = ?`, hash).
		Scan(&rp.Name, &rp.KeyHash, &rp.WebhookURL, &rp.WebhookSecret, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return RelyingParty{}, ErrNotFound
	}
	rp.Created = time.Unix(created, 0)
	return rp, err
}

// RelyingParties lists every relying party (with key hashes, for checking keys).
func (s *Store) RelyingParties() ([]RelyingParty, error) {
	rows, err := s.query(`SELECT name, key_hash, webhook_url, webhook_secret, created FROM relying_parties ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RelyingParty
	for rows.Next() {
		var rp RelyingParty
		var created int64
		if err := rows.Scan(&rp.Name, &rp.KeyHash, &rp.WebhookURL, &rp.WebhookSecret, &created); err != nil {
			return nil, err
		}
		rp.Created = time.Unix(created, 0)
		out = append(out, rp)
	}
	return out, rows.Err()
}

// AuthRequest is a sign-in request waiting for, or having had, an answer.
type AuthRequest struct {
	push.Request
	RP        string
	Number    string
	Status    push.Status
	Reason    string
	DecidedAt time.Time
	DecidedBy string
}

// AddAuthRequest stores a new pending request.
func (s *Store) AddAuthRequest(r AuthRequest) error {
	ctx, err := json.Marshal(r.Context)
	if err != nil {
		return err
	}
	_, err = s.exec(`INSERT INTO auth_requests (id, user, rp, context, number, nonce, status, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.User, r.RP, string(ctx), r.Number, r.Nonce, push.StatusPending, r.CreatedAt.Unix(), r.ExpiresAt.Unix())
	return err
}

const authRequestColumns = `id, user, rp, context, number, nonce, status, reason, created, expires, decided, decided_by`

func scanAuthRequest(scan func(...any) error) (AuthRequest, error) {
	var r AuthRequest
	var ctx string
	var created, expires int64
	var decided sql.NullInt64
	var decidedBy sql.NullString
	if err := scan(&r.ID, &r.User, &r.RP, &ctx, &r.Number, &r.Nonce, &r.Status, &r.Reason, &created, &expires, &decided, &decidedBy); err != nil {
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
	return r, err
}

// PendingRequests returns a user's pending requests that have not expired at now.
func (s *Store) PendingRequests(user string, now time.Time) ([]AuthRequest, error) {
	rows, err := s.query(`SELECT `+authRequestColumns+` FROM auth_requests WHERE user = ? AND status = 'pending' AND expires > ? ORDER BY created, id`, user, now.Unix())
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
	res, err := s.exec(`UPDATE auth_requests SET status = 'expired', decided = ? WHERE id = ? AND status = 'pending' AND expires <= ?`, now.Unix(), id, now.Unix())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RequestCounts says of a user's requests: how many are pending now, how
// many were made since a time, how many of the latest expired unanswered in
// a row, and when the latest was made.
func (s *Store) RequestCounts(user string, now, since time.Time) (pending, recent, unansweredRun int, latest time.Time, err error) {
	var last int64
	err = s.queryRow(`SELECT
		COUNT(CASE WHEN status = 'pending' AND expires > ? THEN 1 END),
		COUNT(CASE WHEN created >= ? THEN 1 END),
		COALESCE(MAX(created), 0)
		FROM auth_requests WHERE user = ?`, now.Unix(), since.Unix(), user).Scan(&pending, &recent, &last)
	if err != nil {
		return
	}
	latest = time.Unix(last, 0)
	rows, err := s.query(`SELECT status, expires FROM auth_requests WHERE user = ? ORDER BY created DESC, id DESC LIMIT 100`, user)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var expires int64
		if err = rows.Scan(&status, &expires); err != nil {
			return
		}
		if status == string(push.StatusPending) && expires > now.Unix() {
			continue
		}
		if status != string(push.StatusExpired) && !(status == string(push.StatusPending) && expires <= now.Unix()) {
			break
		}
		unansweredRun++
	}
	err = rows.Err()
	return
}

// UseOTPStep records that time step has been accepted for user; it reports
// false if that step or a later one was already used (a replay).
func (s *Store) UseOTPStep(user string, step int64) (bool, error) {
	res, err := s.exec(`UPDATE otp_state SET last_step = ?, failures = 0 WHERE user = ? AND last_step < ?`, step, user, step)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// OTPFailures returns the count of consecutive failed codes of a user and
// the time of the last one.
func (s *Store) OTPFailures(user string) (int, time.Time, error) {
	var n int
	var last int64
	err := s.queryRow(`SELECT failures, last_failure FROM otp_state WHERE user = ?`, user).Scan(&n, &last)
	return n, time.Unix(last, 0), err
}

// AddOTPFailure counts one more failed code at now and returns the new count.
func (s *Store) AddOTPFailure(user string, now time.Time) (int, error) {
	var n int
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	err := s.queryRow(`UPDATE otp_state SET failures = failures + 1, last_failure = ? WHERE user = ? RETURNING failures`, now.Unix(), user).Scan(&n)
	return n, err
}

// AuditEvent is one entry of the audit log.
type AuditEvent struct {
	Time   time.Time
	Kind   string
	User   string
	Detail map[string]string
}

// Audit appends an event to the audit log.
func (s *Store) Audit(e AuditEvent) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return err
	}
	_, err = s.exec(`INSERT INTO audit (time, kind, user, detail) VALUES (?, ?, ?, ?)`, e.Time.Unix(), e.Kind, e.User, string(detail))
	return err
}

// AuditEvents returns a user's audit events, oldest first.
func (s *Store) AuditEvents(user string) ([]AuditEvent, error) {
	rows, err := s.query(`SELECT time, kind, detail FROM audit WHERE user = ? ORDER BY id`, user)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		e := AuditEvent{User: user}
		var t int64
		var detail string
		if err := rows.Scan(&t, &e.Kind, &detail); err != nil {
			return nil, err
		}
		e.Time = time.Unix(t, 0)
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
