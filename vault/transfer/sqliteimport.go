package transfer

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Helpers for the formats that are an app's own SQLite database (Google
// Authenticator's, Microsoft Authenticator's): a cheap look at the schema
// for sniffing, and a read-only private copy for decoding.

// sqliteHeader starts every SQLite 3 database file.
const sqliteHeader = "SQLite format 3\x00"

// sqliteSniffWindow bounds how much of a database the sniffers read: the
// schema of a small app database is on its first page (at most 64 KiB).
const sqliteSniffWindow = 64 << 10

// sqliteMaxRows bounds the accounts read from a database.
const sqliteMaxRows = 10000

// sqliteSchemaTables finds the CREATE TABLE statements in the first pages of
// an SQLite file and returns the column names of each table, both in lower
// case. It reads bytes only (no SQLite), so it is cheap and safe on any
// input; it returns nil for anything but an SQLite file. A schema too large
// for the first pages may be seen in part: the sniffers then say no.
func sqliteSchemaTables(data []byte) map[string][]string {
	if !bytes.HasPrefix(data, []byte(sqliteHeader)) {
		return nil
	}
	window := data[:min(len(data), sqliteSniffWindow)]
	lower := bytes.ToLower(window)
	tables := map[string][]string{}
	const create = "create table"
	for at := 0; ; {
		i := bytes.Index(lower[at:], []byte(create))
		if i < 0 {
			break
		}
		at += i + len(create)
		name, cols, ok := parseCreateTable(string(lower[at:min(len(lower), at+8192)]))
		if ok {
			if _, seen := tables[name]; !seen {
				tables[name] = cols
			}
		}
	}
	return tables
}

// parseCreateTable reads what follows "CREATE TABLE": an optional IF NOT
// EXISTS, the table's name (bare or quoted, perhaps schema-qualified), and
// its column definitions in parentheses. Table constraints are left out.
func parseCreateTable(s string) (name string, cols []string, ok bool) {
	s = strings.TrimLeft(s, " \t\r\n")
	if rest, found := strings.CutPrefix(s, "if not exists"); found {
		s = strings.TrimLeft(rest, " \t\r\n")
	}
	for {
		var part string
		part, s, ok = sqlIdent(s)
		if !ok {
			return "", nil, false
		}
		name = part
		s = strings.TrimLeft(s, " \t\r\n")
		if !strings.HasPrefix(s, ".") {
			break
		}
		s = strings.TrimLeft(s[1:], " \t\r\n")
	}
	if !strings.HasPrefix(s, "(") {
		return "", nil, false
	}
	s = s[1:]
	// Split the definitions at the commas outside parentheses and quotes.
	var defs []string
	depth, start := 0, 0
	var quote byte
	closed := false
scan:
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '[':
			quote = ']'
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == ')':
			defs = append(defs, s[start:i])
			closed = true
			break scan
		case c == ',' && depth == 0:
			defs = append(defs, s[start:i])
			start = i + 1
		}
	}
	if !closed {
		return "", nil, false
	}
	for _, d := range defs {
		d = strings.TrimLeft(d, " \t\r\n")
		col, _, ok := sqlIdent(d)
		if !ok {
			continue
		}
		switch col {
		case "constraint", "primary", "unique", "check", "foreign":
			if !strings.ContainsAny(d[:1], "\"`[") {
				continue // a table constraint, not a column
			}
		}
		cols = append(cols, col)
	}
	return name, cols, len(cols) > 0
}

// sqlIdent reads an SQL identifier, bare or in double quotes, backticks,
// square brackets or single quotes.
func sqlIdent(s string) (ident, rest string, ok bool) {
	if s == "" {
		return "", "", false
	}
	closing := map[byte]byte{'"': '"', '`': '`', '[': ']', '\'': '\''}[s[0]]
	if closing != 0 {
		end := strings.IndexByte(s[1:], closing)
		if end < 0 {
			return "", "", false
		}
		return s[1 : 1+end], s[2+end:], end > 0
	}
	end := 0
	for end < len(s) {
		c := s[end]
		if !(c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80) {
			break
		}
		end++
	}
	return s[:end], s[end:], end > 0
}

// sqliteHasColumns reports whether table has every one of cols.
func sqliteHasColumns(tables map[string][]string, table string, cols ...string) bool {
	have, ok := tables[table]
	if !ok {
		return false
	}
	for _, c := range cols {
		found := false
		for _, h := range have {
			if h == c {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// sqliteSnapshot is a private, read-only copy of a database given as bytes.
type sqliteSnapshot struct {
	db   *sql.DB
	path string
	// WAL: the file was in write-ahead-log mode; its -wal file, which may
	// hold the latest changes, was not given.
	WAL bool
}

// openSQLiteSnapshot writes data to a private temporary file (mode 0600)
// and opens it read-only and immutable, with SQLite's defences against a
// hostile database on. The caller closes it, which removes the file. The
// user's own file is never opened.
func openSQLiteSnapshot(data []byte, app string) (*sqliteSnapshot, error) {
	if !bytes.HasPrefix(data, []byte(sqliteHeader)) || len(data) < 100 {
		return nil, fmt.Errorf("this is not an SQLite database, so not %s's", app)
	}
	copyData := bytes.Clone(data)
	s := &sqliteSnapshot{}
	// Bytes 18 and 19 are 2 in a database in WAL mode. The -wal file is not
	// there: read the main file alone, as a database in rollback mode.
	if copyData[18] == 2 || copyData[19] == 2 {
		s.WAL = true
		copyData[18], copyData[19] = 1, 1
	}
	f, err := os.CreateTemp("", "countersign-import-*.db")
	if err != nil {
		return nil, fmt.Errorf("making a private copy of the %s database: %w", app, err)
	}
	s.path = f.Name()
	_, werr := f.Write(copyData)
	if err := errors.Join(f.Chmod(0o600), werr, f.Close()); err != nil {
		os.Remove(s.path)
		return nil, fmt.Errorf("making a private copy of the %s database: %w", app, err)
	}
	clear(copyData)
	s.db, err = sql.Open("sqlite", sqliteReadOnlyDSN(s.path))
	if err != nil {
		os.Remove(s.path)
		return nil, fmt.Errorf("opening the %s database: %w", app, err)
	}
	s.db.SetMaxOpenConns(1)
	return s, nil
}

// sqliteReadOnlyDSN is the URI that opens path read-only and immutable (no
// journal, no lock, no write), with defensive mode and untrusted schemas.
func sqliteReadOnlyDSN(path string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	p = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(p)
	return "file://" + p + "?mode=ro&immutable=1&_defensive=1&_pragma=trusted_schema(0)&_query_only=1"
}

// Close closes the database and removes the private copy.
func (s *sqliteSnapshot) Close() error {
	return errors.Join(s.db.Close(), os.Remove(s.path))
}

// columns returns the lower-case column names of a table, or an error if
// the table is missing or is not a plain table (a view could run anything).
func (s *sqliteSnapshot) columns(ctx context.Context, table string) (map[string]bool, error) {
	var kind string
	err := s.db.QueryRowContext(ctx, "SELECT type FROM sqlite_schema WHERE name = ? COLLATE NOCASE AND type IN ('table', 'view')", table).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("there is no %s table", table)
	}
	if err != nil {
		return nil, err
	}
	if kind != "table" {
		return nil, fmt.Errorf("%s is a %s, not a table", table, kind)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		cols[strings.ToLower(name)] = true
	}
	return cols, rows.Err()
}

// sqliteTimeout bounds the reading of a database.
const sqliteTimeout = 30 * time.Second

// sqliteColumnOr returns col if the table has it, else the SQL literal def,
// for reading databases of older app versions that lack a column.
func sqliteColumnOr(cols map[string]bool, col, def string) string {
	if cols[col] {
		return `"` + col + `"`
	}
	return def
}

// sqliteInt reads an integer column scanned as text (so that a damaged
// value's error holds no data): NULL is 0.
func sqliteInt(v sql.NullString, account int, label, column string) (int64, error) {
	if !v.Valid {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v.String), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("account %d (%s): its %s is not a whole number; the database is damaged: copy it again", account, label, column)
	}
	return n, nil
}

// sqliteWALNote is the note of a database copied without its -wal file.
func sqliteWALNote(app string) Skipped {
	return Skipped{Label: "latest changes", Reason: "the " + app + " database was in WAL mode and its -wal file was not given: accounts added or changed since the app last wrote them to the main file may be missing: compare the list with the app"}
}

// sqliteAccountsRead closes the import of an app's accounts table: the
// rows' error, the WAL note, and a database with nothing in it.
func sqliteAccountsRead(app string, r Result, rowsErr error, wal bool) (Result, error) {
	if rowsErr != nil {
		return Result{}, fmt.Errorf("reading %s's accounts: %w; the database may be damaged: copy it again", app, rowsErr)
	}
	if wal {
		r.Skipped = append(r.Skipped, sqliteWALNote(app))
	}
	if len(r.Keys) == 0 && len(r.Skipped) == 0 {
		return Result{}, fmt.Errorf("this %s database holds no account", app)
	}
	return r, nil
}
