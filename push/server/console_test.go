package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// testClock is a settable time for the server under test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const adminPassword = "correct horse battery staple"

// consoleEnv is a real server with the administrator root, whose phone is
// connected, and a browser-like HTTP client (cookies, Origin on POSTs, no
// redirects followed).
type consoleEnv struct {
	t     *testing.T
	srv   *servertest.Server
	phone *pushtest.Client
	http  *http.Client
	clock *testClock
}

func newConsoleEnv(t *testing.T) *consoleEnv {
	t.Helper()
	clk := &testClock{t: time.Now()}
	srv := servertest.Start(t, server.Config{Now: clk.Now})
	if err := srv.AddAdmin("root", adminPassword, "cli"); err != nil {
		t.Fatal(err)
	}
	phone := pushtest.Run(t, pushtest.AdminDevice(t, srv, "root", "phone"))
	phone.Next(t, "connection", pushtest.Connected)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &consoleEnv{t: t, srv: srv, phone: phone, http: hc, clock: clk}
}

// get fetches a console page: its status, Location and body.
func (e *consoleEnv) get(path string) (int, string, string) {
	e.t.Helper()
	resp, err := e.http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// post submits a form as a browser does (Origin: the server).
func (e *consoleEnv) post(path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var (
	numberRe  = regexp.MustCompile(`id="number"[^>]*>(\d+)<`)
	requestRe = regexp.MustCompile(`name="request" value="([0-9a-f]+)"`)
	csrfRe    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

func find(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in the page:\n%s", re, body)
	}
	return m[1]
}

// answerPush answers the next console push on the phone.
func (e *consoleEnv) answerPush(decision push.Decision, number string) push.Request {
	e.t.Helper()
	req := e.phone.Next(e.t, "console push", pushtest.RequestOfKind(push.KindSignIn)).Request
	if req.Application != "Countersign console" {
		e.t.Errorf("the push names the application %q", req.Application)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pushtest.Wait)
	defer cancel()
	if err := e.phone.Answer(ctx, req, decision, push.ReasonNone, number); err != nil {
		e.t.Fatal(err)
	}
	e.phone.Next(e.t, "verdict", func(ev device.Event) bool { return ev.Kind == device.EventResult && ev.RequestID == req.ID })
	return req
}

// signIn signs root in with the password and an approved push, and
// returns the session's CSRF token.
func (e *consoleEnv) signIn() string {
	e.t.Helper()
	resp, body := e.post("/admin/sign-in", url.Values{"name": {"root"}, "password": {adminPassword}})
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("sign-in: HTTP %d %s", resp.StatusCode, body)
	}
	e.answerPush(push.Approve, find(e.t, numberRe, body))
	resp, body = e.post("/admin/sign-in/finish", url.Values{"request": {find(e.t, requestRe, body)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		e.t.Fatalf("finishing the sign-in: HTTP %d %s", resp.StatusCode, body)
	}
	_, _, page := e.get("/admin")
	return find(e.t, csrfRe, page)
}

// TestConsoleSignIn: the console asks for a sign-in; a wrong password and
// an unknown name get the same answer; the right password pushes to the
// administrator's phone, and the approval with the number shown opens a
// session in a cookie that scripts cannot read and other sites do not send.
func TestConsoleSignIn(t *testing.T) {
	e := newConsoleEnv(t)
	if st, loc, _ := e.get("/admin"); st != http.StatusSeeOther || loc != "/admin/sign-in" {
		t.Fatalf("/admin without a session: %d %q", st, loc)
	}
	for _, who := range []url.Values{
		{"name": {"root"}, "password": {"wrong password here"}},
		{"name": {"nobody"}, "password": {adminPassword}},
	} {
		resp, body := e.post("/admin/sign-in", who)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "The name or password is not right.") || strings.Contains(body, `id="number"`) {
			t.Errorf("sign-in as %v: HTTP %d %s", who, resp.StatusCode, body)
		}
	}
	resp, body := e.post("/admin/sign-in", url.Values{"name": {"root"}, "password": {adminPassword}})
	number := find(t, numberRe, body)
	req := e.answerPush(push.Approve, number)
	if req.Context.App != "Sign in to the console" {
		t.Errorf("the push says %q", req.Context.App)
	}
	resp, _ = e.post("/admin/sign-in/finish", url.Values{"request": {find(t, requestRe, body)}})
	var cookie string
	for _, c := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "countersign-admin=") {
			cookie = c
		}
	}
	for _, attr := range []string{"Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=28800"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("the session cookie %q lacks %s", cookie, attr)
		}
	}
	if st, _, page := e.get("/admin"); st != http.StatusOK || !strings.Contains(page, "<h1>Dashboard</h1>") {
		t.Fatalf("the dashboard: %d %s", st, page)
	}
	events, _ := e.srv.Store().AuditEvents("root")
	var kinds []string
	for _, ev := range events {
		kinds = append(kinds, string(ev.Kind)+"/"+ev.Actor)
	}
	if got := strings.Join(kinds, " "); !strings.Contains(got, "admin_sign_in_failed/root admin_sign_in/root") {
		t.Errorf("audit of root: %s", got)
	}
}

// TestConsoleSignInDenied: a push denied on the device opens no session.
func TestConsoleSignInDenied(t *testing.T) {
	e := newConsoleEnv(t)
	_, body := e.post("/admin/sign-in", url.Values{"name": {"root"}, "password": {adminPassword}})
	e.answerPush(push.Deny, "")
	resp, page := e.post("/admin/sign-in/finish", url.Values{"request": {find(t, requestRe, body)}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "The sign-in was not approved on your device (denied).") {
		t.Errorf("after a denial: HTTP %d %s", resp.StatusCode, page)
	}
	if st, loc, _ := e.get("/admin"); st != http.StatusSeeOther || loc != "/admin/sign-in" {
		t.Errorf("/admin after a denial: %d %q", st, loc)
	}
}

// TestConsolePasswordAttemptsLimited: after ten wrong passwords from an
// address, even the right one is refused for a while.
func TestConsolePasswordAttemptsLimited(t *testing.T) {
	e := newConsoleEnv(t)
	for range 10 {
		e.post("/admin/sign-in", url.Values{"name": {"root"}, "password": {"wrong password here"}})
	}
	resp, body := e.post("/admin/sign-in", url.Values{"name": {"root"}, "password": {adminPassword}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins. Wait 15 minutes, then try again.") {
		t.Errorf("the 11th attempt: HTTP %d %s", resp.StatusCode, body)
	}
	e.clock.Add(16 * time.Minute)
	if resp, _ := e.post("/admin/sign-in", url.Values{"name": {"root"}, "password": {adminPassword}}); resp.StatusCode != http.StatusOK {
		t.Errorf("after the window: HTTP %d", resp.StatusCode)
	}
}

// TestConsoleCSRFAndSession: a change needs the session's CSRF token; a
// session ends after 15 idle minutes.
func TestConsoleCSRFAndSession(t *testing.T) {
	e := newConsoleEnv(t)
	if err := e.srv.AddUser("bob", false); err != nil {
		t.Fatal(err)
	}
	csrf := e.signIn()
	for _, token := range []string{"", "wrong" + csrf} {
		resp, body := e.post("/admin/users/require-mfa", url.Values{"csrf": {token}, "user": {"bob"}, "require_mfa": {"on"}})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "its security token is missing or wrong") {
			t.Errorf("CSRF token %q: HTTP %d %s", token, resp.StatusCode, body)
		}
	}
	if u, _ := e.srv.Store().User("bob"); u.RequireMFA {
		t.Fatal("a POST without the right token changed bob")
	}
	resp, _ := e.post("/admin/users/require-mfa", url.Values{"csrf": {csrf}, "user": {"bob"}, "require_mfa": {"on"}, "return": {"/admin/users?q=bo"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/users?q=bo" {
		t.Errorf("require MFA: HTTP %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if u, _ := e.srv.Store().User("bob"); !u.RequireMFA {
		t.Error("bob does not require MFA")
	}
	events, _ := e.srv.Store().AuditEvents("bob")
	if last := events[len(events)-1]; last.Kind != server.AuditRequireMFA || last.Actor != "root" || last.Detail["require_mfa"] != "true" {
		t.Errorf("the last audit event of bob: %+v", last)
	}
	// A cross-site form (another Origin) is refused before anything.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/admin/users/require-mfa", strings.NewReader("csrf="+csrf+"&user=bob"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := e.http.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site POST: %v %v", resp.StatusCode, err)
	}
	e.clock.Add(14 * time.Minute)
	if st, _, _ := e.get("/admin/users"); st != http.StatusOK {
		t.Errorf("after 14 minutes: %d", st)
	}
	e.clock.Add(16 * time.Minute)
	if st, loc, _ := e.get("/admin/users"); st != http.StatusSeeOther || loc != "/admin/sign-in" {
		t.Errorf("after 16 idle minutes: %d %q", st, loc)
	}
}
