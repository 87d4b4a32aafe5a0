package store

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/countersign/countersign/push"
)

// schemaMethods adds what the phone methods need: a user's phone number and
// default method, the methods each user has, the sealed one-time code of a
// text-message sign-in, the telephony messages sent (for the abuse limits),
// recovery codes kept as hashes, and audit columns that the usage report
// counts by.
const schemaMethods = `ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
	ALTER TABLE users ADD COLUMN default_method TEXT NOT NULL DEFAULT '';
	CREATE TABLE user_methods (
		user    TEXT NOT NULL REFERENCES users(name),
		method  TEXT NOT NULL,
		added   INTEGER NOT NULL,
		PRIMARY KEY (user, method)
	);
	ALTER TABLE auth_requests ADD COLUMN method TEXT NOT NULL DEFAULT 'push';
	ALTER TABLE auth_requests ADD COLUMN sealed_code BLOB;
	ALTER TABLE auth_requests ADD COLUMN code_failures INTEGER NOT NULL DEFAULT 0;
	CREATE TABLE telephony_messages (
		id         TEXT PRIMARY KEY,
		time       INTEGER NOT NULL,
		user       TEXT NOT NULL,
		kind       TEXT NOT NULL,
		to_number  TEXT NOT NULL,
		country    TEXT NOT NULL,
		purpose    TEXT NOT NULL,
		request_id TEXT NOT NULL DEFAULT '',
		status     TEXT NOT NULL
	);
	CREATE INDEX telephony_to ON telephony_messages(to_number, time);
	CREATE INDEX telephony_user ON telephony_messages(user, time);
	CREATE INDEX telephony_time ON telephony_messages(time);
	CREATE TABLE phone_proofs (
		id          TEXT PRIMARY KEY,
		user        TEXT NOT NULL REFERENCES users(name),
		phone       TEXT NOT NULL,
		method      TEXT NOT NULL,
		sealed_code BLOB NOT NULL,
		created     INTEGER NOT NULL,
		expires     INTEGER NOT NULL,
		failures    INTEGER NOT NULL DEFAULT 0,
		used        INTEGER
	);
	CREATE TABLE recovery_codes (
		user      TEXT NOT NULL REFERENCES users(name),
		code_hash BLOB NOT NULL,
		created   INTEGER NOT NULL,
		used      INTEGER,
		PRIMARY KEY (user, code_hash)
	);
	ALTER TABLE audit ADD COLUMN actor TEXT NOT NULL DEFAULT '';
	ALTER TABLE audit ADD COLUMN application TEXT NOT NULL DEFAULT '';
	ALTER TABLE audit ADD COLUMN method TEXT NOT NULL DEFAULT '';
	ALTER TABLE audit ADD COLUMN result TEXT NOT NULL DEFAULT '';
	CREATE INDEX audit_time ON audit(time);
	CREATE INDEX audit_kind_time ON audit(kind, time);`

// SetPhone sets (or, with "", clears) a user's phone number. Clearing it
// also removes the phone methods.
func (s *Store) SetPhone(user, phone string) error {
	res, err := s.exec(`UPDATE users SET phone = ? WHERE name = ?`, phone, user)
	if err != nil {
		return fmt.Errorf("setting the phone of %s: %w", user, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("user %q: %w", user, ErrNotFound)
	}
	if phone == "" {
		if _, err := s.exec(`DELETE FROM user_methods WHERE user = ? AND method IN ('sms', 'voice')`, user); err != nil {
			return fmt.Errorf("removing the phone methods of %s: %w", user, err)
		}
	}
	return nil
}

// SetDefaultMethod sets the method that requests with method auto use.
func (s *Store) SetDefaultMethod(user, method string) error {
	res, err := s.exec(`UPDATE users SET default_method = ? WHERE name = ?`, method, user)
	if err != nil {
		return fmt.Errorf("setting the default method of %s: %w", user, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("user %q: %w", user, ErrNotFound)
	}
	return nil
}

// AddMethod gives a user a phone method (sms or voice); adding one the
// user has is not an error.
func (s *Store) AddMethod(user, method string, now time.Time) error {
	if _, err := s.exec(`INSERT INTO user_methods (user, method, added) VALUES (?, ?, ?) ON CONFLICT (user, method) DO NOTHING`, user, method, now.Unix()); err != nil {
		return fmt.Errorf("adding method %s to %s: %w", method, user, err)
	}
	return nil
}

// RemoveMethod takes a phone method away; it reports whether the user had it.
func (s *Store) RemoveMethod(user, method string) (bool, error) {
	res, err := s.exec(`DELETE FROM user_methods WHERE user = ? AND method = ?`, user, method)
	if err != nil {
		return false, fmt.Errorf("removing method %s of %s: %w", method, user, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Methods lists the phone methods a user has (sms, voice), in that order.
func (s *Store) Methods(user string) ([]string, error) {
	out, err := s.strings(`SELECT method FROM user_methods WHERE user = ? ORDER BY method`, user)
	if err != nil {
		return nil, fmt.Errorf("listing the methods of %s: %w", user, err)
	}
	slices.Reverse(out) // "voice", "sms" sorted is the wrong way round for people: sms first
	return out, nil
}

// PhoneNumbers returns the distinct phone numbers of the users.
func (s *Store) PhoneNumbers() ([]string, error) {
	out, err := s.strings(`SELECT DISTINCT phone FROM users WHERE phone <> '' ORDER BY phone`)
	if err != nil {
		return nil, fmt.Errorf("listing phone numbers: %w", err)
	}
	return out, nil
}

// DecideCode moves a text-message request waiting for its code to status,
// atomically: two racing checks of the right code cannot both win.
func (s *Store) DecideCode(id string, status push.Status, reason string, now time.Time) (bool, error) {
	res, err := s.exec(`UPDATE auth_requests SET status = ?, reason = ?, decided = ?, decided_by = '' WHERE id = ? AND status = 'code_sent' AND expires > ?`,
		status, reason, now.Unix(), id, now.Unix())
	if err != nil {
		return false, fmt.Errorf("deciding request %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddCodeFailure counts a wrong code typed for a text-message request and
// returns the new count.
func (s *Store) AddCodeFailure(id string) (int, error) {
	var n int
	defer s.lockWrites()()
	err := s.queryRow(`UPDATE auth_requests SET code_failures = code_failures + 1 WHERE id = ? RETURNING code_failures`, id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting a wrong code of request %s: %w", id, err)
	}
	return n, nil
}

// OpenCodeRequests returns a user's text-message requests of one relying
// party still waiting for their code at now, newest first.
func (s *Store) OpenCodeRequests(user, rp string, now time.Time) ([]AuthRequest, error) {
	r, err := s.authRequests(`SELECT `+authRequestColumns+` FROM auth_requests WHERE user = ? AND rp = ? AND status = 'code_sent' AND expires > ? ORDER BY created DESC, id LIMIT 5`, user, rp, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("listing the text-message sign-ins of %q waiting for a code: %w", user, err)
	}
	return r, nil
}

// TelephonyMessage is a text message or call handed to the gateway.
type TelephonyMessage struct {
	ID        string
	Time      time.Time
	User      string
	Kind      string // sms or voice
	To        string // E.164
	Country   string // ISO 3166-1 alpha-2
	Purpose   string // sign_in or phone_proof
	RequestID string
	Status    string // sent or failed
}

// AddTelephonyMessage records a message (for the abuse limits).
func (s *Store) AddTelephonyMessage(m TelephonyMessage) error {
	_, err := s.exec(`INSERT INTO telephony_messages (id, time, user, kind, to_number, country, purpose, request_id, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Time.Unix(), m.User, m.Kind, m.To, m.Country, m.Purpose, m.RequestID, m.Status)
	if err != nil {
		return fmt.Errorf("recording a telephony message: %w", err)
	}
	return nil
}

// TelephonyCounts returns how many messages went to one number since
// numberSince, to one user since userSince, and to anyone since allSince.
func (s *Store) TelephonyCounts(to, user string, numberSince, userSince, allSince time.Time) (toNumber, toUser, all int, err error) {
	for _, q := range []struct {
		n     *int
		query string
		args  []any
	}{
		{&toNumber, `SELECT COUNT(*) FROM telephony_messages WHERE to_number = ? AND time >= ?`, []any{to, numberSince.Unix()}},
		{&toUser, `SELECT COUNT(*) FROM telephony_messages WHERE user = ? AND time >= ?`, []any{user, userSince.Unix()}},
		{&all, `SELECT COUNT(*) FROM telephony_messages WHERE time >= ?`, []any{allSince.Unix()}},
	} {
		if err = s.queryRow(q.query, q.args...).Scan(q.n); err != nil {
			return 0, 0, 0, fmt.Errorf("counting telephony messages: %w", err)
		}
	}
	return toNumber, toUser, all, nil
}

// PhoneProof is a code sent to a phone number to prove the user holds it,
// before a phone method is added.
type PhoneProof struct {
	ID         string
	User       string
	Phone      string
	Method     string
	SealedCode []byte
	Created    time.Time
	Expires    time.Time
	Failures   int
	Used       time.Time
}

// AddPhoneProof stores a new proof.
func (s *Store) AddPhoneProof(p PhoneProof) error {
	_, err := s.exec(`INSERT INTO phone_proofs (id, user, phone, method, sealed_code, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.User, p.Phone, p.Method, p.SealedCode, p.Created.Unix(), p.Expires.Unix())
	if err != nil {
		return fmt.Errorf("storing a phone proof: %w", err)
	}
	return nil
}

// PhoneProof returns a proof, or ErrNotFound.
func (s *Store) PhoneProof(id string) (PhoneProof, error) {
	p := PhoneProof{ID: id}
	var created, expires int64
	var used sql.NullInt64
	err := s.queryRow(`SELECT user, phone, method, sealed_code, created, expires, failures, used FROM phone_proofs WHERE id = ?`, id).
		Scan(&p.User, &p.Phone, &p.Method, &p.SealedCode, &created, &expires, &p.Failures, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return PhoneProof{}, fmt.Errorf("phone proof %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return PhoneProof{}, fmt.Errorf("reading phone proof %s: %w", id, err)
	}
	p.Created, p.Expires, p.Used = time.Unix(created, 0), time.Unix(expires, 0), fromUnix(used)
	return p, nil
}

// SpendPhoneProof marks an unexpired proof used; false if it was used or
// has expired (the first right code wins).
func (s *Store) SpendPhoneProof(id string, now time.Time) (bool, error) {
	res, err := s.exec(`UPDATE phone_proofs SET used = ? WHERE id = ? AND used IS NULL AND expires > ?`, now.Unix(), id, now.Unix())
	if err != nil {
		return false, fmt.Errorf("spending phone proof %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddPhoneProofFailure counts a wrong code for a proof and returns the count.
func (s *Store) AddPhoneProofFailure(id string) (int, error) {
	var n int
	defer s.lockWrites()()
	if err := s.queryRow(`UPDATE phone_proofs SET failures = failures + 1 WHERE id = ? RETURNING failures`, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting a wrong code of phone proof %s: %w", id, err)
	}
	return n, nil
}

// PhoneDeviceMarker prefixes the DeviceID of an activation spent by a
// phone method instead of a device: "phone:sms" or "phone:voice".
const PhoneDeviceMarker = "phone:"

// SpendActivationForPhone marks an unused, unexpired activation as spent
// by a phone method (no device), for a user who is not blocked; false if
// it was used, has expired, or the user is blocked.
func (s *Store) SpendActivationForPhone(codeHash []byte, method string, now time.Time) (bool, error) {
	res, err := s.exec(`UPDATE activations SET used = ?, device_id = ? WHERE code_hash = ? AND used IS NULL AND expires > ?
		AND user IN (SELECT name FROM users WHERE blocked = 0)`, now.Unix(), PhoneDeviceMarker+method, codeHash, now.Unix())
	if err != nil {
		return false, fmt.Errorf("spending an activation for a phone: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
