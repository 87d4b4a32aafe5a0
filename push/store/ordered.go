package store

import (
	"fmt"
)

// execInIDOrder runs an INSERT into a table that readers follow by id
// (WHERE id > last ORDER BY id: the event log), so that the rows become
// visible in the order of their ids. SQLite has one writer at a time, so
// they do. PostgreSQL hands out ids when rows are inserted and shows them
// when their transactions commit, which concurrent writers do in any
// order: a reader could see id 11, move past it, and never read id 10,
// committed a moment later. There the inserts take turns on a lock held
// until their commit is visible. They do not wait for the disk
// (synchronous_commit off for these transactions only): a log entry lost
// with a crash of the database is what the readers' periodic re-check is
// for, and the turns stay short.
func (s *Store) execInIDOrder(query string, args ...any) error {
	if !s.pg {
		_, err := s.exec(query, args...)
		return err
	}
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SELECT pg_advisory_xact_lock(7301046279188)`); err != nil {
		return fmt.Errorf("waiting for the turn to append: %w", err)
	}
	if _, err := tx.Exec(`SET LOCAL synchronous_commit TO OFF`); err != nil {
		return err
	}
	if _, err := tx.Exec(query, args...); err != nil {
		return err
	}
	return tx.Commit()
}
