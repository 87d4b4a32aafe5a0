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
)

// AuditEvent is one entry of the audit log.
type AuditEvent struct {
	Time   time.Time
	Kind   AuditKind
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
