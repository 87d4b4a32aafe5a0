package authenticator

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/countersign/countersign/vault"
)

// testVault opens a real vault in a temp dir whose secrets are in the OS
// keyring, under a service name of its own, and adds the accounts of uris.
// The test fails, with the command to get one, when no keyring is
// reachable: `make test` runs the suite with an unlocked gnome-keyring.
func testVault(t *testing.T, uris ...string) *vault.Vault {
	t.Helper()
	store := vault.NewKeyringStore(fmt.Sprintf("countersign-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := store.Check(); err != nil {
		t.Fatalf("no OS keyring for this test: %v\nrun the tests with `make test`, or under scripts/with-keyring.sh", err)
	}
	v, err := vault.Open(t.TempDir(), store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	for _, uri := range uris {
		if _, err := v.Add(key(t, uri)); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// key parses an otpauth:// URI.
func key(t *testing.T, uri string) vault.Key {
	t.Helper()
	k, err := vault.ParseURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// accountLabels are the labels of the accounts of v, in order.
func accountLabels(v *vault.Vault) []string {
	var l []string
	for _, a := range v.Accounts() {
		l = append(l, a.Label())
	}
	return l
}
