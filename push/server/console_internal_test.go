package server

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestBypassCodeUsedOnce: an administrator's bypass code works once, for
// its user, within ten minutes; each use and creation is audited.
func TestBypassCodeUsedOnce(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	s, err := Open(t.TempDir(), Config{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, u := range []string{"ada", "bob"} {
		if err := s.AddUser(u, true); err != nil {
			t.Fatal(err)
		}
	}
	code, expires, err := s.newBypassCode("ada", "root")
	if err != nil || len(code) != bypassDigits || strings.Trim(code, "0123456789") != "" || !expires.Equal(clk.Now().Add(10*time.Minute)) {
		t.Fatalf("newBypassCode: %q %v %v", code, expires, err)
	}
	use := func(user, code string) bool {
		t.Helper()
		ok, err := s.useBypassCode(user, code)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if use("bob", code) || use("ada", code[:8]) || use("ada", "") {
		t.Error("a bypass code worked for another user or cut short")
	}
	clk.Add(9 * time.Minute)
	if !use("ada", code) {
		t.Fatal("the bypass code did not work")
	}
	if use("ada", code) {
		t.Error("the bypass code worked twice")
	}
	late, _, _ := s.newBypassCode("ada", "root")
	clk.Add(10 * time.Minute)
	if use("ada", late) {
		t.Error("a bypass code worked after ten minutes")
	}
	events, _ := s.store.AuditEvents("ada")
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, string(e.Kind)+"/"+e.Actor)
	}
	if got := strings.Join(kinds, " "); got != "user_added/ bypass_code_created/root bypass_code_used/ bypass_code_created/root" {
		t.Errorf("ada's audit: %s", got)
	}
}

// TestPasswordHashes: the PHC string has RFC 9106's form and OWASP's
// parameters; the right password matches, others and damaged hashes do
// not.
func TestPasswordHashes(t *testing.T) {
	h, err := hashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || len(strings.Split(h, "$")) != 6 {
		t.Errorf("hash %q", h)
	}
	if ok, err := verifyPassword(h, "correct horse battery staple"); !ok || err != nil {
		t.Errorf("the right password: %v %v", ok, err)
	}
	if ok, err := verifyPassword(h, "correct horse battery stapl"); ok || err != nil {
		t.Errorf("a wrong password: %v %v", ok, err)
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", strings.Replace(h, "m=19456", "m=99999999", 1), strings.Replace(h, "v=19", "v=16", 1), h + "$"} {
		if ok, err := verifyPassword(bad, "correct horse battery staple"); ok || err == nil {
			t.Errorf("hash %q: %v %v", bad, ok, err)
		}
	}
	if _, err := hashPassword("short pass"); err == nil || err.Error() != "the password has 10 characters; use at least 12" {
		t.Errorf("a short password: %v", err)
	}
}

// FuzzConsoleAuditFilter: the audit page's query never panics, and a
// filter it accepts holds exactly the dates given (to: the day after) and
// no negative event number.
func FuzzConsoleAuditFilter(f *testing.F) {
	for _, seed := range []string{"user=ada&kind=fraud&from=2026-11-01&to=2026-11-26&before=40", "from=2026-13-01", "before=-1", "to=", "user=%00&kind=%ff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		flt, err := auditFilter(q)
		if err != nil {
			return
		}
		if from := q.Get("from"); from != "" && flt.From.Format("2006-01-02") != from {
			t.Errorf("from=%q became %v", from, flt.From)
		}
		if to := q.Get("to"); to != "" && flt.To.AddDate(0, 0, -1).Format("2006-01-02") != to {
			t.Errorf("to=%q became %v", to, flt.To)
		}
		if flt.Before < 0 {
			t.Errorf("before=%q became %d", q.Get("before"), flt.Before)
		}
	})
}

// TestConsoleCookiesOverTLS: over TLS the session cookie has the __Host-
// prefix and Secure; over plain loopback HTTP neither (browsers refuse
// both there), and both are HttpOnly, SameSite=Strict, Path=/.
func TestConsoleCookiesOverTLS(t *testing.T) {
	for _, tls := range []bool{true, false} {
		c := &console{s: &Server{cfg: Config{TLS: tls}}}
		rec := httptest.NewRecorder()
		c.setCookie(rec, c.sessionCookie(), "v", 60)
		want := "countersign-admin=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict"
		if tls {
			want = "__Host-countersign-admin=v; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Strict"
		}
		if got := rec.Header().Get("Set-Cookie"); got != want {
			t.Errorf("TLS %v: %q, want %q", tls, got, want)
		}
	}
}
