package server

import (
	"bytes"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/countersign/countersign/push/duoauth"
	"github.com/countersign/countersign/push/store"
)

func openQuiet(t *testing.T, dir string) *Server {
	t.Helper()
	s, err := Open(dir, Config{PublicURL: "https://cs.example.com:8443", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDuoCredentials: a relying party gets an API key and Duo keys of
// Duo's shapes; the secret key is stored sealed, never in clear, and opens
// for its integration key only.
func TestDuoCredentials(t *testing.T) {
	dir := t.TempDir()
	s := openQuiet(t, dir)
	c, err := s.NewRelyingParty("shop", RelyingPartyOptions{ApproveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^DI[A-Z0-9]{18}$`).MatchString(c.IKey) || !regexp.MustCompile(`^[A-Za-z0-9]{40}$`).MatchString(c.SKey) ||
		!regexp.MustCompile(`^cs_`).MatchString(c.APIKey) || c.APIHostname != "cs.example.com:8443" || c.Name != "shop" {
		t.Fatalf("credentials %+v", c)
	}
	other, _ := s.NewRelyingParty("intranet", RelyingPartyOptions{})
	if other.IKey == c.IKey || other.SKey == c.SKey {
		t.Fatal("two relying parties share a key")
	}
	if got, err := s.duoSecret(c.IKey); err != nil || string(got) != c.SKey {
		t.Fatalf("secret of %s: %q %v", c.IKey, got, err)
	}
	if _, err := s.duoSecret("DINOSUCHKEY000000000"); !errors.Is(err, duoauth.ErrUnknownIKey) {
		t.Fatalf("unknown integration key: %v", err)
	}
	rp, err := s.store.RelyingParty("shop")
	if err != nil || !rp.ApproveOnly || rp.IKey != c.IKey {
		t.Fatalf("stored %+v %v", rp, err)
	}
	// The sealed key does not open as another relying party's.
	if _, err := s.keys.openSeed(duoSkeyAD("intranet"), rp.SealedSKey); err == nil {
		t.Fatal("shop's sealed secret key opened as intranet's")
	}
	s.Close()
	raw, err := os.ReadFile(filepath.Join(dir, DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(c.SKey)) || bytes.Contains(raw, []byte(c.APIKey)) {
		t.Fatal("the database holds a secret key or an API key in clear")
	}
}

// TestDuoKeysMigration: a relying party stored without Duo keys (made
// before schema 5) gets them when the server opens, once.
func TestDuoKeysMigration(t *testing.T) {
	dir := t.TempDir()
	s := openQuiet(t, dir)
	if err := s.store.AddRelyingParty(store.RelyingParty{Name: "legacy", KeyHash: []byte("h"), Created: s.cfg.Now()}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openQuiet(t, dir)
	ikey, skey, err := s.DuoCredentials("legacy")
	if err != nil || len(ikey) != 20 || len(skey) != 40 {
		t.Fatalf("after opening: %q %q %v", ikey, skey, err)
	}
	s.Close()
	s = openQuiet(t, dir)
	defer s.Close()
	if again, _, _ := s.DuoCredentials("legacy"); again != ikey {
		t.Fatalf("the integration key changed at the next opening: %s then %s", ikey, again)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	db.QueryRow(`SELECT COUNT(*) FROM relying_parties WHERE ikey IS NULL OR sealed_skey IS NULL`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d relying parties without Duo keys", n)
	}
}
