package pgtest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// One cluster per test binary, started by the first test that asks for a
// database and stopped by Main.
var shared struct {
	once    sync.Once
	cluster *Cluster
	err     error
}

// cluster returns the test binary's cluster, started at the first call;
// it fails the test, with the reason, when PostgreSQL cannot be started.
func cluster(t testing.TB) *Cluster {
	t.Helper()
	shared.once.Do(func() { shared.cluster, shared.err = Start() })
	if shared.err != nil {
		t.Fatalf("starting a private PostgreSQL cluster: %v", shared.err)
	}
	return shared.cluster
}

// URL returns the URL of a new, empty schema (see Cluster.NewSchema) in
// the test binary's cluster, dropped when the test ends. The test
// package's TestMain must call Main (or Done).
func URL(t testing.TB) string {
	t.Helper()
	c := cluster(t)
	u, err := c.NewSchema()
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := c.DropSchema(u); err != nil {
			t.Errorf("%v", err)
		}
	})
	return u
}

// DatabaseURL returns the URL of a new, empty database, dropped when the
// test ends: slower than URL (a second), for tests of what PostgreSQL
// keeps per database (LISTEN/NOTIFY, advisory locks).
func DatabaseURL(t testing.TB) string {
	t.Helper()
	u, err := cluster(t).NewDatabase()
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := shared.cluster.DropDatabase(u); err != nil {
			t.Errorf("%v", err)
		}
	})
	return u
}

// Main runs the tests and then stops the cluster if one was started; use
// it as func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
func Main(m *testing.M) int {
	return Done(m.Run())
}

// Done stops the cluster if one was started, and returns code, or 1 if
// stopping failed; for a TestMain that calls m.Run itself.
func Done(code int) int {
	if shared.cluster != nil {
		if err := shared.cluster.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the test PostgreSQL cluster: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}
