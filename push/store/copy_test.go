package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/countersign/countersign/internal/pgtest"
	"github.com/countersign/countersign/push"
)

// TestCopySQLiteToPostgreSQL fills a SQLite store through its methods,
// copies it into an empty PostgreSQL store, and reads the same back there;
// new rows continue the ids; a second copy into the same database is
// refused. (It uses both databases, in either pass of the suite.)
func TestCopySQLiteToPostgreSQL(t *testing.T) {
	src, err := Open(filepath.Join(t.TempDir(), "countersign.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	now := t0.Add(time.Hour)
	mustDo(t, src.AddUser(User{Name: "ada", RequireMFA: true, SealedSeed: []byte{}, Created: t0}))
	mustDo(t, src.AddUser(User{Name: "bob", Blocked: true, Created: t0}))
	mustDo(t, src.SetPhone("ada", "+14155550123"))
	mustDo(t, src.AddMethod("ada", "sms", t0))
	mustDo(t, src.AddDevice(Device{ID: "d2", User: "ada", Name: "second", Kind: KindApp, PublicKey: []byte{1, 2}, SealedSeed: []byte{0, 255}, Created: t0}))
	mustDo(t, src.AddDevice(Device{ID: "d1", User: "ada", Name: "first", Kind: KindOTP, PublicKey: []byte{}, Pending: true, Created: t0}))
	mustDo(t, src.AddRelyingParty(RelyingParty{Name: "mail", KeyHash: []byte("kh"), WebhookURL: "https://mail.example/hook", SealedWebhookSecret: []byte("sws"), Created: t0, IKey: "DIXXXXXXXXXXXXXXXXXX", SealedSKey: []byte("ssk"), ApproveOnly: true}))
	mustDo(t, src.AddAuthRequest(AuthRequest{Request: push.Request{ID: "r1", User: "ada", Nonce: "n", Context: push.Context{App: "Mail"}, CreatedAt: t0, ExpiresAt: now}, RP: "mail", Number: "42"}))
	if ok, err := src.Decide("r1", push.StatusApproved, "", "d2", t0.Add(time.Second)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	mustDo(t, src.Audit(AuditEvent{Time: t0, Kind: AuditAuthentication, User: "ada", Application: "mail", Method: "push", Result: "approved", Detail: map[string]string{"rp": "mail"}}))
	if _, err := src.AddNotice(Notice{User: "ada", Time: t0, Kind: "device_added", Text: "second"}); err != nil {
		t.Fatal(err)
	}
	mustDo(t, src.AddAdmin(Admin{Name: "ada", PasswordHash: "$argon2id$x", Created: t0}))
	mustDo(t, src.ReplaceRecoveryCodes("ada", [][]byte{[]byte("rc1"), []byte("rc2")}, t0))
	mustDo(t, src.SetSetting("public_url", "https://cs.example.com"))

	dst, err := OpenURL(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	n, err := src.CopyTo(dst)
	if err != nil {
		t.Fatal(err)
	}
	if n < 15 {
		t.Errorf("copied %d rows", n)
	}
	for _, c := range []struct {
		what string
		read func(*Store) (any, error)
	}{
		{"users", func(s *Store) (any, error) { return s.Users() }},
		{"ada", func(s *Store) (any, error) { return s.User("ada") }},
		{"devices in their order", func(s *Store) (any, error) { return s.Devices("ada") }},
		{"methods", func(s *Store) (any, error) { return s.Methods("ada") }},
		{"the application", func(s *Store) (any, error) { return s.RelyingPartyByIKey("DIXXXXXXXXXXXXXXXXXX") }},
		{"the request", func(s *Store) (any, error) { return s.AuthRequest("r1") }},
		{"the audit log", func(s *Store) (any, error) { return s.AuditPage(AuditFilter{}, 10) }},
		{"the notices", func(s *Store) (any, error) { return s.UnseenNotices("d2") }},
		{"the administrators", func(s *Store) (any, error) { return s.Admins() }},
		{"the recovery codes", func(s *Store) (any, error) { return s.RecoveryCodesLeft("ada") }},
		{"a setting", func(s *Store) (any, error) { return s.Setting("public_url") }},
	} {
		want, err := c.read(src)
		if err != nil {
			t.Fatalf("%s in SQLite: %v", c.what, err)
		}
		// Compared as printed: an empty blob reads as a nil slice from
		// SQLite and an empty one from PostgreSQL.
		got, err := c.read(dst)
		if err != nil || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("%s in PostgreSQL:\n got %+v, %v\nwant %+v", c.what, got, err, want)
		}
	}
	if devices, _ := dst.Devices("ada"); len(devices) != 2 || devices[0].ID != "d2" {
		t.Errorf("devices: %+v", devices)
	}
	if ok, err := dst.UseRecoveryCode("ada", []byte("rc1"), now); !ok || err != nil {
		t.Errorf("a copied recovery code: %v %v", ok, err)
	}
	// New rows continue after the copied ids.
	id, err := dst.AddNotice(Notice{User: "ada", Time: now, Kind: "device_removed", Text: "first"})
	if notices, _ := src.UnseenNotices("d2"); err != nil || id != notices[0].ID+1 {
		t.Errorf("a new notice got id %d, %v", id, err)
	}
	if _, err := src.CopyTo(dst); err == nil {
		t.Error("a second copy into the same database was not refused")
	}
	if _, err := dst.CopyTo(src); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("a copy from PostgreSQL into SQLite: %v", err)
	}
}
