// Package store is the Countersign server's storage: users, devices,
// activation codes, relying parties, sign-in requests, one-time-code state
// and the audit log, in an embedded SQLite database (modernc.org/sqlite, no
// cgo) or, for several servers sharing one, in PostgreSQL (OpenURL; pgx).
// The SQL is written once, in SQLite's dialect, and rewritten for
// PostgreSQL (pgsql.go). Every single-use transition (spending an
// activation code, deciding a request, accepting a time step) is one
// conditional UPDATE, so two racing writers, of one process or of several,
// cannot both win.
package store

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Errors of the store; callers match them with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Store is an open database.
type Store struct {
	db      *sql.DB
	stmts   sync.Map   // query text -> *sql.Stmt, prepared once
	writeMu sync.Mutex // one writer at a time (see exec); SQLite only
	// pg: the database is PostgreSQL, which has writers wait for each
	// other row by row (writeMu would only slow them down).
	pg bool
	// url is the PostgreSQL database's URL, for the event log's listener.
	url string
	// w runs SQLite's single-statement writes in batches (batch.go).
	w *writer
}

// lockWrites takes the process's write turn (SQLite; nothing to take with
// PostgreSQL) and returns its release: defer s.lockWrites()().
func (s *Store) lockWrites() func() {
	if s.pg {
		return func() {}
	}
	s.writeMu.Lock()
	return s.writeMu.Unlock
}

// prepared returns the prepared statement of query: SQLite then parses each
// query once, not at every call.
func (s *Store) prepared(query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.Prepare(query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// exec runs a writing statement. On SQLite the writer runs it, with the
// others that arrive meanwhile, in one transaction (batch.go); writes take
// turns in this process (writeMu) rather than in SQLite: a writer that
// finds SQLite's lock busy sleeps in its busy handler for milliseconds at a
// time, which under load turns into tens of milliseconds of tail latency.
func (s *Store) exec(query string, args ...any) (sql.Result, error) {
	if s.w != nil {
		return s.write(query, args)
	}
	st, err := s.prepared(query)
	if err != nil {
		return nil, err
	}
	defer s.lockWrites()()
	return st.Exec(args...)
}

func (s *Store) query(query string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(query)
	if err != nil {
		return nil, err
	}
	return st.Query(args...)
}

// queryRow is QueryRow on a prepared statement; a preparation error
// surfaces from Scan.
func (s *Store) queryRow(query string, args ...any) *sql.Row {
	st, err := s.prepared(query)
	if err != nil {
		return s.db.QueryRow(query, args...) // reports the same error at Scan
	}
	return st.QueryRow(args...)
}

// migrations are applied in order, each once; never edit one that shipped.
var migrations = []string{
	`CREATE TABLE users (
		name        TEXT PRIMARY KEY,
		blocked     INTEGER NOT NULL DEFAULT 0,
		require_mfa INTEGER NOT NULL DEFAULT 1,
		sealed_seed BLOB NOT NULL,
		created     INTEGER NOT NULL
	);
	CREATE TABLE devices (
		id          TEXT PRIMARY KEY,
		user        TEXT NOT NULL REFERENCES users(name),
		name        TEXT NOT NULL,
		public_key  BLOB NOT NULL,
		created     INTEGER NOT NULL,
		revoked     INTEGER
	);
	CREATE INDEX devices_user ON devices(user);
	CREATE TABLE activations (
		code_hash   BLOB PRIMARY KEY,
		user        TEXT NOT NULL REFERENCES users(name),
		token       TEXT NOT NULL UNIQUE,
		created     INTEGER NOT NULL,
		expires     INTEGER NOT NULL,
		used        INTEGER,
		device_id   TEXT,
		sealed_uri  BLOB
	);
	CREATE TABLE relying_parties (
		name           TEXT PRIMARY KEY,
		key_hash       BLOB NOT NULL UNIQUE,
		webhook_url    TEXT NOT NULL DEFAULT '',
		webhook_secret TEXT NOT NULL DEFAULT '',
		created        INTEGER NOT NULL
	);
	CREATE TABLE auth_requests (
		id          TEXT PRIMARY KEY,
		user        TEXT NOT NULL REFERENCES users(name),
		rp          TEXT NOT NULL,
		context     TEXT NOT NULL,
		number      TEXT NOT NULL,
		nonce       TEXT NOT NULL,
		status      TEXT NOT NULL,
		reason      TEXT NOT NULL DEFAULT '',
		created     INTEGER NOT NULL,
		expires     INTEGER NOT NULL,
		decided     INTEGER,
		decided_by  TEXT
	);
	CREATE INDEX auth_requests_user ON auth_requests(user, status);
	CREATE TABLE otp_state (
		user        TEXT PRIMARY KEY REFERENCES users(name),
		last_step   INTEGER NOT NULL DEFAULT -1,
		failures    INTEGER NOT NULL DEFAULT 0,
		last_failure INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE audit (
		id     INTEGER PRIMARY KEY AUTOINCREMENT,
		time   INTEGER NOT NULL,
		kind   TEXT NOT NULL,
		user   TEXT NOT NULL,
		detail TEXT NOT NULL
	);`,
	`CREATE TABLE settings (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);`,
	// 3: a seed per device (revoking a device ends its codes), devices that
	// wait for an approval from the user's other devices, enrollment tokens
	// kept as hashes, webhook secrets sealed, sign-in requests that name
	// their registered application and their purpose, notices to devices.
	`ALTER TABLE devices ADD COLUMN sealed_seed BLOB;
	ALTER TABLE devices ADD COLUMN kind TEXT NOT NULL DEFAULT 'app';
	ALTER TABLE devices ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE devices ADD COLUMN last_step INTEGER NOT NULL DEFAULT -1;
	ALTER TABLE devices ADD COLUMN notices_seen INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE activations ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';
	ALTER TABLE activations ADD COLUMN sealed_token BLOB;
	ALTER TABLE relying_parties ADD COLUMN sealed_webhook_secret BLOB;
	ALTER TABLE auth_requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'sign_in';
	ALTER TABLE auth_requests ADD COLUMN subject TEXT NOT NULL DEFAULT '';
	ALTER TABLE auth_requests ADD COLUMN application TEXT NOT NULL DEFAULT '';
	CREATE INDEX auth_requests_user_rp ON auth_requests(user, rp, created);
	CREATE TABLE notices (
		id     INTEGER PRIMARY KEY AUTOINCREMENT,
		user   TEXT NOT NULL REFERENCES users(name),
		time   INTEGER NOT NULL,
		kind   TEXT NOT NULL,
		text   TEXT NOT NULL
	);
	CREATE INDEX notices_user ON notices(user, id);`,
	schemaMethods, // 4: phones, methods, text-message codes, recovery codes (methods.go)
	schemaDuo,     // 5: Duo-compatible integration keys (duo.go)
	schemaConsole, // 6: administrators and their console sessions (console.go)
	schemaEvents,  // 7: the event log between server processes (events.go)
	schemaShared,  // 8: wrong-code counts and self-service sessions shared by server processes (shared.go)
}

// afterMigration are data changes that SQL alone cannot make, run in the
// same transaction right after the migration of that version.
var afterMigration = map[int]func(*sql.Tx) error{
	3: hashActivationTokens,
}

// Open opens (creating if needed) the SQLite database at path, or the
// PostgreSQL database of a postgres:// URL (see OpenURL), and brings its
// schema up to date.
func Open(path string) (*Store, error) {
	if IsPostgresURL(path) {
		return OpenURL(path)
	}
	// Owner-only from the start (SQLite gives its -wal and -shm files the
	// same mode): the audit log and the users are nobody else's business.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the database %s: %w", path, err)
	}
	f.Close()
	// The path goes into a file: URI, where '?' starts the query and '#'
	// the fragment: escaped, a data directory such as "/srv/#2" opens the
	// database in it, not in a file cut short at the '#'.
	uriPath := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	dsn := "file:" + uriPath + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-512)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening the database %s: %w", path, err)
	}
	// Each connection has its own page cache, 512 KiB for the readers
	// (cache_size above): every commit makes the other connections drop
	// theirs, so a larger one holds memory for little. The writer, whose
	// cache stays valid, gets more (startWriter).
	// A few connections serve SQLite well (one writer at a time anyway);
	// an unbounded pool would spend a file descriptor per connection under
	// load, and the server needs them for devices.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	s := &Store{db: db}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the database %s: %w", path, err)
	}
	if err := s.startWriter(); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening the database %s: %w", path, err)
	}
	return s, nil
}

// OpenURL opens a PostgreSQL database (postgres://user:password@host/db,
// or postgresql://...) and brings its schema up to date; several servers
// may share it.
func OpenURL(dbURL string) (*Store, error) {
	if !IsPostgresURL(dbURL) {
		return nil, fmt.Errorf("%q is no PostgreSQL URL: it starts postgres:// or postgresql://", RedactURL(dbURL))
	}
	db, err := openPostgres(dbURL)
	if err != nil {
		return nil, err
	}
	// Each connection is a PostgreSQL backend process: enough for the
	// requests in flight, not one per device.
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, pg: true, url: dbURL}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the PostgreSQL database %s: %w", RedactURL(dbURL), err)
	}
	return s, nil
}

// IsPostgresURL reports whether dbURL names a PostgreSQL database.
func IsPostgresURL(dbURL string) bool {
	return strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://")
}

// RedactURL returns a database URL without its password, for messages.
func RedactURL(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "(a database URL that does not parse)"
	}
	return u.Redacted()
}

// Postgres reports whether the database is PostgreSQL.
func (s *Store) Postgres() bool { return s.pg }

// Close closes the database.
func (s *Store) Close() error {
	s.stopWriter()
	s.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return s.db.Close()
}

func (s *Store) migrate() error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ddl := func(q string) string { return q }
	if s.pg {
		// One server migrates at a time; the others wait, then find the
		// schema up to date.
		if _, err := tx.Exec(`SELECT pg_advisory_xact_lock(7301046279187)`); err != nil {
			return fmt.Errorf("waiting for other servers' migrations: %w", err)
		}
		if _, err := tx.Exec(pgCompat); err != nil {
			return fmt.Errorf("defining SQLite's functions: %w", err)
		}
		ddl = pgDDL
	}
	if _, err := tx.Exec(ddl(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`)); err != nil {
		return err
	}
	var have int
	if err := tx.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return err
	}
	if have > len(migrations) {
		return fmt.Errorf("the database has schema version %d, newer than this server's %d: update countersignd", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if _, err := tx.Exec(ddl(migrations[v-1])); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if f := afterMigration[v]; f != nil {
			if err := f(tx); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
		}
		if _, err := tx.Exec(`INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, v, time.Now().Unix()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// SchemaVersion returns the version of the database schema.
func (s *Store) SchemaVersion() (int, error) {
	var v int
	err := s.db.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// Setting returns a stored server setting, or "" when it was never set.
func (s *Store) Setting(key string) (string, error) {
	var v string
	err := s.queryRow(`SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores a server setting, replacing its previous value.
func (s *Store) SetSetting(key, value string) error {
	if _, err := s.exec(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("saving setting %s: %w", key, err)
	}
	return nil
}

// SettingOnce stores a server setting unless it has a value already, in
// one statement (of racing first calls one stores its value), and returns
// the value the setting has then.
func (s *Store) SettingOnce(key, value string) (string, error) {
	if _, err := s.exec(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, key, value); err != nil {
		return "", fmt.Errorf("saving setting %s: %w", key, err)
	}
	return s.Setting(key)
}

func fromUnix(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0)
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") || pgCode(err) == "23505")
}
