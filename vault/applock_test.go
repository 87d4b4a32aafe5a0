package vault

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestAppLockVerifierInTheKeyring: the app lock keeps only an Argon2id
// verifier in the OS keyring, never the passphrase; changing or removing
// it needs the current one.
func TestAppLockVerifierInTheKeyring(t *testing.T) {
	s := keyringForTest(t)
	t.Cleanup(func() { s.Delete(AppLockID) })
	v, err := Open(t.TempDir(), s)
	if err != nil {
		t.Fatal(err)
	}
	if has, err := v.HasLock(); has || err != nil {
		t.Fatalf("a new vault has a lock: %v, %v", has, err)
	}
	const pass = "correct horse battery staple"
	if err := v.SetLock(nil, []byte(pass)); err != nil {
		t.Fatal(err)
	}
	// What the keyring holds, as its own client sees it.
	out, err := exec.Command("secret-tool", "lookup", "service", s.service, "username", AppLockID).Output()
	if err != nil {
		t.Fatalf("secret-tool lookup: %v", err)
	}
	raw, err := secretEncoding.DecodeString(string(out))
	if err != nil {
		t.Fatalf("the keyring item %q is not base32: %v", out, err)
	}
	for _, held := range [][]byte{out, raw} {
		if bytes.Contains(bytes.ToLower(held), []byte("horse")) || bytes.Contains(held, []byte(EncodeSecret([]byte(pass)))) {
			t.Fatalf("the keyring holds the passphrase: %q", held)
		}
	}
	l, err := ParseLockVerifier(string(raw))
	if err != nil || !strings.HasPrefix(string(raw), "$argon2id$v=19$m=65536,t=3,p=4$") || len(l.Salt) != 16 || len(l.Hash) != 32 {
		t.Fatalf("verifier %q: %+v, %v", raw, l, err)
	}
	if ok, err := v.CheckLock([]byte(pass)); !ok || err != nil {
		t.Fatalf("the right passphrase: %v, %v", ok, err)
	}
	if ok, err := v.CheckLock([]byte(pass + " ")); ok || err != nil {
		t.Fatalf("a wrong passphrase: %v, %v", ok, err)
	}
	// A second verifier of the same passphrase has another salt and hash.
	l2, _ := NewLockVerifier([]byte(pass))
	if bytes.Equal(l2.Salt, l.Salt) || bytes.Equal(l2.Hash, l.Hash) || !l2.Matches([]byte(pass)) {
		t.Fatal("verifiers must be salted")
	}
	// Changing or removing needs the current passphrase.
	if err := v.SetLock([]byte("guess"), []byte("new one")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("change with a wrong current passphrase: %v", err)
	}
	if err := v.SetLock([]byte("guess"), nil); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("removal with a wrong current passphrase: %v", err)
	}
	if err := v.SetLock([]byte(pass), []byte("new one")); err != nil {
		t.Fatal(err)
	}
	if ok, _ := v.CheckLock([]byte(pass)); ok {
		t.Fatal("the old passphrase still unlocks")
	}
	if ok, _ := v.CheckLock([]byte("new one")); !ok {
		t.Fatal("the new passphrase does not unlock")
	}
	if err := v.SetLock([]byte("new one"), nil); err != nil {
		t.Fatal(err)
	}
	if has, err := v.HasLock(); has || err != nil {
		t.Fatalf("after removal: %v, %v", has, err)
	}
	if _, err := v.CheckLock([]byte("new one")); !errors.Is(err, ErrLockNotSet) {
		t.Fatalf("check without a lock: %v", err)
	}
}

func TestParseLockVerifierRefusesHostileParameters(t *testing.T) {
	for _, s := range []string{
		"", "correct horse", "$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=999,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=3,p=0$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$",
	} {
		if _, err := ParseLockVerifier(s); err == nil {
			t.Errorf("ParseLockVerifier(%q) accepted it", s)
		}
	}
	l, err := NewLockVerifier([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseLockVerifier(l.String())
	if err != nil || !back.Matches([]byte("x")) || back.Matches([]byte("y")) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := NewLockVerifier(nil); err == nil {
		t.Fatal("an empty passphrase was accepted")
	}
}
