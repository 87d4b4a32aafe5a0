package vault

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileStoreRoundTripAndPassphrase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.cs")
	s, err := OpenFileStore(path, []byte(testPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("a", []byte("seed-a")); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("b", []byte("seed-b")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode(), err)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("seed-b")) || bytes.Contains(raw, []byte(EncodeSecret([]byte("seed-b")))) {
		t.Fatal("the file holds a secret in clear")
	}

	again, err := OpenFileStore(path, []byte(testPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Get("b"); err != nil || string(got) != "seed-b" {
		t.Fatalf("Get(b) = %q, %v", got, err)
	}
	if _, err := again.Get("a"); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("Get(a) after delete: %v", err)
	}
	_, err = OpenFileStore(path, []byte("wrong"))
	if !errors.Is(err, ErrWrongPassphrase) || !strings.Contains(err.Error(), "check the passphrase") {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := OpenFileStore(path, nil); err == nil || !strings.Contains(err.Error(), "needs a passphrase") {
		t.Fatalf("empty passphrase: %v", err)
	}
}

// TestFileStoreDetectsEveryDamagedByte flips each byte of a real file in
// turn: every version must be refused, none may panic.
func TestFileStoreDetectsEveryDamagedByte(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets.cs")
	s, err := OpenFileStore(path, []byte(testPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("a", []byte("seed")); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	// Bytes 8..16 are the KDF cost: flipping them is refused by the bounds or
	// makes a different key; checking all of them would derive many keys, so
	// the loop covers the magic, salt, nonce and ciphertext, and one cost byte.
	for i := range good {
		if i >= 8 && i < 17 && i != 12 {
			continue
		}
		bad := bytes.Clone(good)
		bad[i] ^= 0x01
		if _, _, _, err := decryptFileStore(bad, []byte(testPassphrase)); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
	for _, n := range []int{0, 10, fileHeaderLen, len(good) - 1} {
		if _, _, _, err := decryptFileStore(good[:n], []byte(testPassphrase)); err == nil {
			t.Fatalf("a file truncated to %d bytes was accepted", n)
		}
	}
}

func TestFileStoreRefusesHostileCosts(t *testing.T) {
	h := fileHeader{Time: 1, Memory: 1 << 30, Threads: 1}
	raw := append(h.marshal(), make([]byte, 64)...)
	_, _, _, err := decryptFileStore(raw, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "out-of-range key-derivation parameters") {
		t.Fatalf("got %v", err)
	}
}

func FuzzFileStore(f *testing.F) {
	h := fileHeader{Time: 1, Memory: 8, Threads: 1}
	f.Add(append(h.marshal(), make([]byte, 60)...))
	f.Add([]byte("CSSECRT1"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		// Keep the fuzzer fast: cheap costs only (the bounds are tested above).
		if len(raw) >= 17 && (binary.BigEndian.Uint32(raw[8:]) != 1 || binary.BigEndian.Uint32(raw[12:]) > 64) {
			return
		}
		if _, _, _, err := decryptFileStore(raw, []byte("pw")); err == nil {
			t.Fatal("random data decrypted")
		}
	})
}
