package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is an audit event with its place in the log.
type AuditEntry struct {
	ID int64
	AuditEvent
}

// AuditFilter picks audit events: each field that is set must match.
type AuditFilter struct {
	User string
	Kind AuditKind
	// From and To bound the time: From <= time < To.
	From, To time.Time
	// Before keeps events older than this id (paging back; 0: from the newest).
	Before int64
}

func (f AuditFilter) where() (string, []any) {
	var conds []string
	var args []any
	if f.User != "" {
		conds, args = append(conds, "user = ?"), append(args, f.User)
	}
	if f.Kind != "" {
		conds, args = append(conds, "kind = ?"), append(args, string(f.Kind))
	}
	if !f.From.IsZero() {
		conds, args = append(conds, "time >= ?"), append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "time < ?"), append(args, f.To.Unix())
	}
	if f.Before > 0 {
		conds, args = append(conds, "id < ?"), append(args, f.Before)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// EachAuditEvent calls fn with the events f picks, newest first, at most
// limit of them (0: all); it stops at fn's first error and returns it.
func (s *Store) EachAuditEvent(f AuditFilter, limit int, fn func(AuditEntry) error) error {
	where, args := f.where()
	q := `SELECT id, time, kind, user, actor, application, method, result, detail FROM audit` + where + ` ORDER BY id DESC`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.query(q, args...)
	if err != nil {
		return fmt.Errorf("reading the audit log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		var t int64
		var detail string
		if err := rows.Scan(&e.ID, &t, &e.Kind, &e.User, &e.Actor, &e.Application, &e.Method, &e.Result, &detail); err != nil {
			return fmt.Errorf("reading the audit log: %w", err)
		}
		e.Time = time.Unix(t, 0)
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return fmt.Errorf("reading the detail of audit event %d: %w", e.ID, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AuditPage returns up to limit events that f picks, newest first.
func (s *Store) AuditPage(f AuditFilter, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.EachAuditEvent(f, limit, func(e AuditEntry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// FraudReport is a fraud report (an AuditFraud event) and what was done
// about it: whether the user was blocked for it, and the first unblocking
// since (zero ResolvedAt: still open).
type FraudReport struct {
	AuditEntry
	Blocked    bool
	ResolvedAt time.Time
	ResolvedBy string
}

// Open reports whether nobody unblocked the user since the report.
func (r FraudReport) Open() bool { return r.ResolvedAt.IsZero() }

// FraudReports returns up to limit fraud reports, newest first.
func (s *Store) FraudReports(limit int) ([]FraudReport, error) {
	entries, err := s.AuditPage(AuditFilter{Kind: AuditFraud}, limit)
	if err != nil {
		return nil, err
	}
	out := make([]FraudReport, 0, len(entries))
	for _, e := range entries {
		r := FraudReport{AuditEntry: e}
		var blocked int
		if err := s.queryRow(`SELECT COUNT(*) FROM audit WHERE user = ? AND id > ? AND kind = 'blocked' AND detail LIKE '%fraud reported%'`, e.User, e.ID).Scan(&blocked); err != nil {
			return nil, fmt.Errorf("reading fraud report %d: %w", e.ID, err)
		}
		r.Blocked = blocked > 0
		var t *int64
		var actor *string
		err := s.queryRow(`SELECT time, actor FROM audit WHERE user = ? AND id > ? AND kind = 'unblocked' ORDER BY id LIMIT 1`, e.User, e.ID).Scan(&t, &actor)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("reading fraud report %d: %w", e.ID, err)
		}
		if err == nil && t != nil {
			r.ResolvedAt = time.Unix(*t, 0)
			if actor != nil {
				r.ResolvedBy = *actor
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// OpenFraudReports counts the fraud reports whose user was not unblocked since.
func (s *Store) OpenFraudReports() (int, error) {
	var n int
	err := s.queryRow(`SELECT COUNT(*) FROM audit f WHERE f.kind = 'fraud'
		AND NOT EXISTS (SELECT 1 FROM audit u WHERE u.user = f.user AND u.id > f.id AND u.kind = 'unblocked')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting open fraud reports: %w", err)
	}
	return n, nil
}

// BlockedForFraud reports whether a user's latest block followed a fraud report.
func (s *Store) BlockedForFraud(user string) (bool, error) {
	var detail *string
	err := s.queryRow(`SELECT detail FROM audit WHERE user = ? AND kind IN ('blocked', 'unblocked') ORDER BY id DESC LIMIT 1`, user).Scan(&detail)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, fmt.Errorf("reading why %s is blocked: %w", user, err)
	}
	return detail != nil && strings.Contains(*detail, `"fraud reported"`), nil
}
