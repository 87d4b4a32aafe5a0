package store

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/countersign/countersign/internal/pgtest"
)

// onPostgres: the tests open their stores (openTest, testDatabase) in
// PostgreSQL. TestMain runs the whole suite twice, on SQLite and then on
// PostgreSQL, so that every test, and every test added later, holds on
// both databases.
var onPostgres bool

func TestMain(m *testing.M) {
	flag.Parse()
	start := time.Now()
	code := m.Run()
	if flagSet("test.list") || flagSet("test.fuzz") {
		os.Exit(code) // listing or fuzzing: once is what was asked
	}
	sqliteTime := time.Since(start)
	fmt.Printf("store tests on SQLite: %v\n", sqliteTime.Round(time.Millisecond))
	onPostgres = true
	start = time.Now()
	fmt.Println("=== the same store tests on PostgreSQL (a private cluster, a schema per test)")
	if c := m.Run(); c != 0 {
		code = c
	}
	fmt.Printf("store tests on PostgreSQL: %v (SQLite: %v)\n", time.Since(start).Round(time.Millisecond), sqliteTime.Round(time.Millisecond))
	os.Exit(pgtest.Done(code))
}

func flagSet(name string) bool {
	f := flag.Lookup(name)
	return f != nil && f.Value.String() != ""
}

// testDatabase returns where a test's store lives: a new SQLite file, or
// the URL of a new PostgreSQL database (Open takes either).
func testDatabase(t testing.TB) string {
	t.Helper()
	if onPostgres {
		t.Log("on PostgreSQL")
		return pgtest.URL(t)
	}
	return filepath.Join(t.TempDir(), "countersign.db")
}
