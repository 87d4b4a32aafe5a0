package store

import (
	"fmt"
	"time"
)

// schemaEvents adds the event log through which server processes sharing
// a database tell each other what changed (a request for a device
// connected elsewhere, a decision a long-poll elsewhere waits for, a
// notice, a revocation), and an index for finding overdue requests.
const schemaEvents = `CREATE TABLE events (
		id     INTEGER PRIMARY KEY AUTOINCREMENT,
		time   INTEGER NOT NULL,
		origin TEXT NOT NULL,
		kind   TEXT NOT NULL,
		user   TEXT NOT NULL,
		ref    TEXT NOT NULL
	);
	CREATE INDEX auth_requests_open ON auth_requests(status, expires);`

// Event is one entry of the event log: ids only; the tables stay the truth.
type Event struct {
	ID     int64
	Time   time.Time
	Origin string // the process that wrote it
	Kind   string
	User   string
	Ref    string // a request, notice or device id
}

// AddEvent appends an event.
func (s *Store) AddEvent(e Event) error {
	// In id order: the other processes follow the log by id (ordered.go).
	// On PostgreSQL the same transaction wakes the other processes'
	// followers (Listen) rather than at their next poll; the notification
	// is delivered with the commit, so they find the event.
	if _, err := s.appendInIDOrder(`SELECT pg_notify('countersign_events_' || current_schema(), '')`,
		"events", "time, origin, kind, user, ref", e.Time.Unix(), e.Origin, e.Kind, e.User, e.Ref); err != nil {
		return fmt.Errorf("writing an event: %w", err)
	}
	return nil
}

// LastEventID returns the id of the latest event (0 when there is none).
func (s *Store) LastEventID() (int64, error) {
	var id int64
	if err := s.queryRow(`SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&id); err != nil {
		return 0, fmt.Errorf("reading the event log: %w", err)
	}
	return id, nil
}

// EventsAfter returns up to limit events after id written by other
// processes than origin, oldest first, and the id to read after next time.
func (s *Store) EventsAfter(id int64, origin string, limit int) ([]Event, int64, error) {
	rows, err := s.query(`SELECT id, time, origin, kind, user, ref FROM events WHERE id > ? ORDER BY id LIMIT ?`, id, limit)
	if err != nil {
		return nil, id, fmt.Errorf("reading the event log: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.Origin, &e.Kind, &e.User, &e.Ref); err != nil {
			return nil, id, err
		}
		id = e.ID
		if e.Origin == origin {
			continue
		}
		e.Time = time.Unix(t, 0)
		out = append(out, e)
	}
	return out, id, rows.Err()
}

// PruneEvents deletes the events older than before.
func (s *Store) PruneEvents(before time.Time) error {
	if _, err := s.exec(`DELETE FROM events WHERE time < ?`, before.Unix()); err != nil {
		return fmt.Errorf("pruning the event log: %w", err)
	}
	return nil
}

// OverdueRequests returns the ids of requests still open (pending or
// waiting for a texted code) whose time ran out before now.
func (s *Store) OverdueRequests(now time.Time, limit int) ([]string, error) {
	ids, err := s.strings(`SELECT id FROM auth_requests WHERE status IN ('pending', 'code_sent') AND expires <= ? ORDER BY expires LIMIT ?`, now.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("looking for overdue requests: %w", err)
	}
	return ids, nil
}
