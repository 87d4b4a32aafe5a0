package store

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
)

var t0 = time.Unix(1_800_000_000, 0)

func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := testDatabase(t)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.AddUser(User{Name: "ada", RequireMFA: true, SealedSeed: []byte("sealed"), Created: t0}); err != nil {
		t.Fatal(err)
	}
	return s, path
}

func TestMigrationsAndReopen(t *testing.T) {
	s, path := openTest(t)
	if v, err := s.SchemaVersion(); err != nil || v != len(migrations) {
		t.Fatalf("schema version %d, %v", v, err)
	}
	s.Close()
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	u, err := again.User("ada")
	if err != nil || string(u.SealedSeed) != "sealed" || !u.RequireMFA || u.Blocked {
		t.Fatalf("user after reopening: %+v, %v", u, err)
	}
	if err := again.AddUser(User{Name: "ada", SealedSeed: []byte("x"), Created: t0}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate user: %v", err)
	}
	if _, err := again.User("bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
}

// TestActivationSpentOnceUnderRace lets 20 goroutines spend one code on
// the same database file: exactly one wins.
func TestActivationSpentOnceUnderRace(t *testing.T) {
	s, _ := openTest(t)
	hash := []byte("hash-of-code")
	if err := s.AddActivation(Activation{CodeHash: hash, User: "ada", Token: "tok", Created: t0, Expires: t0.Add(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var wins, used atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.SpendActivation(hash, Device{ID: fmt.Sprintf("dev-%d", i), Name: "phone", PublicKey: []byte("pk")}, t0.Add(time.Minute))
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, ErrActivationUsed):
				used.Add(1)
			default:
				t.Errorf("spend: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || used.Load() != 19 {
		t.Fatalf("%d wins, %d 'used', want 1 and 19", wins.Load(), used.Load())
	}
	devices, err := s.Devices("ada")
	if err != nil || len(devices) != 1 {
		t.Fatalf("devices %+v, %v", devices, err)
	}
	a, _ := s.ActivationByToken("tok")
	if a.DeviceID != devices[0].ID || a.Used != t0.Add(time.Minute) {
		t.Fatalf("activation %+v", a)
	}
}

func TestActivationExpiredAndUnknown(t *testing.T) {
	s, _ := openTest(t)
	s.AddActivation(Activation{CodeHash: []byte("h"), User: "ada", Token: "t", Created: t0, Expires: t0.Add(10 * time.Minute)})
	if _, err := s.SpendActivation([]byte("h"), Device{ID: "d"}, t0.Add(10*time.Minute)); !errors.Is(err, ErrActivationExpired) {
		t.Fatalf("at expiry: %v", err)
	}
	if _, err := s.SpendActivation([]byte("other"), Device{ID: "d"}, t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown code: %v", err)
	}
}

func TestDecideFirstWinsAndExpiry(t *testing.T) {
	s, _ := openTest(t)
	r := AuthRequest{Request: push.Request{ID: "r1", User: "ada", Nonce: "n", Context: push.Context{App: "Payroll"}, CreatedAt: t0, ExpiresAt: t0.Add(2 * time.Minute)}, RP: "payroll", Number: "42"}
	if err := s.AddAuthRequest(r); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingRequests("ada", t0)
	if err != nil || len(pending) != 1 || pending[0].Context.App != "Payroll" || pending[0].Number != "42" {
		t.Fatalf("pending %+v, %v", pending, err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status := push.StatusApproved
			if i%2 == 1 {
				status = push.StatusDenied
			}
			if ok, err := s.Decide("r1", status, "", fmt.Sprint("dev", i), t0.Add(time.Second)); err != nil {
				t.Error(err)
			} else if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d decisions won, want 1", wins.Load())
	}
	got, _ := s.AuthRequest("r1")
	if got.Status == push.StatusPending || got.DecidedBy == "" {
		t.Fatalf("after deciding: %+v", got)
	}
	// An expired request cannot be decided, only expired.
	s.AddAuthRequest(AuthRequest{Request: push.Request{ID: "r2", User: "ada", Nonce: "n2", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}, RP: "payroll", Number: "7"})
	if ok, _ := s.Decide("r2", push.StatusApproved, "", "dev", t0.Add(time.Minute)); ok {
		t.Fatal("an expired request was approved")
	}
	if ok, _ := s.Expire("r2", t0.Add(30*time.Second)); ok {
		t.Fatal("a request was expired early")
	}
	if ok, _ := s.Expire("r2", t0.Add(time.Minute)); !ok {
		t.Fatal("Expire did not expire")
	}
	pendingNow, recent, run, latest, err := s.RequestCounts("ada", "payroll", t0.Add(2*time.Minute), t0)
	if err != nil || pendingNow != 0 || recent != 2 || run != 1 || !latest.Equal(t0) {
		t.Fatalf("counts pending=%d recent=%d unanswered=%d, %v", pendingNow, recent, run, err)
	}
	// Another application's counts are its own.
	if p, r, u, _, err := s.RequestCounts("ada", "intranet", t0.Add(2*time.Minute), t0); err != nil || p != 0 || r != 0 || u != 0 {
		t.Fatalf("another application's counts: %d %d %d, %v", p, r, u, err)
	}
}

func TestOTPStepReplayPerDeviceAndFailures(t *testing.T) {
	s, _ := openTest(t)
	for i, id := range []string{"phone", "laptop"} {
		hash := []byte(fmt.Sprint("h", i))
		s.AddActivation(Activation{CodeHash: hash, User: "ada", Token: id, Created: t0, Expires: t0.Add(time.Hour), ApprovedBy: "admin"})
		if _, err := s.SpendActivation(hash, Device{ID: id, Name: id, PublicKey: []byte("pk"), SealedSeed: []byte("seed-" + id)}, t0); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := s.UseDeviceOTPStep("phone", 100); !ok {
		t.Fatal("first use refused")
	}
	for _, step := range []int64{100, 99} {
		if ok, _ := s.UseDeviceOTPStep("phone", step); ok {
			t.Fatalf("step %d accepted after 100", step)
		}
	}
	// Each device has its own seed, so its own steps.
	if ok, _ := s.UseDeviceOTPStep("laptop", 100); !ok {
		t.Fatal("the laptop's step 100 refused after the phone's")
	}
	// A revoked device's codes are refused at once.
	s.RevokeDevice("laptop", t0)
	if ok, _ := s.UseDeviceOTPStep("laptop", 101); ok {
		t.Fatal("a revoked device's code was accepted")
	}
	for want := 1; want <= 3; want++ {
		if n, err := s.AddOTPFailure("ada", t0); err != nil || n != want {
			t.Fatalf("failures %d, %v; want %d", n, err, want)
		}
	}
	if err := s.ResetOTPFailures("ada"); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := s.OTPFailures("ada"); n != 0 {
		t.Fatalf("failures %d after a reset, want 0", n)
	}
}

// TestSecondDeviceWaitsForApproval: a device joining a user who has an
// active one is pending unless an administrator made the code; approval is
// single-use; the last device is never revoked by RevokeUnlessLast; a
// blocked user's code cannot be spent.
func TestSecondDeviceWaitsForApproval(t *testing.T) {
	s, _ := openTest(t)
	add := func(hash, by string) {
		if err := s.AddActivation(Activation{CodeHash: []byte(hash), User: "ada", Token: hash, Created: t0, Expires: t0.Add(time.Hour), ApprovedBy: by}); err != nil {
			t.Fatal(err)
		}
	}
	add("first", "")
	add("second", "")
	add("third", "admin")
	first, err := s.SpendActivation([]byte("first"), Device{ID: "first", Name: "phone", PublicKey: []byte("k")}, t0)
	if err != nil || first.Pending || !first.Active() || first.Kind != KindApp {
		t.Fatalf("first device: %+v %v", first, err)
	}
	second, err := s.SpendActivation([]byte("second"), Device{ID: "second", Name: "thief", PublicKey: []byte("k")}, t0)
	if err != nil || !second.Pending || second.Active() {
		t.Fatalf("second device without an administrator: %+v %v", second, err)
	}
	if stored, _ := s.Device("second"); !stored.Pending {
		t.Fatalf("stored second device: %+v", stored)
	}
	third, err := s.SpendActivation([]byte("third"), Device{ID: "third", Name: "laptop", PublicKey: []byte("k")}, t0)
	if err != nil || third.Pending {
		t.Fatalf("device of an administrator's code: %+v %v", third, err)
	}
	if ok, err := s.ApproveDevice("second"); !ok || err != nil {
		t.Fatalf("approve: %t %v", ok, err)
	}
	if ok, _ := s.ApproveDevice("second"); ok {
		t.Fatal("approved twice")
	}
	for _, id := range []string{"second", "third"} {
		if ok, err := s.RevokeUnlessLast(id, t0); !ok || err != nil {
			t.Fatalf("revoking %s with others left: %t %v", id, ok, err)
		}
	}
	if ok, err := s.RevokeUnlessLast("first", t0); ok || err != nil {
		t.Fatalf("revoking the last device: %t %v", ok, err)
	}
	if d, _ := s.Device("first"); !d.Active() {
		t.Fatal("the last device was revoked")
	}
	add("blocked", "admin")
	s.SetBlocked("ada", true)
	if _, err := s.SpendActivation([]byte("blocked"), Device{ID: "x", PublicKey: []byte("k")}, t0); !errors.Is(err, ErrUserBlocked) {
		t.Fatalf("activation of a blocked user: %v", err)
	}
}

// TestNoticesPerDevice: a device is given the notices made after it joined
// and not given before.
func TestNoticesPerDevice(t *testing.T) {
	s, _ := openTest(t)
	s.AddActivation(Activation{CodeHash: []byte("h"), User: "ada", Token: "t", Created: t0, Expires: t0.Add(time.Hour)})
	s.AddNotice(Notice{User: "ada", Time: t0.Add(-time.Minute), Kind: "device_added", Text: "before"})
	if _, err := s.SpendActivation([]byte("h"), Device{ID: "d", Name: "phone", PublicKey: []byte("k")}, t0); err != nil {
		t.Fatal(err)
	}
	id1, _ := s.AddNotice(Notice{User: "ada", Time: t0, Kind: "device_added", Text: "one"})
	id2, _ := s.AddNotice(Notice{User: "ada", Time: t0, Kind: "device_removed", Text: "two"})
	got, err := s.UnseenNotices("d")
	if err != nil || len(got) != 2 || got[0].ID != id1 || got[1].Text != "two" || got[1].Kind != "device_removed" {
		t.Fatalf("unseen: %+v %v", got, err)
	}
	s.MarkNoticesSeen("d", id2)
	if got, _ := s.UnseenNotices("d"); len(got) != 0 {
		t.Fatalf("after marking seen: %+v", got)
	}
}

func TestDevicesRevokeAndAudit(t *testing.T) {
	s, _ := openTest(t)
	s.AddActivation(Activation{CodeHash: []byte("h"), User: "ada", Token: "t", Created: t0, Expires: t0.Add(time.Hour)})
	d, err := s.SpendActivation([]byte("h"), Device{ID: "dev-1", Name: "laptop", PublicKey: []byte("pk")}, t0)
	if err != nil || d.User != "ada" {
		t.Fatal(d, err)
	}
	if err := s.RevokeDevice("dev-1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeDevice("dev-1", t0.Add(time.Hour)); err == nil {
		t.Fatal("revoking twice succeeded")
	}
	got, _ := s.Device("dev-1")
	if got.Active() {
		t.Fatal("revoked device is active")
	}
	if err := s.Audit(AuditEvent{Time: t0, Kind: "fraud", User: "ada", Detail: map[string]string{"request": "r1"}}); err != nil {
		t.Fatal(err)
	}
	events, err := s.AuditEvents("ada")
	if err != nil || len(events) != 1 || events[0].Kind != "fraud" || events[0].Detail["request"] != "r1" {
		t.Fatalf("audit %+v, %v", events, err)
	}
	if err := s.SetBlocked("nobody", true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("blocking a missing user: %v", err)
	}
}

// TestUpgradeFromVersion1AndSettings opens a database made by the first
// schema: the later migrations run once, the data stays, and settings
// persist across reopening.
func TestUpgradeFromVersion1AndSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "countersign.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`,
		migrations[0],
		`INSERT INTO schema_migrations (version, applied) VALUES (1, 0)`,
		`INSERT INTO users (name, sealed_seed, created) VALUES ('ada', x'00', 0)`,
		`INSERT INTO activations (code_hash, user, token, created, expires) VALUES (x'01', 'ada', 'clear-token-of-schema-1', 0, 99999999999)`,
		`INSERT INTO relying_parties (name, key_hash, webhook_secret, created) VALUES ('shop', x'02', 'clear-webhook-secret', 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.SchemaVersion(); v != len(migrations) || len(migrations) < 7 {
		t.Fatalf("schema version %d of %d migrations, want all of them (7 at least)", v, len(migrations))
	}
	// The enrollment token stored in clear is now a hash, and still finds
	// its activation; the webhook secret waits for the server to seal it.
	var stored string
	s.db.QueryRow(`SELECT token FROM activations`).Scan(&stored)
	if stored == "clear-token-of-schema-1" || !strings.HasPrefix(stored, "sha256:") {
		t.Fatalf("token after the upgrade: %q", stored)
	}
	if a, err := s.ActivationByToken("clear-token-of-schema-1"); err != nil || a.User != "ada" {
		t.Fatalf("activation by its old token: %+v %v", a, err)
	}
	if rp, err := s.RelyingParty("shop"); err != nil || rp.ClearWebhookSecret != "clear-webhook-secret" {
		t.Fatalf("relying party after the upgrade: %+v %v", rp, err)
	}
	if err := s.SealWebhookSecret("shop", []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	if rp, _ := s.RelyingParty("shop"); rp.ClearWebhookSecret != "" || string(rp.SealedWebhookSecret) != "sealed" {
		t.Fatalf("relying party after sealing: %+v", rp)
	}
	if _, err := s.User("ada"); err != nil {
		t.Fatalf("user lost in the upgrade: %v", err)
	}
	if v, err := s.Setting("public_url"); v != "" || err != nil {
		t.Fatalf("unset setting: %q, %v", v, err)
	}
	for _, v := range []string{"http://127.0.0.1:8080", "https://cs.example.com"} {
		if err := s.SetSetting("public_url", v); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.Setting("public_url"); v != "https://cs.example.com" || err != nil {
		t.Fatalf("setting after reopening: %q, %v", v, err)
	}
}

// TestNewerSchemaRefused: a database migrated by a newer server is not
// touched by an older one.
func TestNewerSchemaRefused(t *testing.T) {
	s, path := openTest(t)
	if _, err := s.db.Exec(`INSERT INTO schema_migrations (version, applied) VALUES (99, 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(path)
	if want := fmt.Sprintf("schema version 99, newer than this server's %d: update countersignd", len(migrations)); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("newer schema: %v", err)
	}
}

func TestRevokedSince(t *testing.T) {
	s, _ := openTest(t)
	s.AddActivation(Activation{CodeHash: []byte("h1"), User: "ada", Token: "t1", Created: t0, Expires: t0.Add(time.Hour)})
	s.AddActivation(Activation{CodeHash: []byte("h2"), User: "ada", Token: "t2", Created: t0, Expires: t0.Add(time.Hour)})
	s.SpendActivation([]byte("h1"), Device{ID: "old", Name: "a", PublicKey: []byte("k")}, t0)
	s.SpendActivation([]byte("h2"), Device{ID: "new", Name: "b", PublicKey: []byte("k")}, t0)
	s.RevokeDevice("old", t0.Add(time.Minute))
	s.RevokeDevice("new", t0.Add(time.Hour))
	ids, err := s.RevokedSince(t0.Add(30 * time.Minute))
	if err != nil || len(ids) != 1 || ids[0] != "new" {
		t.Fatalf("revoked since: %v %v", ids, err)
	}
	if a, err := s.OpenActivation("ada", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open activation when all are used: %+v %v", a, err)
	}
	s.AddActivation(Activation{CodeHash: []byte("h3"), User: "ada", Token: "t3", Created: t0, Expires: t0.Add(time.Minute)})
	s.AddActivation(Activation{CodeHash: []byte("h4"), User: "ada", Token: "t4", Created: t0.Add(time.Second), Expires: t0.Add(time.Minute)})
	if a, err := s.OpenActivation("ada", t0.Add(2*time.Second)); err != nil || string(a.CodeHash) != "h4" {
		t.Fatalf("latest open activation: %+v %v", a, err)
	}
	if _, err := s.OpenActivation("ada", t0.Add(time.Minute)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open activation after expiry: %v", err)
	}
}

// TestOpenPathWithURICharacters opens a database in a directory whose name
// holds the characters a file: URI gives meaning to.
func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "team #2 ?draft 100%")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "countersign.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting("k", "v"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	entries, _ := os.ReadDir(dir)
	if len(entries) == 0 || entries[0].Name() != "countersign.db" {
		t.Fatalf("the directory holds %v, want countersign.db", entries)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.Setting("k"); v != "v" {
		t.Fatalf("reopened, the setting is %q", v)
	}
}
