package store

import (
	"encoding/json"
	"time"
)

// AuditKind names what an audit event records.
type AuditKind string

// The kinds of audit events.
const (
	AuditUserAdded         AuditKind = "user_added"
	AuditBlocked           AuditKind = "blocked"
	AuditUnblocked         AuditKind = "unblocked"
	AuditFraud             AuditKind = "fraud"
	AuditEnrollmentCreated AuditKind = "enrollment_created"
	AuditDeviceActivated   AuditKind = "device_activated"
	AuditDevicePending     AuditKind = "device_pending"
	AuditDeviceApproved    AuditKind = "device_approved"
	AuditDeviceRejected    AuditKind = "device_rejected"
	AuditDeviceRevoked     AuditKind = "device_revoked"
	AuditSelfServiceSignIn AuditKind = "self_service_sign_in"
	// AuditAuthentication is the outcome of one second-factor check:
	// Method is push, sms, voice, otp, recovery or bypass; Result is
	// approved, denied, fraud, expired, code-ok or code-wrong.
	AuditAuthentication AuditKind = "authentication"
	// AuditPhoneChanged is a phone number set, changed or removed.
	AuditPhoneChanged AuditKind = "phone_changed"
	// AuditMethodChanged is a method added, removed or made the default.
	AuditMethodChanged AuditKind = "method_changed"
	// AuditTelephonyCapReached is the global daily cap of telephony
	// messages tripping.
	AuditTelephonyCapReached AuditKind = "telephony_cap_reached"
	// AuditTelephony is one text message or call handed to the gateway:
	// Method is sms or voice, Result sent or failed, Detail has country.
	AuditTelephony AuditKind = "telephony"
)

// AuditEvent is one entry of the audit log.
type AuditEvent struct {
	Time time.Time
	Kind AuditKind
	User string
	// Actor is who made the change: an administrator's name, "cli" for
	// the admin commands, a device id, or empty for the server itself.
	Actor string
	// Application, Method and Result describe an authentication (kind
	// AuditAuthentication) or a telephony message (AuditTelephony); the
	// usage report counts by them.
	Application string
	Method      string
	Result      string
	Detail      map[string]string
}

// Audit appends an event to the audit log.
func (s *Store) Audit(e AuditEvent) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return err
	}
	_, err = s.exec(`INSERT INTO audit (time, kind, user, actor, application, method, result, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Time.Unix(), e.Kind, e.User, e.Actor, e.Application, e.Method, e.Result, string(detail))
	return err
}

// AuditEvents returns a user's audit events, oldest first.
func (s *Store) AuditEvents(user string) ([]AuditEvent, error) {
	rows, err := s.query(`SELECT time, kind, actor, application, method, result, detail FROM audit WHERE user = ? ORDER BY id`, user)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		e := AuditEvent{User: user}
		var t int64
		var detail string
		if err := rows.Scan(&t, &e.Kind, &e.Actor, &e.Application, &e.Method, &e.Result, &detail); err != nil {
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
