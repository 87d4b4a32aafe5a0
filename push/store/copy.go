package store

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// CopyTo copies every row of this SQLite store into dst, an empty
// PostgreSQL store at the same schema version, in one transaction on each
// side: a consistent snapshot of the source, all or nothing in dst. Tables
// go parents first (by their foreign keys), rows in their order of
// insertion; ids are kept, and dst's id sequences continue after them.
// It returns how many rows it copied.
func (s *Store) CopyTo(dst *Store) (int, error) {
	if s.pg || !dst.pg {
		return 0, errors.New("copying goes from a SQLite store into a PostgreSQL one")
	}
	from, err := s.SchemaVersion()
	if err != nil {
		return 0, err
	}
	to, err := dst.SchemaVersion()
	if err != nil {
		return 0, err
	}
	if from != to {
		return 0, fmt.Errorf("the SQLite database has schema version %d and the PostgreSQL one %d: open both with the same countersignd", from, to)
	}
	src, err := s.db.Begin()
	if err != nil {
		return 0, err
	}
	defer src.Rollback()
	tables, err := sqliteTablesParentsFirst(src)
	if err != nil {
		return 0, fmt.Errorf("listing the tables: %w", err)
	}
	tx, err := dst.db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var existing int
	if err := tx.QueryRow(`SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM relying_parties)`).Scan(&existing); err != nil {
		return 0, err
	}
	if existing > 0 {
		return 0, errors.New("the PostgreSQL database has users or applications already: copy into an empty one (a new database, opened once by countersignd)")
	}
	copied := 0
	for _, table := range tables {
		n, err := copyTable(src, tx, table)
		if err != nil {
			return 0, fmt.Errorf("copying table %s: %w", table, err)
		}
		copied += n
	}
	return copied, tx.Commit()
}

// sqliteTablesParentsFirst lists the store's tables (not the schema
// version's) so that a table comes after those its foreign keys name.
func sqliteTablesParentsFirst(tx *sql.Tx) ([]string, error) {
	rows, err := tx.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	parents := map[string][]string{}
	for _, n := range names {
		rows, err := tx.Query(`SELECT "table" FROM pragma_foreign_key_list(?)`, n)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return nil, err
			}
			if p != n {
				parents[n] = append(parents[n], p)
			}
		}
		rows.Close()
	}
	var out []string
	done := map[string]bool{}
	var visit func(n string, path map[string]bool) error
	visit = func(n string, path map[string]bool) error {
		if done[n] {
			return nil
		}
		if path[n] {
			return fmt.Errorf("the foreign keys of %s go round in a circle", n)
		}
		path[n] = true
		for _, p := range parents[n] {
			if err := visit(p, path); err != nil {
				return err
			}
		}
		done[n] = true
		out = append(out, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n, map[string]bool{}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// copyTable copies the rows of one table, in rowid order (the order of
// insertion), and moves dst's identity sequence past the copied ids.
func copyTable(src, dst *sql.Tx, table string) (int, error) {
	rows, err := src.Query(`SELECT * FROM "` + table + `" ORDER BY rowid`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + c + `"`
	}
	insert := `INSERT INTO "` + table + `" (` + strings.Join(quoted, ", ") + `) VALUES (` + placeholders(len(cols)) + `)`
	n := 0
	for rows.Next() {
		values := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range values {
			ptrs[i] = &values[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return 0, err
		}
		for i, v := range values {
			// An empty blob reads as a nil slice, which pgx would write as
			// NULL.
			if b, ok := v.([]byte); ok && b == nil {
				values[i] = []byte{}
			}
		}
		if _, err := dst.Exec(insert, values...); err != nil {
			return 0, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	// A table whose id is an identity column: new rows continue after the
	// copied ones.
	if !slices.Contains(cols, "id") {
		return n, nil
	}
	var seq sql.NullString
	if err := dst.QueryRow(`SELECT pg_get_serial_sequence(?, 'id')`, table).Scan(&seq); err != nil {
		return 0, err
	}
	if seq.Valid {
		if _, err := dst.Exec(`SELECT setval(?, COALESCE((SELECT MAX(id) FROM "`+table+`"), 0) + 1, false)`, seq.String); err != nil {
			return 0, err
		}
	}
	return n, nil
}
