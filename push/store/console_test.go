package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
)

func mustAddUser(t *testing.T, s *Store, name string, requireMFA bool) {
	t.Helper()
	if err := s.AddUser(User{Name: name, RequireMFA: requireMFA, Created: time.Unix(1_700_000_000, 0)}); err != nil {
		t.Fatal(err)
	}
}

// TestAdmins: an administrator must be a user, is one once, is listed
// without the hash, and removing them ends their sessions.
func TestAdmins(t *testing.T) {
	s, _ := openTest(t)
	now := time.Unix(1_700_000_000, 0)
	if err := s.AddAdmin(Admin{Name: "ghost", PasswordHash: "$argon2id$x", Created: now}); !errors.Is(err, ErrNotFound) {
		t.Errorf("an administrator who is no user: %v", err)
	}
	mustAddUser(t, s, "root", true)
	if err := s.AddAdmin(Admin{Name: "root", PasswordHash: "$argon2id$x", Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAdmin(Admin{Name: "root", PasswordHash: "$argon2id$y", Created: now}); !errors.Is(err, ErrExists) {
		t.Errorf("twice: %v", err)
	}
	a, err := s.Admin("root")
	if err != nil || a.PasswordHash != "$argon2id$x" || !a.Created.Equal(now) {
		t.Errorf("Admin: %+v %v", a, err)
	}
	list, err := s.Admins()
	if err != nil || len(list) != 1 || list[0].Name != "root" || list[0].PasswordHash != "" {
		t.Errorf("Admins: %+v %v", list, err)
	}
	h := sha256.Sum256([]byte("cookie"))
	if err := s.AddAdminSession(AdminSession{IDHash: h[:], Admin: "root", CSRF: "t", Created: now, LastSeen: now}, now.Add(-time.Hour), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveAdmin("root"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TouchAdminSession(h[:], now, now.Add(-time.Hour), now.Add(-time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Errorf("the session of a removed administrator: %v", err)
	}
	if err := s.RemoveAdmin("root"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}
	if _, err := s.User("root"); err != nil {
		t.Errorf("root is no longer a user: %v", err)
	}
}

// TestAdminSessions: a session is found by its hash while it lives, is
// marked seen, and is gone once idle too long or too old.
func TestAdminSessions(t *testing.T) {
	s, _ := openTest(t)
	mustAddUser(t, s, "root", true)
	now := time.Unix(1_700_000_000, 0)
	s.AddAdmin(Admin{Name: "root", PasswordHash: "h", Created: now})
	idHash := func(v string) []byte { h := sha256.Sum256([]byte(v)); return h[:] }
	add := func(id string, created, seen time.Time) {
		t.Helper()
		if err := s.AddAdminSession(AdminSession{IDHash: idHash(id), Admin: "root", CSRF: "csrf-" + id, Created: created, LastSeen: seen}, now.Add(-15*time.Minute), now.Add(-8*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	add("a", now, now)
	touch := func(id string, at time.Time) (AdminSession, error) {
		return s.TouchAdminSession(idHash(id), at, at.Add(-15*time.Minute), at.Add(-8*time.Hour))
	}
	ses, err := touch("a", now.Add(10*time.Minute))
	if err != nil || ses.Admin != "root" || ses.CSRF != "csrf-a" || !ses.LastSeen.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("a live session: %+v %v", ses, err)
	}
	if _, err := touch("b", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown cookie: %v", err)
	}
	if _, err := touch("a", now.Add(26*time.Minute)); !errors.Is(err, ErrNotFound) {
		t.Errorf("16 idle minutes: %v", err)
	}
	// Kept busy, a session still ends 8 hours after it began.
	add("c", now, now)
	at := now
	for at.Before(now.Add(8 * time.Hour)) {
		if _, err := touch("c", at); err != nil {
			t.Fatalf("at %v: %v", at.Sub(now), err)
		}
		at = at.Add(10 * time.Minute)
	}
	if _, err := touch("c", now.Add(8*time.Hour+time.Minute)); !errors.Is(err, ErrNotFound) {
		t.Errorf("after 8 hours: %v", err)
	}
	if err := s.EndAdminSession(idHash("c")); err != nil {
		t.Error(err)
	}
}

// TestBypassCodes: a code works once, for its user, until it expires; a
// new code ends the unused one before it.
func TestBypassCodes(t *testing.T) {
	s, _ := openTest(t)
	mustAddUser(t, s, "bob", true)
	now := time.Unix(1_700_000_000, 0)
	h1, h2 := []byte("hash-1"), []byte("hash-2")
	if err := s.AddBypassCode(BypassCode{User: "ada", CodeHash: h1, Created: now, Expires: now.Add(10 * time.Minute), CreatedBy: "root"}); err != nil {
		t.Fatal(err)
	}
	use := func(user string, h []byte, at time.Time) bool {
		t.Helper()
		ok, err := s.UseBypassCode(user, h, at)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if use("bob", h1, now) {
		t.Error("bob used ada's code")
	}
	if use("ada", h1, now.Add(10*time.Minute)) {
		t.Error("a code worked when it expired")
	}
	if !use("ada", h1, now.Add(time.Minute)) {
		t.Error("the code did not work")
	}
	if use("ada", h1, now.Add(2*time.Minute)) {
		t.Error("the code worked twice")
	}
	s.AddBypassCode(BypassCode{User: "ada", CodeHash: h2, Created: now, Expires: now.Add(10 * time.Minute), CreatedBy: "root"})
	s.AddBypassCode(BypassCode{User: "ada", CodeHash: []byte("hash-3"), Created: now, Expires: now.Add(10 * time.Minute), CreatedBy: "root"})
	if use("ada", h2, now.Add(time.Minute)) {
		t.Error("a code replaced by a newer one still worked")
	}
}

// fillUsers inserts 100,000 users in one transaction (every thousandth
// blocked from the 7th, every other one requiring MFA) and a device of
// user000002.
func fillUsers(t testing.TB, s *Store) {
	tx, err := s.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	// A thousand rows a statement: one round trip each to PostgreSQL.
	for from := 0; from < 100_000; from += 1000 {
		values := strings.Repeat(`(?, ?, ?, X'', 0), `, 999) + `(?, ?, ?, X'', 0)`
		var args []any
		for i := from; i < from+1000; i++ {
			args = append(args, fmt.Sprintf("user%06d", i), i%1000 == 7, i%2 == 0)
		}
		if _, err := tx.Exec(`INSERT INTO users (name, blocked, require_mfa, sealed_seed, created) VALUES `+values, args...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec(`INSERT INTO devices (id, user, name, public_key, created) VALUES ('d1', 'user000002', 'phone', X'', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestUsersPageWith100000Users: among 100,000 users (and ada) a page, the
// next page, a search and the counts return exactly the users in name
// order. How long they take is BenchmarkUsersPage's business.
func TestUsersPageWith100000Users(t *testing.T) {
	s, _ := openTest(t)
	fillUsers(t, s)
	var err error
	step := func(what string, f func()) { f() } // what names the step for the reader
	var page []UserRow
	step("the first page", func() { page, err = s.UsersPage("", "ada", 50) }) // openTest adds ada
	if err != nil || len(page) != 50 || page[0].Name != "user000000" || page[49].Name != "user000049" {
		t.Fatalf("first page: %d %v", len(page), err)
	}
	if page[2].ActiveDevices != 1 || page[1].ActiveDevices != 0 || !page[0].RequireMFA || page[1].RequireMFA || !page[7].Blocked {
		t.Errorf("rows: %+v", page[:8])
	}
	step("a page far on", func() { page, err = s.UsersPage("", "user089999", 50) })
	if err != nil || len(page) != 50 || page[0].Name != "user090000" {
		t.Fatalf("a page far on: %v %v", page, err)
	}
	step("the last page", func() { page, err = s.UsersPage("", "user099989", 50) })
	if err != nil || len(page) != 10 || page[9].Name != "user099999" {
		t.Fatalf("the last page: %d %v", len(page), err)
	}
	step("a search", func() { page, err = s.UsersPage("99998", "", 50) })
	if err != nil || len(page) != 1 || page[0].Name != "user099998" {
		t.Fatalf("a search: %v %v", page, err)
	}
	step("a search with LIKE's characters", func() { page, err = s.UsersPage("%_", "", 50) })
	if err != nil || len(page) != 0 {
		t.Errorf("%%_ matched %d users", len(page))
	}
	var c UserCounts
	step("the counts", func() { c, err = s.CountUsers() })
	if err != nil || c != (UserCounts{Users: 100_001, RequireMFA: 50_001, Blocked: 100}) {
		t.Errorf("counts: %+v %v", c, err)
	}
	if err := s.SetRequireMFA("user000001", true); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User("user000001"); !u.RequireMFA {
		t.Error("SetRequireMFA did not set it")
	}
	if err := s.SetRequireMFA("nobody", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetRequireMFA of nobody: %v", err)
	}
}

// TestAuditFiltersAndFraud: the audit log by user, kind and time, paged
// by id; fraud reports with their block and later unblocking.
func TestAuditFiltersAndFraud(t *testing.T) {
	s, _ := openTest(t)
	mustAddUser(t, s, "bob", true)
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	events := []AuditEvent{
		{Time: t0, Kind: AuditUserAdded, User: "ada"},
		{Time: t0.Add(time.Hour), Kind: AuditFraud, User: "ada", Detail: map[string]string{"rp": "Shop", "ip": "198.51.100.7"}},
		{Time: t0.Add(time.Hour), Kind: AuditBlocked, User: "ada", Detail: map[string]string{"reason": "fraud reported"}},
		{Time: t0.Add(24 * time.Hour), Kind: AuditUnblocked, User: "ada", Actor: "root"},
		{Time: t0.Add(25 * time.Hour), Kind: AuditFraud, User: "bob", Detail: map[string]string{"rp": "Mail"}},
	}
	for _, e := range events {
		if err := s.Audit(e); err != nil {
			t.Fatal(err)
		}
	}
	kinds := func(f AuditFilter, limit int) string {
		t.Helper()
		page, err := s.AuditPage(f, limit)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for _, e := range page {
			fmt.Fprintf(&b, "%d:%s:%s ", e.ID, e.User, e.Kind)
		}
		return b.String()
	}
	cases := []struct {
		f     AuditFilter
		limit int
		want  string
	}{
		{AuditFilter{}, 0, "5:bob:fraud 4:ada:unblocked 3:ada:blocked 2:ada:fraud 1:ada:user_added "},
		{AuditFilter{}, 2, "5:bob:fraud 4:ada:unblocked "},
		{AuditFilter{Before: 4}, 2, "3:ada:blocked 2:ada:fraud "},
		{AuditFilter{User: "ada"}, 0, "4:ada:unblocked 3:ada:blocked 2:ada:fraud 1:ada:user_added "},
		{AuditFilter{Kind: AuditFraud}, 0, "5:bob:fraud 2:ada:fraud "},
		{AuditFilter{From: t0.Add(time.Hour), To: t0.Add(24 * time.Hour)}, 0, "3:ada:blocked 2:ada:fraud "},
		{AuditFilter{User: "bob", Kind: AuditBlocked}, 0, ""},
	}
	for _, c := range cases {
		if got := kinds(c.f, c.limit); got != c.want {
			t.Errorf("%+v: %q, want %q", c.f, got, c.want)
		}
	}
	reports, err := s.FraudReports(10)
	if err != nil || len(reports) != 2 {
		t.Fatalf("fraud reports: %+v %v", reports, err)
	}
	if r := reports[0]; r.User != "bob" || !r.Open() || r.Blocked || r.Detail["rp"] != "Mail" {
		t.Errorf("bob's report: %+v", r)
	}
	if r := reports[1]; r.User != "ada" || r.Open() || !r.Blocked || r.ResolvedBy != "root" || !r.ResolvedAt.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("ada's report: %+v", r)
	}
	if n, err := s.OpenFraudReports(); err != nil || n != 1 {
		t.Errorf("open fraud reports: %d %v", n, err)
	}
	s.Audit(AuditEvent{Time: t0.Add(26 * time.Hour), Kind: AuditBlocked, User: "ada", Detail: map[string]string{"reason": "fraud reported"}})
	if fraud, err := s.BlockedForFraud("ada"); err != nil || !fraud {
		t.Errorf("ada blocked for fraud: %v %v", fraud, err)
	}
	if fraud, err := s.BlockedForFraud("bob"); err != nil || fraud {
		t.Errorf("bob blocked for fraud: %v %v", fraud, err)
	}
}

// TestRotateAndRevokeApplications: a rotated key replaces the old hash;
// a revoked application's key finds it no more, and it cannot be rotated.
func TestRotateAndRevokeApplications(t *testing.T) {
	s, _ := openTest(t)
	now := time.Unix(1_700_000_000, 0)
	old := sha256.Sum256([]byte("old key"))
	if err := s.AddRelyingParty(RelyingParty{Name: "Shop", KeyHash: old[:], Created: now}); err != nil {
		t.Fatal(err)
	}
	fresh := sha256.Sum256([]byte("new key"))
	if err := s.RotateRelyingPartyKey("Shop", fresh[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RelyingPartyByKeyHash(old[:]); !errors.Is(err, ErrNotFound) {
		t.Errorf("the old key after rotation: %v", err)
	}
	if rp, err := s.RelyingPartyByKeyHash(fresh[:]); err != nil || rp.Name != "Shop" {
		t.Errorf("the new key: %+v %v", rp, err)
	}
	if err := s.RevokeRelyingParty("Shop", []byte("random"), now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RelyingPartyByKeyHash(fresh[:]); !errors.Is(err, ErrNotFound) {
		t.Errorf("the key after revocation: %v", err)
	}
	if err := s.RotateRelyingPartyKey("Shop", fresh[:]); !errors.Is(err, ErrNotFound) {
		t.Errorf("rotating a revoked application: %v", err)
	}
	if err := s.RevokeRelyingParty("Shop", []byte("random"), now); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoking twice: %v", err)
	}
	apps, err := s.Apps()
	if err != nil || len(apps) != 1 || !apps[0].Revoked.Equal(now) {
		t.Errorf("Apps: %+v %v", apps, err)
	}
}

// TestSignInsAndLastAnswer: today's sign-ins by status, and a device's
// last answer.
func TestSignInsAndLastAnswer(t *testing.T) {
	s, _ := openTest(t)
	now := time.Unix(1_700_000_000, 0)
	for i, st := range []push.Status{push.StatusApproved, push.StatusApproved, push.StatusDenied} {
		req := AuthRequest{Request: push.Request{ID: fmt.Sprint("r", i), User: "ada", Kind: push.KindSignIn, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}, RP: "Shop", Number: "12", Status: push.StatusPending}
		if err := s.AddAuthRequest(req); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Decide(req.ID, st, "", "dev1", now.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.SignInsSince(now.Add(-time.Hour), "")
	if err != nil || len(got) != 2 || got["approved"] != 2 || got["denied"] != 1 {
		t.Errorf("sign-ins: %v %v", got, err)
	}
	if got, _ := s.SignInsSince(now.Add(time.Second), ""); len(got) != 0 {
		t.Errorf("sign-ins since later: %v", got)
	}
	if got, _ := s.SignInsSince(now.Add(-time.Hour), "Shop"); len(got) != 0 {
		t.Errorf("sign-ins but Shop's: %v", got)
	}
	if last, err := s.DeviceLastAnswer("dev1"); err != nil || !last.Equal(now.Add(2*time.Second)) {
		t.Errorf("last answer: %v %v", last, err)
	}
	if last, err := s.DeviceLastAnswer("dev2"); err != nil || !last.IsZero() {
		t.Errorf("a device that never answered: %v %v", last, err)
	}
}

// TestSpendConsoleApproval: an approved request of the console is spent
// once, only with its subject, and only when approved.
func TestSpendConsoleApproval(t *testing.T) {
	s, _ := openTest(t)
	now := time.Unix(1_800_000_000, 0)
	for id, st := range map[string]push.Status{"ok": push.StatusApproved, "no": push.StatusDenied} {
		req := AuthRequest{Request: push.Request{ID: id, User: "ada", Kind: push.KindSignIn, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}, RP: " console", Subject: "console:o:a", Number: "12", Status: push.StatusPending}
		if err := s.AddAuthRequest(req); err != nil {
			t.Fatal(err)
		}
		s.Decide(id, st, "", "dev", now)
	}
	spend := func(id, rp, subject string) bool {
		t.Helper()
		ok, err := s.SpendConsoleApproval(id, rp, subject, "console:spent")
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if spend("no", " console", "console:o:a") || spend("ok", "", "console:o:a") || spend("ok", " console", "console:o:b") {
		t.Error("spent a denied request, another relying party's or another subject's")
	}
	if !spend("ok", " console", "console:o:a") {
		t.Fatal("the approval was not spent")
	}
	if spend("ok", " console", "console:o:a") {
		t.Error("the approval was spent twice")
	}
}

// BenchmarkUsersPage pages far into 100,000 users (keyset paging: the
// time does not grow with the offset).
func BenchmarkUsersPage(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(dir + "/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	fillUsers(b, s)
	b.ResetTimer()
	for b.Loop() {
		if page, err := s.UsersPage("", "user089999", 50); err != nil || len(page) != 50 {
			b.Fatalf("%d %v", len(page), err)
		}
	}
}
