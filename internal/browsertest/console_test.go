package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// The administrators' console (/admin) in the browser: signing in with a
// password and a push approved on a device client with the number the
// page shows; a wrong password, a denied push, a form without its CSRF
// token; Require MFA ticked for a user, after which the relying-party API
// sends that user to enroll; and a screenshot of each page, at the default
// width and at 375 px.

const consolePassword = "correct horse battery staple"

// consoleSetup is a server with the administrator root, whose phone is
// connected, and the users bob (no second factor required) and carol.
type consoleSetup struct {
	srv   *servertest.Server
	phone *pushtest.Client
}

func newConsoleSetup(t *testing.T) consoleSetup {
	t.Helper()
	srv := servertest.Start(t, server.Config{})
	if err := srv.AddAdmin("root", consolePassword, "cli"); err != nil {
		t.Fatal(err)
	}
	phone := pushtest.Run(t, pushtest.AdminDevice(t, srv, "root", "root's phone"))
	phone.Next(t, "connection of root's phone", pushtest.Connected)
	for _, u := range []struct {
		name string
		mfa  bool
	}{{"bob", false}, {"carol", true}} {
		if err := srv.AddUser(u.name, u.mfa); err != nil {
			t.Fatal(err)
		}
	}
	return consoleSetup{srv: srv, phone: phone}
}

// consoleBrowser is a browser for the console. The console's forms POST
// as forms (urlencoded), by design: each carries the session's CSRF token,
// the session cookie is SameSite=Strict and the server checks Origin; so
// the harness's check that every POST is JSON (the API's pages) leaves out
// the POSTs to /admin/.
func consoleBrowser(t *testing.T, srv *servertest.Server) *browser {
	t.Helper()
	b := newBrowser(t)
	t.Cleanup(func() { // runs before newBrowser's checkClean (cleanups run last first)
		b.mu.Lock()
		defer b.mu.Unlock()
		kept := b.posts[:0]
		for _, p := range b.posts {
			if !strings.HasPrefix(p, srv.URL+"/admin/") || !strings.HasSuffix(p, " application/x-www-form-urlencoded") {
				kept = append(kept, p)
			}
		}
		b.posts = kept
	})
	return b
}

// expectRefusal takes the console errors of an answer the test expects
// (Chromium logs a page loaded with an error status), and fails on others.
func (b *browser) expectRefusal(status int) {
	b.t.Helper()
	for _, p := range b.takeProblems() {
		if !strings.Contains(p, fmt.Sprintf("status of %d", status)) {
			b.t.Errorf("browser console: %s", p)
		}
	}
}

// consoleSignInForm fills the sign-in form and submits it.
func (b *browser) consoleSignInForm(name, password string) {
	b.t.Helper()
	b.waitShown("signin", wait)
	b.clear("name")
	b.typeInto("name", name)
	b.clear("password")
	b.typeInto("password", password)
	b.click("signInButton")
}

// answerConsolePush answers the console's next push on the phone.
func answerConsolePush(t *testing.T, phone *pushtest.Client, decision push.Decision, number string) push.Request {
	t.Helper()
	req := phone.Next(t, "console push", pushtest.RequestOfKind(push.KindSignIn)).Request
	if req.Application != "Countersign console" {
		t.Errorf("the push names the application %q", req.Application)
	}
	if decision != push.Approve {
		number = ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), pushtest.Wait)
	defer cancel()
	if err := phone.Answer(ctx, req, decision, push.ReasonNone, number); err != nil {
		t.Fatal(err)
	}
	phone.Next(t, "verdict on the answer", func(ev device.Event) bool { return ev.Kind == device.EventResult && ev.RequestID == req.ID })
	return req
}

// heading is the expression that the page's h1 reads text.
func heading(text string) string {
	return fmt.Sprintf(`(h => !!h && h.innerText.trim() === %q)(document.querySelector("h1"))`, text)
}

// consoleSignIn signs root in: password, then the number read from the
// page approved on the phone; the page goes on to the dashboard by itself.
func (b *browser) consoleSignIn(c consoleSetup, shoot bool) {
	b.t.Helper()
	b.open(c.srv.URL + "/admin")
	b.waitFor("the sign-in page", heading("Sign in"), wait)
	if shoot {
		b.shot("sign-in")
	}
	b.consoleSignInForm("root", consolePassword)
	b.waitShown("number", wait)
	number := b.text("number")
	if shoot {
		b.numberIsLarge("number")
		b.shot("approve-on-device")
	}
	req := answerConsolePush(b.t, c.phone, push.Approve, number)
	if req.Context.App != "Sign in to the console" {
		b.t.Errorf("the push says %q", req.Context.App)
	}
	if took := b.waitFor("the dashboard", heading("Dashboard"), wait); took > promptly {
		b.t.Errorf("the page followed the approval after %v, want within %v", took, promptly)
	}
}

// TestConsoleSignInAndPages: a wrong password is refused; the right one
// and the push approved with the number shown sign in; then every page of
// the console, photographed wide and at 375 px.
func TestConsoleSignInAndPages(t *testing.T) {
	c := newConsoleSetup(t)
	key, _, err := c.srv.AddRelyingParty("Shop", "")
	if err != nil {
		t.Fatal(err)
	}
	// dave reports a sign-in to Shop as fraud on his phone: the fraud
	// queue has something to show.
	if err := c.srv.AddUser("dave", true); err != nil {
		t.Fatal(err)
	}
	davePhone := pushtest.Run(t, pushtest.AdminDevice(t, c.srv, "dave", "dave's phone"))
	davePhone.Next(t, "connection of dave's phone", pushtest.Connected)
	if _, e := apiSignIn(t, c.srv, key, "dave"); e.Code != "" {
		t.Fatalf("dave's sign-in: %+v", e)
	}
	req := davePhone.Next(t, "dave's sign-in", pushtest.RequestOfKind(push.KindSignIn)).Request
	ctx, cancel := context.WithTimeout(context.Background(), pushtest.Wait)
	defer cancel()
	if err := davePhone.Answer(ctx, req, push.Fraud, push.ReasonNone, ""); err != nil {
		t.Fatal(err)
	}
	davePhone.Next(t, "verdict on the fraud report", func(ev device.Event) bool { return ev.Kind == device.EventResult && ev.RequestID == req.ID })
	b := consoleBrowser(t, c.srv)

	b.open(c.srv.URL + "/admin")
	b.consoleSignInForm("root", "not the password")
	b.waitShown("error", wait)
	if got := b.text("error"); got != "The name or password is not right." {
		t.Errorf("a wrong password: %q", got)
	}
	if b.isShown("number") {
		t.Error("a wrong password got a number")
	}
	b.expectRefusal(http.StatusUnauthorized)
	b.shot("wrong-password")

	b.consoleSignIn(c, true)
	if got := b.text("users"); got != "4" { // root, bob, carol and dave
		t.Errorf("the dashboard counts %s users", got)
	}
	if got := b.text("online"); got != "2" { // root's and dave's phones
		t.Errorf("the dashboard counts %s devices online", got)
	}
	if got := b.text("openFraud"); got != "1" {
		t.Errorf("the dashboard counts %s open fraud reports", got)
	}
	pages := []struct{ path, title string }{
		{"/admin", "Dashboard"},
		{"/admin/users", "Users"},
		{"/admin/user?name=root", "User root"},
		{"/admin/fraud", "Fraud reports"},
		{"/admin/audit", "Audit log"},
		{"/admin/usage", "Usage"},
		{"/admin/gateway", "Gateway"},
		{"/admin/applications", "Applications"},
		{"/admin/admins", "Administrators"},
	}
	for _, p := range pages {
		b.open(c.srv.URL + p.path)
		b.waitFor(p.title, heading(p.title), wait)
		b.shot(strings.ToLower(strings.ReplaceAll(p.title, " ", "-")))
	}
	b.open(c.srv.URL + "/admin/fraud")
	b.waitFor("the fraud queue", heading("Fraud reports"), wait)
	if got := b.text("fraud"); !strings.Contains(got, "dave\tShop") || !strings.Contains(got, "blocked") || !strings.Contains(got, "open") {
		t.Errorf("the fraud queue: %q", got)
	}
	b.viewport(375, 812)
	for _, p := range pages {
		b.open(c.srv.URL + p.path)
		b.waitFor(p.title, heading(p.title), wait)
		b.shot(strings.ToLower(strings.ReplaceAll(p.title, " ", "-")) + "-375px")
	}
	b.viewport(900, 900)

	// A new enrollment link and a bypass code for carol, on her page.
	b.open(c.srv.URL + "/admin/user?name=carol")
	b.waitFor("carol's page", heading("User carol"), wait)
	if got := b.text("state"); got != "needs enrollment" {
		t.Errorf("carol's state: %q", got)
	}
	b.click("enroll")
	b.waitShown("enrollment", wait)
	b.imageLoaded("enrollQR")
	activationURI(t, b.text("enrollLink"))
	b.shot("user-enrollment-link")
	b.click("makeBypass")
	b.waitShown("bypass", wait)
	if code := b.text("bypassCode"); len(code) != 9 {
		t.Errorf("the bypass code %q", code)
	}
	b.shot("user-bypass-code")
}

// TestConsoleDeniedPush: the password is right but the push is denied on
// the device: the page says so, and no session opens.
func TestConsoleDeniedPush(t *testing.T) {
	c := newConsoleSetup(t)
	b := consoleBrowser(t, c.srv)
	b.open(c.srv.URL + "/admin/sign-in")
	b.consoleSignInForm("root", consolePassword)
	b.waitShown("number", wait)
	answerConsolePush(t, c.phone, push.Deny, "")
	b.waitShown("error", wait)
	if got := b.text("error"); got != "The sign-in was not approved on your device (denied). Sign in again to try once more." {
		t.Errorf("after the denial the page says %q", got)
	}
	b.expectRefusal(http.StatusUnauthorized)
	b.shot("denied")
	b.open(c.srv.URL + "/admin")
	b.waitFor("the sign-in page", heading("Sign in"), wait)
}

// TestConsoleCSRFRefused: a form whose CSRF token was changed is refused,
// and changes nothing.
func TestConsoleCSRFRefused(t *testing.T) {
	c := newConsoleSetup(t)
	b := consoleBrowser(t, c.srv)
	b.consoleSignIn(c, false)
	b.open(c.srv.URL + "/admin/users")
	b.waitFor("the users page", heading("Users"), wait)
	b.eval(`document.getElementById("mfa-bob").form.elements.csrf.value = "forged"`, nil)
	b.click("mfa-bob")
	b.waitFor("the refusal", heading("Refused"), wait)
	if got := b.text("error"); !strings.Contains(got, "its security token is missing or wrong") {
		t.Errorf("the refusal says %q", got)
	}
	b.expectRefusal(http.StatusForbidden)
	b.shot("csrf-refused")
	if u, _ := c.srv.Store().User("bob"); u.RequireMFA {
		t.Error("the forged form changed bob")
	}
}

// apiSignIn asks for a push for user as an application does: the state
// of the new request, or the error of the refusal.
func apiSignIn(t *testing.T, srv *servertest.Server, key, user string) (push.AuthRequestState, push.ErrorBody) {
	t.Helper()
	body, _ := json.Marshal(push.AuthRequestBody{User: user})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/auth-requests", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		push.AuthRequestState
		Error push.ErrorBody `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	return out.AuthRequestState, out.Error
}

// TestConsoleRequireMFA is the newcomer's path: bob has no device and no
// second factor required, so the application is told so; an administrator
// ticks Require MFA for him in the console (with the keyboard), and his
// next sign-in answers enrollment_required with a link; bob enrolls with
// it and signs in; the dashboard and the audit log show both.
func TestConsoleRequireMFA(t *testing.T) {
	c := newConsoleSetup(t)
	key, _, err := c.srv.AddRelyingParty("Shop", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, e := apiSignIn(t, c.srv, key, "bob"); e.Code != "mfa_not_required" {
		t.Fatalf("bob's sign-in before: %+v", e)
	}
	b := consoleBrowser(t, c.srv)
	b.consoleSignIn(c, false)
	b.open(c.srv.URL + "/admin/users?q=bo")
	b.waitFor("the users page", heading("Users"), wait)
	var checked bool
	if b.eval(`document.getElementById("mfa-bob").checked`, &checked); checked {
		t.Fatal("Require MFA is ticked for bob already")
	}
	var marked bool
	b.eval(`window.beforeSaving = true`, &marked) // gone once the form's answer is a new page
	b.do("ticking Require MFA with the keyboard", chromedpFocusAndSpace("mfa-bob")...)
	deadline := time.Now().Add(wait)
	for u, _ := c.srv.Store().User("bob"); !u.RequireMFA; u, _ = c.srv.Store().User("bob") {
		if time.Now().After(deadline) {
			t.Fatalf("bob does not require MFA; the page says %q", b.pageText())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The box submitted its form: let that navigation end before another
	// (opening a page during it aborts one of them).
	b.waitFor("the page after saving", `!window.beforeSaving && document.readyState === "complete"`, wait)
	b.open(c.srv.URL + "/admin/users?q=bo")
	b.waitFor("the users page again", heading("Users"), wait)
	if b.eval(`document.getElementById("mfa-bob").checked`, &checked); !checked {
		t.Error("the users page does not show Require MFA ticked for bob")
	}
	b.shot("require-mfa-ticked")

	_, e := apiSignIn(t, c.srv, key, "bob")
	if e.Code != "enrollment_required" || !strings.HasPrefix(e.EnrollURL, c.srv.URL+"/enroll/") {
		t.Fatalf("bob's sign-in after: %+v, want enrollment_required with a link", e)
	}
	bobPhone := pushtest.Run(t, pushtest.Activate(t, activationURI(t, e.EnrollURL), "bob's phone"))
	bobPhone.Next(t, "connection of bob's phone", pushtest.Connected)
	state, e := apiSignIn(t, c.srv, key, "bob")
	if e.Code != "" {
		t.Fatalf("bob's first sign-in: %+v", e)
	}
	answer(t, bobPhone, push.KindSignIn, push.Approve, state.Number)

	b.open(c.srv.URL + "/admin")
	b.waitFor("the dashboard", heading("Dashboard"), wait)
	var approved string
	b.eval(`[...document.querySelectorAll("#signIns tr")].filter(r => r.cells[0].innerText === "approved").map(r => r.cells[1].innerText).join()`, &approved)
	if approved != "1" {
		t.Errorf("the dashboard counts %q approved sign-ins, want bob's 1 (the console's own are not counted)", approved)
	}
	if got := b.text("online"); got != "2" {
		t.Errorf("the dashboard counts %s devices online", got)
	}
	if events := b.text("events"); !strings.Contains(events, "device_activated\tbob") || !strings.Contains(events, "require_mfa_changed\tbob\troot") {
		t.Errorf("the dashboard's latest events: %q", events)
	}
	b.shot("dashboard-after-bob")
	b.open(c.srv.URL + "/admin/audit?user=bob")
	b.waitFor("bob's audit log", heading("Audit log"), wait)
	for _, want := range []string{"device_activated", "enrollment_created", "require_mfa_changed"} {
		if !strings.Contains(b.text("audit"), want) {
			t.Errorf("bob's audit log lacks %s: %q", want, b.text("audit"))
		}
	}
	b.shot("audit-bob")
	if os.Getenv("COUNTERSIGN_SCREENSHOTS") != "" {
		t.Logf("screenshots in %s", b.shots)
	}
}

// chromedpFocusAndSpace focuses element id and presses the space bar, as
// a keyboard user ticks a checkbox.
func chromedpFocusAndSpace(id string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{chromedp.Focus(chromedp.ID(id), chromedp.NodeVisible), chromedp.KeyEvent(" ")}
}
