package server_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
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
	"github.com/countersign/countersign/push/store"
	"github.com/countersign/countersign/push/telephony"
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
	return newConsoleEnvWith(t, server.Config{})
}

// newConsoleEnvWith is newConsoleEnv with settings (its clock is the test's).
func newConsoleEnvWith(t *testing.T, cfg server.Config) *consoleEnv {
	t.Helper()
	clk := &testClock{t: time.Now()}
	cfg.Now = clk.Now
	srv := servertest.Start(t, cfg)
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
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in as root: HTTP %d %s", resp.StatusCode, body)
	}
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
	if got := strings.Join(kinds, " "); !regexp.MustCompile(`admin_sign_in_failed/root .*admin_sign_in/root$`).MatchString(got) {
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

// reauthRe finds the re-authentication's request on its page.
var reauthRe = regexp.MustCompile(`name="reauth" value="([0-9a-f]+)"`)

// confirmWithPush submits a dangerous action: the first POST answers a
// page with a number and the push on the phone says what it allows; once
// approved with that number, the same form with reauth goes through.
func (e *consoleEnv) confirmWithPush(path string, form url.Values, decision push.Decision, wantText string) (*http.Response, string, string) {
	e.t.Helper()
	resp, body := e.post(path, form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<h1>Confirm on your device</h1>") {
		e.t.Fatalf("%s without a push: HTTP %d %s", path, resp.StatusCode, body)
	}
	req := e.answerPush(decision, find(e.t, numberRe, body))
	if req.Context.App != wantText {
		e.t.Errorf("the push says %q, want %q", req.Context.App, wantText)
	}
	again := url.Values{}
	for k, v := range form {
		again[k] = v
	}
	id := find(e.t, reauthRe, body)
	again.Set("reauth", id)
	resp, body = e.post(path, again)
	return resp, body, id
}

// TestConsoleApplications: an application added in the console gets a key
// shown once; rotating it needs a fresh push and ends the old key at once;
// an approval allows that one action only; revoking ends the key too.
func TestConsoleApplications(t *testing.T) {
	e := newConsoleEnv(t)
	if err := e.srv.AddUser("bob", true); err != nil {
		t.Fatal(err)
	}
	csrf := e.signIn()
	keyRe := regexp.MustCompile(`id="apiKey" readonly value="(cs_[A-Za-z0-9_-]+)"`)
	_, body := e.post("/admin/applications/add", url.Values{"csrf": {csrf}, "name": {"Shop"}})
	oldKey := find(t, keyRe, body)
	if st := e.apiStatus(oldKey); st != http.StatusConflict { // bob has no device: enrollment_required
		t.Fatalf("the new key: HTTP %d", st)
	}
	if _, _, page := e.get("/admin/applications"); strings.Contains(page, oldKey) {
		t.Error("the key is shown again")
	}
	if _, body := e.post("/admin/applications/add", url.Values{"csrf": {csrf}, "name": {" Shop"}}); !strings.Contains(body, `relying party name &#34; Shop&#34;: use 1 to 128 characters, no spaces at the ends`) {
		t.Errorf("a bad name: %s", body)
	}

	form := url.Values{"csrf": {csrf}, "name": {"Shop"}}
	resp, body, _ := e.confirmWithPush("/admin/applications/rotate", form, push.Deny, "Rotate the API key of Shop")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "the confirmation was not approved on your device (denied)") {
		t.Errorf("a denied rotation: HTTP %d %s", resp.StatusCode, body)
	}
	if st := e.apiStatus(oldKey); st != http.StatusConflict {
		t.Errorf("the key after a denied rotation: HTTP %d", st)
	}
	resp, body, spent := e.confirmWithPush("/admin/applications/rotate", form, push.Approve, "Rotate the API key of Shop")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the approved rotation: HTTP %d %s", resp.StatusCode, body)
	}
	newKey := find(t, keyRe, body)
	if st := e.apiStatus(oldKey); st != http.StatusUnauthorized {
		t.Errorf("the old key after the rotation: HTTP %d", st)
	}
	if st := e.apiStatus(newKey); st != http.StatusConflict {
		t.Errorf("the new key: HTTP %d", st)
	}
	// The approval was spent: sending the same form again asks again.
	again := url.Values{"csrf": {csrf}, "name": {"Shop"}, "reauth": {spent}}
	if _, body := e.post("/admin/applications/rotate", again); !strings.Contains(body, "<h1>Confirm on your device</h1>") || strings.Contains(body, spent) {
		t.Errorf("a spent approval: %s", body)
	}
	e.phone.Next(t, "the push of the repeated rotation", pushtest.RequestOfKind(push.KindSignIn))

	resp, _ = e.post("/admin/applications/revoke", url.Values{"csrf": {csrf}, "name": {"Shop"}})
	if resp.StatusCode != http.StatusOK || e.apiStatus(newKey) != http.StatusUnauthorized {
		t.Errorf("revoking: HTTP %d, the key answers %d", resp.StatusCode, e.apiStatus(newKey))
	}
	var kinds []string
	e.srv.Store().EachAuditEvent(store.AuditFilter{}, 0, func(ev store.AuditEntry) error {
		if strings.HasPrefix(string(ev.Kind), "application_") {
			kinds = append(kinds, string(ev.Kind)+"/"+ev.Actor+"/"+ev.Detail["application"])
		}
		return nil
	})
	if got := strings.Join(kinds, " "); got != "application_revoked/root/Shop application_key_rotated/root/Shop application_added/root/Shop" {
		t.Errorf("audit: %s", got)
	}
}

// apiStatus is the HTTP status of a sign-in request for bob with key.
func (e *consoleEnv) apiStatus(key string) int {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/auth-requests", strings.NewReader(`{"user":"bob"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestConsoleUnblockAfterFraud: a user blocked by an administrator is
// unblocked at once; one blocked after a fraud report only with a push.
func TestConsoleUnblockAfterFraud(t *testing.T) {
	e := newConsoleEnv(t)
	if err := e.srv.AddUser("bob", true); err != nil {
		t.Fatal(err)
	}
	csrf := e.signIn()
	form := url.Values{"csrf": {csrf}, "user": {"bob"}}
	if resp, _ := e.post("/admin/user/block", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("block: HTTP %d", resp.StatusCode)
	}
	if resp, _ := e.post("/admin/user/unblock", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unblock: HTTP %d", resp.StatusCode)
	}
	// A fraud report blocks bob, as the server does (decide.go).
	e.srv.Store().Audit(store.AuditEvent{Time: time.Now(), Kind: store.AuditFraud, User: "bob", Detail: map[string]string{"rp": "Shop", "ip": "198.51.100.7"}})
	e.srv.Store().SetBlocked("bob", true)
	e.srv.Store().Audit(store.AuditEvent{Time: time.Now(), Kind: store.AuditBlocked, User: "bob", Detail: map[string]string{"reason": "fraud reported"}})
	if _, _, page := e.get("/admin/fraud"); !strings.Contains(page, "198.51.100.7") || !strings.Contains(page, `<span class="state blocked">open</span>`) {
		t.Errorf("the fraud queue: %s", page)
	}
	resp, _, _ := e.confirmWithPush("/admin/user/unblock", form, push.Approve, "Unblock bob, blocked after a fraud report")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unblock after fraud: HTTP %d", resp.StatusCode)
	}
	if u, _ := e.srv.Store().User("bob"); u.Blocked {
		t.Error("bob is still blocked")
	}
	if _, _, page := e.get("/admin/fraud"); !strings.Contains(page, "unblocked") || !strings.Contains(page, "by root") || !strings.Contains(page, `<span class="state active">resolved</span>`) {
		t.Errorf("the fraud queue after: %s", page)
	}
}

// TestConsoleAuditCSV: the export holds the filtered events, one a line,
// with a formula-looking cell defused.
func TestConsoleAuditCSV(t *testing.T) {
	e := newConsoleEnv(t)
	if err := e.srv.AddUser("=cmd|calc", true); err != nil {
		t.Fatal(err)
	}
	e.signIn()
	st, _, body := e.get("/admin/audit.csv?kind=user_added")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if st != http.StatusOK || len(lines) != 3 || lines[0] != "id,time,kind,user,actor,details" ||
		!strings.Contains(lines[1], ",user_added,'=cmd|calc,,require_mfa=true") || !strings.Contains(lines[2], ",user_added,root,,require_mfa=true") {
		t.Errorf("CSV: HTTP %d\n%s", st, body)
	}
	if st, _, body := e.get("/admin/audit?from=yesterday"); st != http.StatusBadRequest || !strings.Contains(body, "from=&#34;yesterday&#34; is not a date such as 2026-11-26") {
		t.Errorf("a bad date: HTTP %d", st)
	}
}

// TestConsoleUsage: the usage page draws a bar a day of the period, and
// its CSV holds the report's rows; a period that ends before it starts is
// refused.
func TestConsoleUsage(t *testing.T) {
	e := newConsoleEnv(t)
	e.signIn()
	st, _, page := e.get("/admin/usage?from=2026-11-01&to=2026-11-07")
	if st != http.StatusOK || strings.Count(page, `<rect class="bar"`) != 7 || !strings.Contains(page, "<title>2026-11-07: 0</title>") {
		t.Errorf("usage page: HTTP %d\n%s", st, page)
	}
	st, _, body := e.get("/admin/usage.csv?from=2026-11-01&to=2026-11-07")
	if st != http.StatusOK || !strings.HasPrefix(body, "type,day,application_or_kind,method_or_country,result,count\n") {
		t.Errorf("usage CSV: HTTP %d %q", st, body)
	}
	if st, _, body := e.get("/admin/usage?from=2026-11-07&to=2026-11-01"); st != http.StatusBadRequest || !strings.Contains(body, "the period ends (2026-11-01) before it starts (2026-11-07)") {
		t.Errorf("a backwards period: HTTP %d", st)
	}
}

// TestConsoleGatewayTestSend: the gateway page shows the settings; a test
// text goes through the gateway (here the file gateway, which stands in
// for a provider: no phone exists here) and is counted; a number of a
// country not allowed, and a server without a gateway, say why not.
func TestConsoleGatewayTestSend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "phone.jsonl")
	gw, err := telephony.Parse("file:" + path)
	if err != nil {
		t.Fatal(err)
	}
	e := newConsoleEnvWith(t, server.Config{Telephony: gw, TelephonyCountries: []string{"US"}})
	csrf := e.signIn()
	if st, _, page := e.get("/admin/gateway"); st != http.StatusOK || !strings.Contains(page, `id="sentToday">0<`) || !strings.Contains(page, "<td>US</td>") {
		t.Fatalf("gateway page: HTTP %d %s", st, page)
	}
	resp, page := e.post("/admin/gateway/test", url.Values{"csrf": {csrf}, "to": {"+14155550123"}, "kind": {"sms"}})
	page = html.UnescapeString(page)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Sent to +14155550123 through the gateway (sms).") || !strings.Contains(page, `id="sentToday">1<`) {
		t.Errorf("test send: HTTP %d %s", resp.StatusCode, page)
	}
	sent, _ := os.ReadFile(path)
	if !strings.Contains(string(sent), "+14155550123") || !strings.Contains(string(sent), "a test message from the console") {
		t.Errorf("the gateway got %q", sent)
	}
	resp, page = e.post("/admin/gateway/test", url.Values{"csrf": {csrf}, "to": {"+447700900123"}, "kind": {"voice"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Not sent: phone numbers in GB are not allowed on this server") {
		t.Errorf("a number in GB: HTTP %d %s", resp.StatusCode, page)
	}

	off := newConsoleEnv(t)
	csrf = off.signIn()
	resp, page = off.post("/admin/gateway/test", url.Values{"csrf": {csrf}, "to": {"+14155550123"}, "kind": {"sms"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "Not sent: this server has no telephony gateway") {
		t.Errorf("without a gateway: HTTP %d %s", resp.StatusCode, page)
	}
}

// TestConsoleRevokeDeviceAndRemoveAdmin: an administrator revokes a
// user's device (its connection is closed, the audit names the
// administrator), and removes another administrator after a fresh push;
// removing oneself is refused.
func TestConsoleRevokeDeviceAndRemoveAdmin(t *testing.T) {
	e := newConsoleEnv(t)
	if err := e.srv.AddAdmin("second", adminPassword, "cli"); err != nil {
		t.Fatal(err)
	}
	laptop := pushtest.AdminDevice(t, e.srv, "second", "laptop")
	onLaptop := pushtest.Run(t, laptop)
	onLaptop.Next(t, "connection of the laptop", pushtest.Connected)
	csrf := e.signIn()
	if _, _, page := e.get("/admin/user?name=second"); !strings.Contains(page, "<td>laptop</td>") || !strings.Contains(page, "<td>online</td>") {
		t.Errorf("second's page: %s", page)
	}
	resp, _ := e.post("/admin/user/revoke-device", url.Values{"csrf": {csrf}, "user": {"root"}, "device": {laptop.DeviceID}})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoking second's device as root's: HTTP %d", resp.StatusCode)
	}
	resp, _ = e.post("/admin/user/revoke-device", url.Values{"csrf": {csrf}, "user": {"second"}, "device": {laptop.DeviceID}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: HTTP %d", resp.StatusCode)
	}
	if d, _ := e.srv.Store().Device(laptop.DeviceID); d.Revoked.IsZero() {
		t.Error("the laptop is not revoked")
	}
	events, _ := e.srv.Store().AuditEvents("second")
	if last := events[len(events)-1]; last.Kind != store.AuditDeviceRevoked || last.Detail["by"] != "administrator root" {
		t.Errorf("the revocation's audit: %+v", last)
	}

	if resp, body := e.post("/admin/admins/remove", url.Values{"csrf": {csrf}, "name": {"root"}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "you cannot remove yourself here") {
		t.Errorf("removing oneself: HTTP %d", resp.StatusCode)
	}
	resp, _, _ = e.confirmWithPush("/admin/admins/remove", url.Values{"csrf": {csrf}, "name": {"second"}}, push.Approve, "Remove administrator second")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: HTTP %d", resp.StatusCode)
	}
	if admins, _ := e.srv.Admins(); len(admins) != 1 || admins[0].Name != "root" {
		t.Errorf("administrators after: %+v", admins)
	}
}

// TestConsoleSignInFatigue: while one sign-in push waits, another is not
// sent: the right password alone cannot flood the device.
func TestConsoleSignInFatigue(t *testing.T) {
	e := newConsoleEnv(t)
	form := url.Values{"name": {"root"}, "password": {adminPassword}}
	if resp, _ := e.post("/admin/sign-in", form); resp.StatusCode != http.StatusOK {
		t.Fatalf("the first sign-in: HTTP %d", resp.StatusCode)
	}
	resp, body := e.post("/admin/sign-in", form)
	if resp.StatusCode != http.StatusTooManyRequests || strings.Contains(body, `id="number"`) || !strings.Contains(body, "root already has 1 sign-in request(s) waiting from this application") {
		t.Errorf("a second sign-in while one waits: HTTP %d %s", resp.StatusCode, body)
	}
}

// TestConsoleSignInAcrossRestart: the push a sign-in waits for is kept in
// the database: approved while the server restarts, it still opens the
// session, once.
func TestConsoleSignInAcrossRestart(t *testing.T) {
	e := newConsoleEnv(t)
	_, body := e.post("/admin/sign-in", url.Values{"name": {"root"}, "password": {adminPassword}})
	e.answerPush(push.Approve, find(t, numberRe, body))
	e.srv.Restart()
	finish := url.Values{"request": {find(t, requestRe, body)}}
	if resp, page := e.post("/admin/sign-in/finish", finish); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("finishing after a restart: HTTP %d %s", resp.StatusCode, page)
	}
	if st, _, _ := e.get("/admin"); st != http.StatusOK {
		t.Errorf("the dashboard: HTTP %d", st)
	}
	if resp, _ := e.post("/admin/sign-in/finish", finish); resp.StatusCode == http.StatusSeeOther {
		t.Error("one approval opened two sessions")
	}
}
