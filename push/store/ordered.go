package store

import (
	"fmt"
)

// appendInIDOrder runs an INSERT ... RETURNING id into a table that
// readers follow by id (WHERE id > last ORDER BY id: the event log, the
// notices), so that the rows become visible in the order of their ids, and
// returns the id. SQLite has one writer at a time, so they do. PostgreSQL
// hands out ids when rows are inserted and shows them when their
// transactions commit, which concurrent writers do in any order: a reader
// could see id 11, move past it, and never read id 10, committed a moment
// later. There the inserts take turns on a lock held until their commit is
// visible. They do not wait for the disk (synchronous_commit off for these
// transactions only): a row lost with a crash of the database is what the
// readers' periodic re-check is for, and the turns stay short. With
// PostgreSQL, notify (if not empty) runs in the same transaction: a
// NOTIFY is delivered when the row is committed, never before.
func (s *Store) appendInIDOrder(notify, query string, args ...any) (int64, error) {
	var id int64
	if !s.pg {
		// The writer runs one statement at a time, in order (batch.go).
		err := s.writeRow(query, args, &id)
		return id, err
	}
	tx, err := s.db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// The turn, and SET LOCAL synchronous_commit TO OFF, in one round trip.
	if _, err := tx.Exec(`SELECT pg_advisory_xact_lock(7301046279188), set_config('synchronous_commit', 'off', true)`); err != nil {
		return 0, fmt.Errorf("waiting for the turn to append: %w", err)
	}
	if err := tx.QueryRow(query, args...).Scan(&id); err != nil {
		return 0, err
	}
	if notify != "" {
		if _, err := tx.Exec(notify); err != nil {
			return 0, err
		}
	}
	return id, tx.Commit()
}
