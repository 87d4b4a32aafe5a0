package store

import (
	"fmt"
	"strings"
)

// appendInIDOrder inserts a row into a table that readers follow by id
// (WHERE id > last ORDER BY id: the event log, the notices), so that the
// rows become visible in the order of their ids, and returns its id.
// columns names the columns args fill, in order. table and columns are
// written into the SQL as they are: constants of the store's own code
// only, never outside input.
//
// SQLite has one writer at a time, so they do. PostgreSQL hands out ids
// when rows are inserted and shows them when their transactions commit,
// which concurrent writers do in any order: a reader could see id 11,
// move past it, and never read id 10, committed a moment later. There the
// appends take turns on a lock held until their commit is visible, and
// the id is drawn after the lock is taken. They do not wait for the disk
// (synchronous_commit off for these transactions only): a row lost with a
// crash of the database is what the readers' periodic re-check is for.
// With PostgreSQL, notify (if not empty) runs in the same transaction: a
// NOTIFY is delivered when the row is committed, never before.
//
// On PostgreSQL it is one statement, in a transaction of its own: the
// turn is held while the server runs it and commits, never across a
// round trip to this process (it was five round trips, the turn held
// for three of them, which made the appends of all instances wait in
// line behind each other's network latency).
func (s *Store) appendInIDOrder(notify, table, columns string, args ...any) (int64, error) {
	params := placeholders(len(args))
	var id int64
	if !s.pg {
		// The writer runs one statement at a time, in order (batch.go).
		query := fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s) RETURNING id`, table, columns, params)
		err := s.writeRow(query, args, &id)
		return id, err
	}
	// The turn and SET LOCAL synchronous_commit TO OFF come first, in the
	// subquery that draws the id: the id is drawn once the turn is ours
	// (PostgreSQL neither folds a subquery of volatile functions into its
	// parent nor drops its unused outputs). The hidden rowid column
	// (pgDDL) is drawn before the turn; nothing reads the log by it.
	query := fmt.Sprintf(`WITH appended AS (
		INSERT INTO %[1]s (id, %[2]s) VALUES ((SELECT nextval(pg_get_serial_sequence('%[1]s', 'id'))
			FROM (SELECT pg_advisory_xact_lock(7301046279188), set_config('synchronous_commit', 'off', true)) AS turn), %[3]s)
		RETURNING id)`, table, columns, params)
	if notify != "" {
		query += `, woken AS (` + notify + ` FROM appended)
		SELECT appended.id FROM appended, woken`
	} else {
		query += ` SELECT id FROM appended`
	}
	if err := s.queryRow(query, args...).Scan(&id); err != nil {
		return 0, err
	}
	return id, nil
}

// placeholders is n parameters of a statement: "?, ?, ?" for 3.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
