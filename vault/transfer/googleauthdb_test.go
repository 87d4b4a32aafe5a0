package transfer

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const gadbFile = "testdata/importers/google_authenticator.sqlite"

// The database holds the first six accounts of the README; it has no
// digits, period or algorithm: every account is SHA1, 6 digits, 30 s.
var gadbAccounts = []string{
	"totp|Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
	"totp|SPDX|James|5OM4WOOGPLQEF6UGN3CPEOOLWU|SHA1|6|30|0",
	"totp|Airbnb|Elijah|7ELGJSGXNCCTV3O6LKJWYFV2RA|SHA1|6|30|0",
	"hotp|Issuu|James|YOOMIXWS5GN6RTBPUFFWKTW5M4|SHA1|6|0|1",
	"hotp|Air Canada|Benjamin|KUVJJOM753IHTNDSZVCNKL7GII|SHA1|6|0|50",
	"hotp|WWE|Mason|5VAML3X35THCEBVRLV24CGBKOY|SHA1|6|0|10300",
}

// impTempDir points the private copies at a fresh directory and
// returns it, to check that nothing is left behind.
func impTempDir(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

func impNothingLeft(t *testing.T, dir string) {
	t.Helper()
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("the private copy was left behind: %v", left)
	}
}

func TestGoogleAuthenticatorDB(t *testing.T) {
	tmp := impTempDir(t)
	data := impRead(t, gadbFile)
	orig := bytes.Clone(data)
	info, _ := os.Stat(gadbFile)
	r, err := Decode(GoogleAuthenticatorDB, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	impCheckKeys(t, gadbFile, r, gadbAccounts)
	// The README's secrets and counters, with what Google cannot carry set
	// to its fixed values.
	for i, want := range impReadmeRows(1, 2, 3, 4, 5, 6) {
		w := strings.Split(want, "|")
		g := strings.Split(gadbAccounts[i], "|")
		if w[0] != g[0] || w[1] != g[1] || w[2] != g[2] || w[3] != g[3] || w[7] != g[7] {
			t.Errorf("row %d differs from the README beyond algorithm, digits and period: %s / %s", i+1, g, w)
		}
	}
	if len(r.Skipped) != 0 {
		t.Errorf("skipped: %+v", r.Skipped)
	}
	if !bytes.Equal(data, orig) {
		t.Error("the input was changed")
	}
	if after, _ := os.Stat(gadbFile); !after.ModTime().Equal(info.ModTime()) {
		t.Error("the test file was touched")
	}
	impNothingLeft(t, tmp)

	impCheckSniffOnly(t, "google-authenticator-db", sniffGoogleAuthenticatorDB, map[string]bool{gadbFile: false})
	impCheckDetect(t, GoogleAuthenticatorDB, map[string]bool{gadbFile: false})
	if GoogleAuthenticatorDB.AppName() != "Google Authenticator" || GoogleAuthenticatorDB.CanExport() {
		t.Error("app name or export")
	}
}

// TestGoogleAuthenticatorDBWAL: a database in WAL mode, copied without its
// -wal file, is read from its main file with a note that recent changes
// may be missing.
func TestGoogleAuthenticatorDBWAL(t *testing.T) {
	data := impRead(t, gadbFile)
	data[18], data[19] = 2, 2
	r, err := Decode(GoogleAuthenticatorDB, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	impCheckKeys(t, "WAL", r, gadbAccounts)
	if len(r.Skipped) != 1 || !strings.Contains(r.Skipped[0].Reason, "-wal") {
		t.Errorf("skipped: %+v", r.Skipped)
	}
}

// impMakeSQLite builds a database from SQL statements and returns its bytes.
func impMakeSQLite(t testing.TB, stmts ...string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

const gadbSchema = "CREATE TABLE accounts (_id INTEGER PRIMARY KEY, email TEXT NOT NULL, secret TEXT NOT NULL, counter INTEGER DEFAULT 0, type INTEGER, provider INTEGER DEFAULT 0, issuer TEXT DEFAULT NULL, original_name TEXT DEFAULT NULL)"

func TestGoogleAuthenticatorDBCases(t *testing.T) {
	// Issuers from the label when the column is empty, labels kept whole
	// when they do not start with the issuer, lower-case spaced secrets,
	// and a type Countersign does not have, skipped by name.
	data := impMakeSQLite(t, gadbSchema,
		`INSERT INTO accounts (_id, email, secret, counter, type, issuer) VALUES
			(3, 'GitHub:ada', 'jbsw y3dp ehpk 3pxp', 0, 0, NULL),
			(1, 'bob@example.com', 'GEZDGNBVGY3TQOJQ', 7, 1, 'Bank'),
			(2, 'Other:carol', 'MFRGGZDFMZTWQ2LK', 0, 7, 'Other'),
			(4, 'Work: dave ', 'JRZCL47CMXVOQMNPZR2F7J4RGI', NULL, NULL, 'Work')`)
	if ok, enc := sniffGoogleAuthenticatorDB(data); !ok || enc {
		t.Fatal("a Google schema made by SQLite is not recognised")
	}
	r, err := Decode(GoogleAuthenticatorDB, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	impCheckKeys(t, "cases", r, []string{
		"hotp|Bank|bob@example.com|GEZDGNBVGY3TQOJQ|SHA1|6|0|7",
		"totp|GitHub|ada|JBSWY3DPEHPK3PXP|SHA1|6|30|0",
		"totp|Work|dave|JRZCL47CMXVOQMNPZR2F7J4RGI|SHA1|6|30|0",
	})
	if len(r.Skipped) != 1 || r.Skipped[0].Label != "Other (carol)" || !strings.Contains(r.Skipped[0].Reason, "type 7") {
		t.Errorf("skipped: %+v", r.Skipped)
	}

	// An old version's table without the issuer column.
	data = impMakeSQLite(t, "CREATE TABLE accounts (_id INTEGER PRIMARY KEY, email TEXT NOT NULL, secret TEXT NOT NULL, counter INTEGER DEFAULT 0, type INTEGER, provider INTEGER DEFAULT 0)",
		`INSERT INTO accounts VALUES (1, 'ada@example.com', 'JBSWY3DPEHPK3PXP', 0, 0, 0)`)
	r, err = Decode(GoogleAuthenticatorDB, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	impCheckKeys(t, "old schema", r, []string{"totp||ada@example.com|JBSWY3DPEHPK3PXP|SHA1|6|30|0"})

	// All or nothing: a bad secret fails the import, naming the account
	// but not the secret.
	data = impMakeSQLite(t, gadbSchema,
		`INSERT INTO accounts (email, secret, type, issuer) VALUES ('a', 'JBSWY3DPEHPK3PXP', 0, 'A'), ('b', 'NOTBASE32SECRET!!', 0, 'B')`)
	_, err = Decode(GoogleAuthenticatorDB, data, nil)
	if err == nil || !strings.Contains(err.Error(), "account 2 (B (b))") || strings.Contains(err.Error(), "NOTBASE32") {
		t.Errorf("bad secret: %v", err)
	}

	// A view named accounts is not read (it could run anything).
	data = impMakeSQLite(t, "CREATE TABLE t (email TEXT NOT NULL, secret TEXT NOT NULL, type INTEGER)",
		"CREATE VIEW accounts AS SELECT * FROM t")
	if _, err := Decode(GoogleAuthenticatorDB, data, nil); err == nil || !strings.Contains(err.Error(), "view") {
		t.Errorf("view: %v", err)
	}

	// An empty table, values of the wrong type, a truncated file.
	for name, data := range map[string][]byte{
		"empty":      impMakeSQLite(t, gadbSchema),
		"bad type":   impMakeSQLite(t, gadbSchema, `INSERT INTO accounts (email, secret, type) VALUES ('a', 'JBSWY3DPEHPK3PXP', 'totp')`),
		"truncated":  impRead(t, gadbFile)[:5000],
		"header":     []byte(sqliteHeader),
		"not sqlite": []byte("hello"),
	} {
		_, err := Decode(GoogleAuthenticatorDB, data, nil)
		if err == nil || strings.Contains(err.Error(), "totp") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Decode(GoogleAuthenticatorDB, impMakeSQLite(t, "CREATE TABLE other (email, secret, type)"), nil); err == nil || !strings.Contains(err.Error(), "no accounts table") {
		t.Errorf("no accounts table: %v", err)
	}
}

// TestSQLiteSchemaSniff: the sniffers' reading of CREATE TABLE statements.
func TestSQLiteSchemaSniff(t *testing.T) {
	for _, c := range []struct {
		sql   string
		table string
		cols  []string
	}{
		{"CREATE TABLE accounts (a INTEGER, b TEXT)", "accounts", []string{"a", "b"}},
		{"create table if not exists \"Accounts\" (\"A\" int, [b c] text, `d` text default ('x,y'), PRIMARY KEY(a), CONSTRAINT k UNIQUE (b))", "accounts", []string{"a", "b c", "d"}},
		{"CREATE TABLE main.accounts(x CHECK (x > 0), y)", "accounts", []string{"x", "y"}},
	} {
		tables := sqliteSchemaTables([]byte(sqliteHeader + "...." + c.sql + "...."))
		if !sqliteHasColumns(tables, c.table, c.cols...) || len(tables[c.table]) != len(c.cols) {
			t.Errorf("%s: %v", c.sql, tables)
		}
	}
	for _, data := range []string{
		"CREATE TABLE accounts (email, secret, type)",               // no header
		sqliteHeader + "CREATE TABLE accounts (email, secret, type", // never closed
		sqliteHeader + "CREATE TABLE (email, secret, type)",         // no name
	} {
		if ok, _ := sniffGoogleAuthenticatorDB([]byte(data)); ok || len(sqliteSchemaTables([]byte(data))) != 0 {
			t.Errorf("%q: %v", data, sqliteSchemaTables([]byte(data)))
		}
	}
}

// TestSQLiteDSN: the private copy's name is escaped in the URI.
func TestSQLiteDSN(t *testing.T) {
	got := sqliteReadOnlyDSN("/tmp/a?b#c%d/x.db")
	if !strings.HasPrefix(got, "file:///tmp/a%3Fb%23c%25d/x.db?mode=ro&immutable=1&") {
		t.Error(got)
	}
	// A directory with those characters still works.
	dir := filepath.Join(t.TempDir(), "we?ird#dir%")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", dir)
	if _, err := Decode(GoogleAuthenticatorDB, impRead(t, gadbFile), nil); err != nil {
		t.Fatal(err)
	}
}

// FuzzGoogleAuthenticatorDB: any bytes are refused or read into valid
// keys, never a panic. Seeds: testdata/fuzz/FuzzGoogleAuthenticatorDB.
func FuzzGoogleAuthenticatorDB(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		sniffGoogleAuthenticatorDB(data)
		r, err := decodeGoogleAuthenticatorDB(data)
		if err != nil {
			return
		}
		if len(r.Keys) == 0 && len(r.Skipped) == 0 {
			t.Fatal("no error and nothing read")
		}
		for _, k := range r.Keys {
			if err := k.Validate(); err != nil {
				t.Fatalf("invalid key accepted: %v", err)
			}
		}
	})
}

// FuzzSQLiteSchema: the sniffers' schema reader on any bytes.
func FuzzSQLiteSchema(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, cols := range sqliteSchemaTables(data) {
			if name == "" || len(cols) == 0 {
				t.Fatalf("empty table %q %v", name, cols)
			}
		}
		sniffGoogleAuthenticatorDB(data)
	})
}
