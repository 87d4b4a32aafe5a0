package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
	"github.com/countersign/countersign/scanner"
)

// promptly bounds how long a page may take to follow a change on the
// server: well within its 25 s long-poll, so the long-poll did it.
const promptly = 5 * time.Second

// start runs a server on loopback with the user ada.
func start(t *testing.T, cfg server.Config) *servertest.Server {
	t.Helper()
	srv := servertest.Start(t, cfg)
	if err := srv.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	return srv
}

// connected runs the client of an activated device until the test ends.
func connected(t *testing.T, a device.Activated) *pushtest.Client {
	t.Helper()
	c := pushtest.Run(t, a)
	c.Next(t, "connection of "+a.DeviceID, pushtest.Connected)
	return c
}

// answer answers, on a device, the next request of this kind with the
// number, and checks the server's verdict.
func answer(t *testing.T, c *pushtest.Client, kind push.RequestKind, decision push.Decision, number string) {
	t.Helper()
	req := c.Next(t, string(kind)+" request", pushtest.RequestOfKind(kind)).Request
	ctx, cancel := context.WithTimeout(context.Background(), pushtest.Wait)
	defer cancel()
	if decision != push.Approve {
		number = ""
	}
	if err := c.Answer(ctx, req, decision, push.ReasonNone, number); err != nil {
		t.Fatal(err)
	}
	ev := c.Next(t, "verdict on the answer", func(ev device.Event) bool { return ev.Kind == device.EventResult && ev.RequestID == req.ID })
	want := push.StatusApproved
	if decision != push.Approve {
		want = push.StatusDenied
	}
	if ev.Status != want || ev.Err != nil {
		t.Fatalf("answering %s with %s %q: %s %v", kind, decision, number, ev.Status, ev.Err)
	}
}

// call calls the pages' API as they do (JSON, Origin: the server) and
// decodes the answer into out; it returns the HTTP status.
func call(t *testing.T, srv *servertest.Server, path, token string, body, out any) int {
	t.Helper()
	data, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", srv.URL)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			t.Fatalf("POST %s: %v in %s", path, err, answer)
		}
	}
	return resp.StatusCode
}

// selfServiceEnrollURL is the enrollment link a user who holds a device
// gets from self-service (signed in with a code of that device).
func selfServiceEnrollURL(t *testing.T, srv *servertest.Server, user, code string) string {
	t.Helper()
	var signedIn struct{ Token string }
	if st := call(t, srv, "/v1/self-service/sign-in", "", push.OTPVerifyBody{User: user, Code: code}, &signedIn); st != http.StatusOK {
		t.Fatalf("self-service sign-in: HTTP %d", st)
	}
	var enrolled struct {
		EnrollURL string `json:"enroll_url"`
	}
	if st := call(t, srv, "/v1/self-service/enroll", signedIn.Token, struct{}{}, &enrolled); st != http.StatusOK {
		t.Fatalf("self-service enroll: HTTP %d", st)
	}
	return enrolled.EnrollURL
}

// qrText reads the QR code image at url.
func qrText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	png, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d, %v", url, resp.StatusCode, err)
	}
	texts, err := scanner.DecodeBytes(png)
	if err != nil || len(texts) != 1 {
		t.Fatalf("the QR code %s reads %q, %v", url, texts, err)
	}
	return texts[0]
}

// activationURI reads the activation code the enrollment page shows.
func activationURI(t *testing.T, enrollURL string) string {
	t.Helper()
	uri := qrText(t, enrollURL+"/qr.png")
	if !push.IsActivationURI(uri) {
		t.Fatalf("the enrollment page's QR code reads %q", uri)
	}
	return uri
}

// otherAppCode reads the otpauth:// QR code the enrollment page shows for
// another authenticator app, as that app does, and returns its current code.
func otherAppCode(t *testing.T, enrollURL string) string {
	t.Helper()
	uri := qrText(t, enrollURL+"/otpauth.png")
	key, err := otp.NewKeyFromURL(uri)
	if err != nil || key.Type() != "totp" || key.Secret() == "" {
		t.Fatalf("the other app's QR code reads %q: %v", uri, err)
	}
	code, err := totp.GenerateCode(key.Secret(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// wrongCode is a six-digit code other than code.
func wrongCode(code string) string {
	var n int
	fmt.Sscan(code, &n)
	return fmt.Sprintf("%06d", (n+500000)%1000000)
}

// numberIsLarge checks that the number to type is shown in large type.
func (b *browser) numberIsLarge(id string) {
	b.t.Helper()
	var px float64
	b.eval(fmt.Sprintf(`parseFloat(getComputedStyle(document.getElementById(%q)).fontSize)`, id), &px)
	if px < 64 {
		b.t.Errorf("the number is %v px high, want at least 64", px)
	}
}

// clock is a server clock that tests move forward.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// selfServiceSignIn opens the self-service page and signs in as user with
// a one-time code.
func (b *browser) selfServiceSignIn(serverURL, user, code string) {
	b.t.Helper()
	b.open(serverURL + "/self-service")
	b.typeInto("user", user)
	b.typeInto("code", code)
	b.click("signinButton")
}

// listed is a device as the self-service page lists it.
type listed struct{ Name, State, Label string }

func (b *browser) devices() []listed {
	b.t.Helper()
	var out []listed
	b.eval(`[...document.querySelectorAll("#devices li")].map(li => ({name: li.querySelector(".name").innerText, state: li.dataset.state, label: li.querySelector(".state").innerText}))`, &out)
	return out
}

func (b *browser) waitState(name, state string) {
	b.t.Helper()
	b.waitFor(name+" "+state, fmt.Sprintf(`[...document.querySelectorAll("#devices li")].some(li => li.querySelector(".name").innerText === %q && li.dataset.state === %q)`, name, state), wait)
}

// TestSelfServiceDevices: signed in with a code of the laptop, the user sees
// the laptop active, a removed tablet and a phone waiting for approval;
// turns the phone away at once; removing the laptop, the last device,
// shows the number to type on it, and once the laptop approves, the page
// shows it removed.
func TestSelfServiceDevices(t *testing.T) {
	srv := start(t, server.Config{})
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	onLaptop := connected(t, laptop)
	tablet := pushtest.AdminDevice(t, srv, "ada", "tablet")
	phone := pushtest.Activate(t, pushtest.SelfServiceActivationURI(t, srv, "ada", pushtest.Code(t, tablet)), "phone")
	if !phone.Pending {
		t.Fatal("the phone does not wait for an approval")
	}
	if err := srv.RevokeDevice(tablet.DeviceID); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	b.open(srv.URL + "/self-service")
	b.shot("sign-in")
	b.typeInto("user", "ada")
	b.typeInto("code", pushtest.Code(t, laptop))
	b.click("signinButton")
	b.waitShown("manage", wait)
	b.waitState("laptop", "active")
	b.waitShown("methods", wait)
	if b.isShown("addPhone") {
		t.Error("Add a phone is offered by a server that has no telephony gateway")
	}
	want := map[string]listed{
		"laptop": {"laptop", "active", "active"},
		"tablet": {"tablet", "revoked", "removed"},
		"phone":  {"phone", "pending", "waiting for approval"},
	}
	got := b.devices()
	if len(got) != 3 {
		t.Errorf("the page lists %+v", got)
	}
	for _, d := range got {
		if d != want[d.Name] {
			t.Errorf("the page lists %+v, want %+v", d, want[d.Name])
		}
	}
	b.shot("list")

	b.clickText("Turn away")
	b.shot("turn-away-asked")
	b.clickText("Yes, turn it away")
	b.waitState("phone", "revoked")
	// The page lists the phone as removed before it reads the sign-in
	// methods again, and says so only after that read.
	b.waitFor("the phone turned away", `document.getElementById("result").innerText.trim() === "“phone” was removed."`, wait)
	b.shot("phone-turned-away")

	b.clickText("Remove (lost or replaced)")
	b.clickText("Yes, remove it")
	b.waitShown("approval", wait)
	number := b.text("number")
	if got := b.text("approvalText"); !strings.HasPrefix(got, "Approve the removal on that device") || !strings.Contains(got, "laptop") {
		t.Errorf("the approval says %q", got)
	}
	if len(number) != 2 || strings.Trim(number, "0123456789") != "" {
		t.Fatalf("the page shows the number %q", number)
	}
	b.numberIsLarge("number")
	b.shot("removal-approval")

	answer(t, onLaptop, push.KindRemoveDevice, push.Approve, number)
	start := time.Now()
	b.waitState("laptop", "revoked")
	if took := time.Since(start); took > promptly {
		t.Errorf("the page saw the approval after %v, want within %v", took, promptly)
	}
	if b.isShown("approval") {
		t.Error("the number is still shown")
	}
	if got := b.text("result"); !strings.HasPrefix(got, "“laptop” was removed") {
		t.Errorf("the page says %q", got)
	}
	if got := b.text("note"); !strings.Contains(got, "no device left") {
		t.Errorf("the page's note says %q", got)
	}
	if got := b.text("account"); !strings.Contains(got, "signed out") {
		t.Errorf("the page's account line says %q", got)
	}
	if b.isShown("add") || b.isShown("methods") {
		t.Error("signed out, the page still offers to add a device or change the methods")
	}
	b.shot("laptop-removed")
	if ds, _ := srv.Store().Devices("ada"); len(ds) != 3 || ds[0].Revoked.IsZero() || ds[1].Revoked.IsZero() || ds[2].Revoked.IsZero() {
		t.Errorf("the server has %+v", ds)
	}
}

// TestSelfServiceRemoveOwnDevice: signed in with the laptop's code, the
// user removes the laptop (the phone stays): it goes at once, and as the
// session went with it, the page asks to sign in again.
func TestSelfServiceRemoveOwnDevice(t *testing.T) {
	srv := start(t, server.Config{})
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	pushtest.AdminDevice(t, srv, "ada", "phone")
	b := newBrowser(t)
	b.selfServiceSignIn(srv.URL, "ada", pushtest.Code(t, laptop))
	b.waitState("laptop", "active")
	b.waitState("phone", "active")
	b.do("asking to remove the laptop", chromedp.Click(chromedp.CSS(`li[data-state="active"]:first-child button`), chromedp.NodeVisible))
	b.clickText("Yes, remove it")
	b.waitShown("signin", wait)
	if got := b.text("signinResult"); !strings.HasPrefix(got, "“laptop” was removed.") || !strings.Contains(got, "sign in again") {
		t.Errorf("the page says %q", got)
	}
	if b.isShown("approval") || b.isShown("manage") {
		t.Errorf("the page shows: %q", b.pageText())
	}
	b.shot("removed-signed-out")
	if ds, _ := srv.Store().Devices("ada"); len(ds) != 2 || ds[0].Name != "laptop" || ds[0].Revoked.IsZero() || !ds[1].Revoked.IsZero() {
		t.Errorf("the server has %+v", ds)
	}
}

// TestSelfServiceDenied: the last device denies its removal: the page says
// so. The server's numbers have six digits here, the most it makes: they
// fit a phone's width.
func TestSelfServiceDenied(t *testing.T) {
	srv := start(t, server.Config{NumberDigits: 6})
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	onLaptop := connected(t, laptop)
	b := newBrowser(t)
	b.selfServiceSignIn(srv.URL, "ada", pushtest.Code(t, laptop))
	b.waitState("laptop", "active")
	b.clickText("Remove (lost or replaced)")
	b.clickText("Yes, remove it")
	b.waitShown("approval", wait)
	if n := b.text("number"); len(n) != 6 {
		t.Errorf("the page shows the number %q, want six digits", n)
	}
	b.shot("six-digits")
	b.viewport(360, 740)
	b.shot("six-digits-phone-width")
	b.viewport(900, 900)
	answer(t, onLaptop, push.KindRemoveDevice, push.Deny, "")
	b.waitFor("the denial", `document.getElementById("result").innerText.includes("denied")`, wait)
	b.waitState("laptop", "active")
	if b.isShown("approval") {
		t.Error("the number is still shown")
	}
	b.shot("denied")
}

// TestSelfServiceSignInErrors: a wrong code and an unknown user get the
// same answer; a blocked user with the right code is told; after ten wrong
// codes from the address, even the right one is refused for a while.
func TestSelfServiceSignInErrors(t *testing.T) {
	srv := start(t, server.Config{})
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	b := newBrowser(t)
	b.open(srv.URL + "/self-service")
	signIn := func(user, code string) string {
		t.Helper()
		b.clear("user")
		b.clear("code")
		b.eval(`document.getElementById("signinResult").textContent = ""`, nil)
		b.typeInto("user", user)
		b.typeInto("code", code)
		b.click("signinButton")
		b.waitFor("the sign-in's answer", `document.getElementById("signinResult").innerText !== ""`, wait)
		if b.isShown("manage") {
			t.Fatalf("signed in as %s with %s", user, code)
		}
		return b.text("signinResult")
	}
	wrong := signIn("ada", wrongCode(pushtest.Code(t, laptop)))
	if !strings.Contains(wrong, "not right") {
		t.Errorf("a wrong code: %q", wrong)
	}
	b.shot("wrong-code")
	if got := signIn("nobody", "123456"); got != wrong {
		t.Errorf("an unknown user: %q, a wrong code: %q", got, wrong)
	}

	if err := srv.SetBlocked("ada", true); err != nil {
		t.Fatal(err)
	}
	if got := signIn("ada", pushtest.Code(t, laptop)); !strings.Contains(got, "blocked") {
		t.Errorf("a blocked user: %q", got)
	}
	b.shot("blocked")
	if err := srv.SetBlocked("ada", false); err != nil {
		t.Fatal(err)
	}

	for i := 0; i < 10; i++ {
		if st := call(t, srv, "/v1/self-service/sign-in", "", push.OTPVerifyBody{User: "ada", Code: "000000"}, nil); st == http.StatusTooManyRequests {
			break
		}
	}
	if got := signIn("ada", pushtest.Code(t, laptop)); !strings.Contains(got, "Too many wrong codes") {
		t.Errorf("after too many wrong codes: %q", got)
	}
	b.shot("too-many-attempts")
}

// TestDemoPage: the demo page pushes a sign-in and shows its number; the
// device approves with it and the page says so.
func TestDemoPage(t *testing.T) {
	srv := start(t, server.Config{Demo: true})
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	onLaptop := connected(t, laptop)
	b := newBrowser(t)
	b.open(srv.URL + "/")
	b.shotWide("demo")
	b.typeInto("user", "ada")
	b.clickText("Sign in")
	b.waitShown("waiting", wait)
	number := b.text("number")
	b.numberIsLarge("number")
	b.shotWide("demo-number")
	answer(t, onLaptop, push.KindSignIn, push.Approve, number)
	if took := b.waitFor("the approval", `document.getElementById("result").innerText === "Signed in: the request was approved."`, wait); took > promptly {
		t.Errorf("the page saw the approval after %v, want within %v", took, promptly)
	}
	if b.isShown("waiting") || b.isShown("live") {
		t.Errorf("signed in, the page shows: %q", b.pageText())
	}
	b.shotWide("demo-signed-in")
}

// TestDemoPageServerRestart: the server restarts while the demo page waits
// for the approval: the page says it is reconnecting, and once the server
// and the device are back, the approval reaches it.
func TestDemoPageServerRestart(t *testing.T) {
	srv := start(t, server.Config{Demo: true})
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	onLaptop := connected(t, laptop)
	b := newBrowser(t)
	b.open(srv.URL + "/")
	b.typeInto("user", "ada")
	b.clickText("Sign in")
	b.waitShown("waiting", wait)
	number := b.text("number")
	req := onLaptop.Next(t, "the sign-in request", pushtest.RequestOfKind(push.KindSignIn)).Request
	srv.Stop()
	b.waitShown("live", wait)
	if got := b.text("live"); !strings.HasPrefix(got, "Cannot reach the server. Reconnecting… (next try in ") {
		t.Errorf("the server down, the page says %q", got)
	}
	b.shot("demo-reconnecting")
	srv.Restart()
	b.forgiveRefused()
	onLaptop.Next(t, "the laptop back", pushtest.Connected)
	ctx, cancel := context.WithTimeout(context.Background(), pushtest.Wait)
	defer cancel()
	if err := onLaptop.Answer(ctx, req, push.Approve, push.ReasonNone, number); err != nil {
		t.Fatalf("approving after the restart: %v", err)
	}
	b.waitFor("the approval", `document.getElementById("result").innerText === "Signed in: the request was approved."`, 40*time.Second)
	if b.isShown("live") {
		t.Errorf("signed in, the page still says %q", b.text("live"))
	}
}

// TestSelfServiceAddAndRemoveLost: signed in with the laptop's code, the
// user adds a phone: the page follows it live, lists it as waiting for
// approval with the number to approve, and as active once the laptop
// approves. Then the laptop is lost: signed in with the phone's code, the
// user removes it at once.
func TestSelfServiceAddAndRemoveLost(t *testing.T) {
	srv := start(t, server.Config{})
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	onLaptop := connected(t, laptop)
	b := newBrowser(t)
	b.open(srv.URL + "/self-service")
	b.shotWide("self-service-sign-in")
	b.typeInto("user", "ada")
	b.typeInto("code", pushtest.Code(t, laptop))
	b.click("signinButton")
	b.waitState("laptop", "active")
	b.click("add")
	b.waitShown("added", wait)
	var link string
	b.eval(`document.getElementById("enrollLink").href`, &link)
	if got := b.text("addedStatus"); got != "Waiting for the new device to scan the code on that page…" {
		t.Errorf("after adding, the page says %q", got)
	}
	phone := pushtest.Activate(t, activationURI(t, link), "phone")
	if !phone.Pending {
		t.Fatal("the phone joined without an approval")
	}
	start := time.Now()
	b.waitState("phone", "pending")
	want := "The new device waits for your approval: on one of your devices, approve the request with the number " + phone.ApprovalNumber + "."
	b.waitFor("the number", fmt.Sprintf(`document.getElementById("addedStatus").innerText === %q`, want), wait)
	if took := time.Since(start); took > promptly {
		t.Errorf("the page listed the phone after %v, want within %v", took, promptly)
	}
	b.shotWide("self-service-add-approval")

	answer(t, onLaptop, push.KindAddDevice, push.Approve, phone.ApprovalNumber)
	start = time.Now()
	b.waitState("phone", "active")
	b.waitFor("added", `document.getElementById("addedStatus").innerText === "The new device was added."`, wait)
	if took := time.Since(start); took > promptly {
		t.Errorf("the page saw the approval after %v, want within %v", took, promptly)
	}
	b.shotWide("self-service-added")

	// The laptop is lost; the phone signs in and removes it.
	b.selfServiceSignIn(srv.URL, "ada", pushtest.Code(t, phone))
	b.waitState("laptop", "active")
	b.do("asking to remove the laptop", chromedp.Click(chromedp.CSS(fmt.Sprintf(`li[data-id=%q] button`, laptop.DeviceID)), chromedp.NodeVisible))
	b.shot("self-service-remove-asked")
	b.clickText("Yes, remove it")
	b.waitState("laptop", "revoked")
	// The list may turn first (a notice of the change refreshes it): the
	// removal's own answer then says so.
	b.waitFor("the removal's message", `document.getElementById("result").innerText === "“laptop” was removed."`, wait)
	if b.isShown("approval") || !b.isShown("add") {
		t.Errorf("after removing the lost laptop the page shows: %q", b.pageText())
	}
	b.waitState("phone", "active")
	b.shotWide("self-service-lost-removed")
	if d, err := srv.Store().Device(laptop.DeviceID); err != nil || d.Revoked.IsZero() {
		t.Errorf("the laptop on the server: %+v, %v", d, err)
	}
}

// TestHarnessSeesCSPViolations: the checks of these tests see what the
// pages' Content-Security-Policy refuses (an inline script, an inline
// style), so a page that needed one would fail them.
func TestHarnessSeesCSPViolations(t *testing.T) {
	srv := start(t, server.Config{})
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.open(enr.EnrollURL)
	b.waitShown("scan", wait)
	b.eval(`(() => { const s = document.createElement("script"); s.textContent = "window.inlineRan = true"; document.body.append(s); })()`, nil)
	b.eval(`document.body.setAttribute("style", "color: red")`, nil)
	var ran bool
	b.eval(`window.inlineRan === true`, &ran)
	if ran {
		t.Error("an inline script ran under the server's CSP")
	}
	deadline := time.Now().Add(wait)
	var seen []string
	for time.Now().Before(deadline) {
		seen = append(seen, b.takeProblems()...)
		script, style := false, false
		for _, p := range seen {
			script = script || (cspMessage(p) && strings.Contains(p, "script-src"))
			style = style || (cspMessage(p) && strings.Contains(p, "style-src"))
		}
		if script && style {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("the inline script and style were not both reported: %q", seen)
}
