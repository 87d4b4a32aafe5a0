package vault

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// keyringForTest returns a store on the real OS keyring under a service name
// of its own. The test fails, with the command to get one, when no keyring
// is reachable: `make test` runs the suite with an unlocked gnome-keyring.
func keyringForTest(t *testing.T) *KeyringStore {
	t.Helper()
	s := NewKeyringStore(fmt.Sprintf("countersign-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := s.Check(); err != nil {
		t.Fatalf("no OS keyring for this test: %v\nrun the tests with `make test`, or under scripts/with-keyring.sh", err)
	}
	return s
}

func TestKeyringStoreRoundTrip(t *testing.T) {
	s := keyringForTest(t)
	secret := []byte{0, 1, 2, 0xfe, 0xff, 'x'}
	if err := s.Set("acct-1", secret); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Delete("acct-1") })
	got, err := s.Get("acct-1")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Get = %x, %v; want %x", got, err, secret)
	}
	// The item is visible to the Secret Service's own client under our service name.
	out, err := exec.Command("secret-tool", "lookup", "service", s.service, "username", "acct-1").Output()
	if err != nil {
		t.Fatalf("secret-tool lookup: %v (apt-get install libsecret-tools)", err)
	}
	if string(out) != EncodeSecret(secret) {
		t.Fatalf("secret-tool sees %q, want %q", out, EncodeSecret(secret))
	}
	if err := s.Delete("acct-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("acct-1"); err != nil {
		t.Fatalf("deleting a missing item: %v", err)
	}
	if _, err := s.Get("acct-1"); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
}

func TestVaultWithKeyring(t *testing.T) {
	s := keyringForTest(t)
	v, err := Open(t.TempDir(), s)
	if err != nil {
		t.Fatal(err)
	}
	a, err := v.Add(mustParse(t, "otpauth://totp/RFC:sha256?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA&algorithm=SHA256&digits=8"))
	if err != nil {
		t.Fatal(err)
	}
	v.Close() // forget the cache: the next read goes to the keyring
	c, err := v.Code(a.ID, time.Unix(1111111109, 0))
	if err != nil || c.Value != "68084774" {
		t.Fatalf("code from the keyring: %+v, %v; want 68084774 (RFC 6238)", c, err)
	}
	if err := v.Delete(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(a.ID); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("secret left in the keyring after Delete: %v", err)
	}
}

// TestKeyringUnavailable runs a child with no reachable session bus: every
// call must fail with ErrKeyringUnavailable and a message naming the fix.
func TestKeyringUnavailable(t *testing.T) {
	if os.Getenv("COUNTERSIGN_TEST_NO_KEYRING") == "1" {
		err := NewKeyringStore("countersign-test-none").Check()
		if !errors.Is(err, ErrKeyringUnavailable) {
			fmt.Printf("want ErrKeyringUnavailable, got %v\n", err)
			os.Exit(3)
		}
		fmt.Println(err)
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKeyringUnavailable$")
	cmd.Env = append(os.Environ(), "COUNTERSIGN_TEST_NO_KEYRING=1",
		"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/countersign-bus", "DISPLAY=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	msg := string(out)
	for _, want := range []string{"the OS keyring is not available", "unlock your desktop keyring", "--store file"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}
