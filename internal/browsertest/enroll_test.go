package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// The enrollment page in a real browser: it follows the enrollment live,
// through server restarts and network drops, and shows only what the
// server says.

// checkCode types a code on the enrollment page and waits for the verdict
// on a wrong one.
func (b *browser) checkCode(code, want string) {
	b.t.Helper()
	b.clear("code")
	b.typeInto("code", code)
	b.clickText("Check")
	b.waitFor("the code's verdict", fmt.Sprintf(`document.getElementById("confirmResult").innerText.includes(%q)`, want), wait)
	if b.isShown("done") {
		b.t.Errorf("after %s the page says done: %q", want, b.pageText())
	}
}

// finish types the right code: the page turns to its last step, which
// says done.
func (b *browser) finish(code, done string) {
	b.t.Helper()
	b.clear("code")
	b.typeInto("code", code)
	b.clickText("Check")
	b.waitShown("done", wait)
	if got := b.text("doneText"); got != done {
		b.t.Errorf("the page says %q, want %q", got, done)
	}
	if b.isShown("confirm") || b.isShown("otherApp") || b.isShown("live") {
		b.t.Errorf("done, the page still shows more: %q", b.pageText())
	}
}

// liveLine is the page's line about what it waits for and the connection.
type liveLine struct{ Class, Text string }

func (b *browser) live() liveLine {
	b.t.Helper()
	var l liveLine
	b.eval(`(e => ({class: e.className, text: e.innerText}))(document.getElementById("live"))`, &l)
	return l
}

// shotWide takes a screenshot at the window's width and one at a phone's.
func (b *browser) shotWide(state string) {
	b.t.Helper()
	b.shot(state)
	b.viewport(375, 812)
	b.shot(state + "-phone")
	b.viewport(900, 900)
}

// offline cuts the browser off the network, or lets it back on, and tells
// the page as a real drop does (navigator.onLine, the offline and online
// events).
func (b *browser) offline(off bool) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	rules := []*network.Conditions{}
	if off {
		rules = append(rules, &network.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules}); err != nil {
		b.t.Fatalf("network conditions (offline %v): %v", off, err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		b.t.Fatalf("network state (offline %v): %v", off, err)
	}
}

// openEnrollPage starts a server, makes an enrollment for ada (her first
// device) and opens its page, which shows the QR code.
func openEnrollPage(t *testing.T) (*servertest.Server, server.Enrollment, *browser) {
	t.Helper()
	srv := start(t, server.Config{})
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.open(enr.EnrollURL)
	b.waitShown("scan", wait)
	b.imageLoaded("qr")
	return srv, enr, b
}

// forgiveRefused reports the problems the browser saw so far, but the
// loads that a server a test had stopped refused or cut: refused while it
// was down, and reset or left without an answer when it stopped in the
// middle of a long-poll (which of the two depends on the timing of the
// close, RST or FIN).
func (b *browser) forgiveRefused() {
	b.t.Helper()
	for _, p := range b.takeProblems() {
		if !strings.Contains(p, "net::ERR_CONNECTION_REFUSED") && !strings.Contains(p, "net::ERR_CONNECTION_RESET") &&
			!strings.Contains(p, "net::ERR_EMPTY_RESPONSE") {
			b.t.Errorf("browser console: %s", p)
		}
	}
}

// TestEnrollPageFirstDevice: a user's first device, enrolled by an
// administrator: the page shows the QR code and says it waits for the app;
// as soon as the app activates with it, the page says so without a reload
// and asks for a code, tells a wrong code from the right one, and says
// done only once the server accepted the right one.
func TestEnrollPageFirstDevice(t *testing.T) {
	_, enr, b := openEnrollPage(t)
	if got := b.text("who"); got != "Account: ada" {
		t.Errorf("the page names %q", got)
	}
	if l := b.live(); l.Class != "live waiting" || l.Text != "Waiting for your app to scan the code. This page follows it live." {
		t.Errorf("the live line: %+v", l)
	}
	if b.isShown("confirm") || b.isShown("approve") || b.isShown("otherApp") || b.isShown("done") || b.isShown("retry") {
		t.Errorf("the page shows more than the QR code: %q", b.pageText())
	}
	b.shotWide("waiting")

	phone := pushtest.Activate(t, enr.ActivationURI, "phone")
	if phone.Pending {
		t.Fatal("the first device waits for an approval")
	}
	if took := b.waitShown("confirm", wait); took > promptly {
		t.Errorf("the page saw the activation after %v, want within %v", took, promptly)
	}
	if b.isShown("scan") || b.isShown("approve") || b.isShown("live") || b.isShown("done") {
		t.Errorf("the QR code, an approval, the live line or done is still shown: %q", b.pageText())
	}
	if got := b.text("activated"); got != "Your Countersign app is activated." {
		t.Errorf("the page says %q", got)
	}
	if got := b.text("announce"); got != "Your Countersign app is activated." {
		t.Errorf("screen readers are told %q", got)
	}
	b.shotWide("activated")

	b.checkCode(wrongCode(pushtest.Code(t, phone)), "not right")
	b.shot("wrong-code")
	b.finish(pushtest.Code(t, phone), "Done: your Countersign app is activated and checked.")
	b.shotWide("done")
}

// TestEnrollPageServerRestart: the server restarts while the page waits
// (same data, same port). Restarted at once, the page goes on waiting;
// down for a while, the page says it is reconnecting (no blind spinner),
// offers to try now, and once the server is back it follows the
// enrollment again and turns to "activated" without a reload.
func TestEnrollPageServerRestart(t *testing.T) {
	srv, enr, b := openEnrollPage(t)

	// Restarted at once: the long-poll is cut; the page says so, calls
	// again, and waits again.
	b.eval(`(() => { window.liveLog = []; new MutationObserver(() => window.liveLog.push(document.getElementById("live").className))
		.observe(document.getElementById("live"), {attributes: true, attributeFilter: ["class"]}); })()`, nil)
	srv.Restart()
	b.waitFor("reconnecting, then waiting again", `window.liveLog.includes("live reconnecting") && window.liveLog.at(-1) === "live waiting"`, wait)

	// Down: the page says so, and keeps trying.
	srv.Stop()
	b.waitFor("reconnecting", `document.getElementById("live").className === "live reconnecting"`, wait)
	if l := b.live(); !strings.Contains(l.Text, "Reconnecting… (next try in") {
		t.Errorf("while the server is down the page says %q", l.Text)
	}
	if !b.isShown("retry") || b.isShown("confirm") || b.isShown("failed") {
		t.Errorf("while the server is down the page shows: %q", b.pageText())
	}
	b.shotWide("reconnecting")
	// It keeps trying, further and further apart.
	b.waitFor("a longer pause", `/next try in ([4-9]|[1-9][0-9]) s/.test(document.getElementById("live").innerText)`, 40*time.Second)

	srv.Restart()
	b.forgiveRefused()
	phone := pushtest.Activate(t, enr.ActivationURI, "phone")
	b.click("retry") // instead of waiting out the pause
	if took := b.waitShown("confirm", wait); took > promptly {
		t.Errorf("the page saw the activation after %v once the server was back, want within %v", took, promptly)
	}
	if got := b.text("activated"); got != "Your Countersign app is activated." {
		t.Errorf("the page says %q", got)
	}
	if b.isShown("live") || b.isShown("retry") {
		t.Errorf("activated, the page still shows the live line: %+v", b.live())
	}
	b.finish(pushtest.Code(t, phone), "Done: your Countersign app is activated and checked.")
}

// TestEnrollPageBackOff: with the server down, the page tries again
// after a growing, jittered pause: the first tries within seconds, then
// further apart, never more often than 1 s and never more than 30 s apart.
func TestEnrollPageBackOff(t *testing.T) {
	_, _, b := openEnrollPage(t)
	var pauses []float64
	b.eval(`(() => { const b = []; for (let n = 1; n <= 8; n++) b.push(backoff(n)); return b; })()`, &pauses)
	for i, p := range pauses {
		top := min(30000, 1000*float64(int(1)<<i))
		if p < top/2 || p > top {
			t.Errorf("pause after %d failures: %v ms, want between %v and %v", i+1, p, top/2, top)
		}
	}
	var spread bool
	b.eval(`(() => { const s = new Set(); for (let i = 0; i < 20; i++) s.add(backoff(5)); return s.size > 10; })()`, &spread)
	if !spread {
		t.Error("the pauses are not jittered")
	}
}

// TestEnrollPageNetworkDrop: the browser goes offline while the page waits:
// it says it is reconnecting; back online, it calls at once and shows the
// activation that happened meanwhile.
func TestEnrollPageNetworkDrop(t *testing.T) {
	_, enr, b := openEnrollPage(t)
	b.offline(true)
	// Offline, the long-poll under way is given up at once.
	if took := b.waitFor("reconnecting", `document.getElementById("live").className === "live reconnecting"`, wait); took > promptly {
		t.Errorf("the page saw the network go after %v, want within %v", took, promptly)
	}
	if l := b.live(); !strings.HasPrefix(l.Text, "This device is offline.") {
		t.Errorf("offline, the page says %q", l.Text)
	}
	b.shot("offline")
	pushtest.Activate(t, activationURI(t, enr.EnrollURL), "phone")
	// Wait until the back-off has grown past what the test waits below.
	b.waitFor("a longer pause", `/next try in ([6-9]|[1-9][0-9]) s/.test(document.getElementById("live").innerText)`, 40*time.Second)
	if b.isShown("confirm") {
		t.Fatal("offline, the page saw the activation")
	}
	b.offline(false)
	if took := b.waitShown("confirm", wait); took > promptly {
		t.Errorf("back online, the page saw the activation after %v, want within %v", took, promptly)
	}
}

// TestEnrollPageSilentServer: a call the server never answers (a
// connection dropped without a word) is given up after the long-poll's
// time and a margin, with a reason, instead of spinning forever.
func TestEnrollPageSilentServer(t *testing.T) {
	_, _, b := openEnrollPage(t)
	// From now on the network swallows every call (until it is aborted).
	b.eval(`window.fetch = (url, init) => new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))))`, nil)
	b.eval(`status(0).then(() => window.silent = "answered", e => window.silent = e.message)`, nil)
	start := time.Now()
	b.waitFor("the call given up", `window.silent !== undefined`, 20*time.Second)
	var got string
	b.eval(`window.silent`, &got)
	if got != "The server did not answer in time." {
		t.Errorf("the silent call ended with %q", got)
	}
	if took := time.Since(start); took < 9*time.Second || took > 12*time.Second {
		t.Errorf("the silent call was given up after %v, want the 10 s margin", took)
	}
}

// TestEnrollPageApprovalOnAnotherDevice: a user who has a laptop adds a
// phone through self-service, in the browser. The page says the phone will
// need an approval; once the phone activates, its enrollment page says it
// waits for the approval and shows the number the phone was given, in
// large; approving on the laptop with it turns the page to the code step.
func TestEnrollPageApprovalOnAnotherDevice(t *testing.T) {
	srv := start(t, server.Config{})
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	onLaptop := connected(t, laptop)

	b := newBrowser(t)
	b.selfServiceSignIn(srv.URL, "ada", pushtest.Code(t, laptop))
	b.waitShown("manage", wait)
	b.click("add")
	b.waitShown("added", wait)
	if got := b.text("added"); !strings.Contains(got, "will need your approval on one of your existing devices") {
		t.Errorf("adding a device says %q", got)
	}
	var link string
	b.eval(`document.getElementById("enrollLink").href`, &link)
	if !strings.HasPrefix(link, srv.URL+"/enroll/") {
		t.Fatalf("the enrollment link is %q", link)
	}
	b.shot("self-service-added")

	b.open(link)
	b.waitShown("scan", wait)
	b.imageLoaded("qr")
	phone := pushtest.Activate(t, activationURI(t, link), "phone")
	if !phone.Pending || phone.ApprovalNumber == "" {
		t.Fatalf("the phone joins without an approval: %+v", phone)
	}
	if took := b.waitShown("approve", wait); took > promptly {
		t.Errorf("the page saw the activation after %v, want within %v", took, promptly)
	}
	b.waitFor("the number", fmt.Sprintf(`document.getElementById("number").innerText === %q`, phone.ApprovalNumber), wait)
	if got := b.text("approveTitle"); got != "Waiting for approval on your other device" {
		t.Errorf("the approval step is titled %q", got)
	}
	if l := b.live(); l.Class != "live waiting" || l.Text != "Waiting for your approval on your other device." {
		t.Errorf("the live line: %+v", l)
	}
	if b.isShown("scan") || b.isShown("confirm") {
		t.Errorf("the page shows the QR code or the code step while the approval waits: %q", b.pageText())
	}
	b.numberIsLarge("number")
	b.shotWide("approval")

	answer(t, onLaptop, push.KindAddDevice, push.Approve, phone.ApprovalNumber)
	if took := b.waitShown("confirm", wait); took > promptly {
		t.Errorf("the page saw the approval after %v, want within %v", took, promptly)
	}
	if b.isShown("approve") {
		t.Error("the number is still shown after the approval")
	}
	b.shot("approved")
	b.finish(pushtest.Code(t, phone), "Done: your Countersign app is activated and checked.")
}

// TestEnrollPageApprovalDenied: the approval of the new device is denied on
// the existing one: the page says plainly that the device is not on the
// account.
func TestEnrollPageApprovalDenied(t *testing.T) {
	srv := start(t, server.Config{})
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	onLaptop := connected(t, laptop)
	link := selfServiceEnrollURL(t, srv, "ada", pushtest.Code(t, laptop))

	b := newBrowser(t)
	b.open(link)
	b.waitShown("scan", wait)
	pushtest.Activate(t, activationURI(t, link), "phone")
	b.waitShown("approve", wait)
	answer(t, onLaptop, push.KindAddDevice, push.Deny, "")
	if took := b.waitShown("rejected", wait); took > promptly {
		t.Errorf("the page saw the denial after %v, want within %v", took, promptly)
	}
	if got := b.text("rejectedText"); got != "This device is not on your account." {
		t.Errorf("the page says %q", got)
	}
	if b.isShown("approve") || b.isShown("confirm") || b.isShown("scan") || b.isShown("live") {
		t.Errorf("the page shows more: %q", b.pageText())
	}
	b.shot("rejected")
}

// TestEnrollPageApprovalLostInRestart: the server restarts while a new
// device waits for its approval, and the approval runs out while no timer
// of the new server watches it. The page does not wait forever for a number
// that will not come: it says the device is not on the account, and the
// device is turned away on the server too.
func TestEnrollPageApprovalLostInRestart(t *testing.T) {
	var c clock
	srv := start(t, server.Config{Now: c.Now})
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	link := selfServiceEnrollURL(t, srv, "ada", pushtest.Code(t, laptop))
	b := newBrowser(t)
	b.open(link)
	b.waitShown("scan", wait)
	phone := pushtest.Activate(t, activationURI(t, link), "phone")
	b.waitShown("approve", wait)
	srv.Restart()
	c.Add(3 * time.Minute) // past the request's 2 minutes
	b.waitShown("rejected", 2*wait)
	if b.isShown("approve") || b.isShown("live") {
		t.Errorf("the page shows: %q", b.pageText())
	}
	d, err := srv.Store().Device(phone.DeviceID)
	if err != nil || d.Revoked.IsZero() {
		t.Errorf("the phone on the server: %+v, %v; want turned away", d, err)
	}
}

// TestEnrollPageAnotherApp: the user has a laptop and adds another
// authenticator app from a self-service link: "Use another authenticator
// app" spends the code for it, shows its otpauth:// QR code (which that app
// reads), and the number to approve on the laptop; once approved, the page
// asks for a code of the other app, and says done only once it is right.
// Opened again, the page says done, and the seed's QR code is no longer
// served.
func TestEnrollPageAnotherApp(t *testing.T) {
	srv := start(t, server.Config{})
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	onLaptop := connected(t, laptop)
	link := selfServiceEnrollURL(t, srv, "ada", pushtest.Code(t, laptop))

	b := newBrowser(t)
	b.open(link)
	b.waitShown("scan", wait)
	b.imageLoaded("qr")
	b.click("other")
	b.waitShown("otherApp", wait)
	b.imageLoaded("otpauth")
	b.waitShown("approve", wait)
	if b.isShown("scan") {
		t.Error("the Countersign app's QR code (spent now) is still shown")
	}
	b.waitFor("the number", `/^[0-9]{2}$/.test(document.getElementById("number").innerText)`, wait)
	number := b.text("number")
	b.numberIsLarge("number")
	b.shot("other-app-approval")

	answer(t, onLaptop, push.KindAddDevice, push.Approve, number)
	if took := b.waitShown("confirm", wait); took > promptly {
		t.Errorf("the page saw the approval after %v, want within %v", took, promptly)
	}
	if got := b.text("activated"); got != "2. Type a code to finish adding your authenticator app" {
		t.Errorf("the page says %q", got)
	}
	if !b.isShown("otherApp") || b.isShown("approve") || b.isShown("done") {
		t.Errorf("after the approval the page shows: %q", b.pageText())
	}
	b.shot("other-app-approved")
	b.finish(otherAppCode(t, link), "Done: your authenticator app is added.")
	b.shot("other-app-done")

	b.open(link)
	b.waitShown("done", wait)
	if b.isShown("scan") || b.isShown("approve") || b.isShown("otherApp") || b.isShown("confirm") {
		t.Errorf("opened again, the page shows: %q", b.pageText())
	}
	if resp, err := http.Get(link + "/otpauth.png"); err != nil || resp.StatusCode != http.StatusGone {
		t.Errorf("the seed's QR code after the app's first code: %v %v, want 410", resp.Status, err)
	} else {
		resp.Body.Close()
	}
}

// TestEnrollPageAnotherAppFirstDevice: "Use another authenticator app" as
// the first device needs no approval: its QR code and the code step at
// once. Until a code of that app is accepted the page says nothing is
// added or activated — the page that said "Your app is activated" as soon
// as the link was clicked fails here — not even opened again; a wrong code
// changes nothing; the right one ends it, and the activation code is spent.
func TestEnrollPageAnotherAppFirstDevice(t *testing.T) {
	_, enr, b := openEnrollPage(t)
	b.click("other")
	b.waitShown("confirm", wait)
	b.imageLoaded("otpauth")
	notYet := func(when string) {
		t.Helper()
		text := strings.ToLower(b.pageText())
		for _, lie := range []string{"activated", "added", "all set", "done"} {
			if strings.Contains(text, lie) {
				t.Errorf("%s, before any code of the app, the page says %q: %q", when, lie, b.pageText())
			}
		}
		if b.isShown("done") || b.isShown("scan") || b.isShown("approve") || !b.isShown("otherApp") {
			t.Errorf("%s the page shows: %q", when, b.pageText())
		}
	}
	notYet("at once")
	if got := b.text("codeLabel"); got != "The six-digit code your authenticator app now shows for this account" {
		t.Errorf("the code step asks %q", got)
	}
	b.shotWide("other-app")
	b.open(enr.EnrollURL)
	b.waitShown("confirm", wait)
	b.imageLoaded("otpauth")
	notYet("opened again")

	code := otherAppCode(t, enr.EnrollURL)
	b.checkCode(wrongCode(code), "not right")
	notYet("after a wrong code")
	b.finish(code, "Done: your authenticator app is added.")
	b.shot("other-app-done")

	act, err := push.ParseActivationURI(enr.ActivationURI)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pushtest.Wait)
	defer cancel()
	if _, err := device.Activate(ctx, http.DefaultClient, act, "phone"); err == nil {
		t.Error("the Countersign app could still activate with the spent code")
	}
}

// TestEnrollPageExpired: an expired link of a user without a device cannot
// be renewed: the page says so and offers no button; one of a user who has
// a device offers a new code (whose device will need an approval).
func TestEnrollPageExpired(t *testing.T) {
	var c clock
	srv := start(t, server.Config{Now: c.Now})
	if err := srv.AddUser("bob", true); err != nil {
		t.Fatal(err)
	}
	pushtest.AdminDevice(t, srv, "bob", "laptop")
	ada, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := srv.Enroll("bob")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(11 * time.Minute)

	b := newBrowser(t)
	b.open(ada.EnrollURL)
	b.waitShown("expired", wait)
	if got := b.text("expiredText"); !strings.Contains(got, "can no longer be renewed") {
		t.Errorf("the page says %q", got)
	}
	if b.isShown("renew") || b.isShown("live") || b.isShown("scan") {
		t.Errorf("the page shows: %q", b.pageText())
	}
	b.shotWide("expired")

	b.open(bob.EnrollURL)
	b.waitShown("renew", wait)
	b.shot("expired-renewable")
	b.click("renew")
	b.waitFor("the new link", fmt.Sprintf(`location.href.startsWith(%q) && location.href !== %q`, srv.URL+"/enroll/", bob.EnrollURL), wait)
	b.waitShown("scan", wait)
	b.imageLoaded("qr")
	b.shot("renewed")
}

// TestEnrollPageUnknownLink: a link the server does not know shows the
// server's reason, once, and no spinner.
func TestEnrollPageUnknownLink(t *testing.T) {
	srv := start(t, server.Config{})
	b := newBrowser(t)
	b.open(srv.URL + "/enroll/no-such-token")
	b.waitShown("failed", wait)
	if got := b.text("failedText"); got != "This enrollment link is not known; ask your administrator for a new one." {
		t.Errorf("the page says %q", got)
	}
	if b.isShown("live") || b.isShown("scan") {
		t.Errorf("the page shows: %q", b.pageText())
	}
	b.shot("unknown")
}

// The keyboard alone completes the code step: the field has a label, and
// the focus is visible.
func TestEnrollPageKeyboard(t *testing.T) {
	srv := start(t, server.Config{})
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	phone := pushtest.Activate(t, enr.ActivationURI, "phone")
	b := newBrowser(t)
	b.open(enr.EnrollURL)
	b.waitShown("confirm", wait)
	var label string
	b.eval(`document.getElementById("code").labels[0].innerText`, &label)
	if !strings.Contains(label, "six-digit code") {
		t.Errorf("the code field's label: %q", label)
	}
	b.do("tabbing to the code field", chromedp.KeyEvent("\t"))
	var focused string
	b.eval(`document.activeElement.id`, &focused)
	if focused != "code" {
		t.Fatalf("the first Tab goes to #%s, want #code", focused)
	}
	var outline string
	b.eval(`getComputedStyle(document.activeElement).outlineStyle`, &outline)
	if outline == "none" {
		t.Error("the focused field shows no outline")
	}
	b.do("typing the code and Enter", chromedp.KeyEvent(pushtest.Code(t, phone)+"\r"))
	b.waitShown("done", wait)
	b.shot("keyboard-done")
}

// TestEnrollPageShowsRecoveryCodesOnce: the first enrollment ends with the
// user's ten recovery codes on the page, and one of them works once at the
// relying-party API (TestEnrollmentGivesRecoveryCodesOnce in push/server
// shows that they are given once).
func TestEnrollPageShowsRecoveryCodesOnce(t *testing.T) {
	srv, enr, b := openEnrollPage(t)
	phone := pushtest.Activate(t, enr.ActivationURI, "phone")
	b.waitShown("confirm", wait)
	b.finish(pushtest.Code(t, phone), "Done: your Countersign app is activated and checked.")
	if !b.isShown("recovery") {
		t.Fatalf("no recovery codes on the page: %q", b.pageText())
	}
	var codes []string
	b.eval(`[...document.querySelectorAll("#recoveryCodes li")].map(li => li.innerText)`, &codes)
	if len(codes) != 10 {
		t.Fatalf("the page shows %d recovery codes: %v", len(codes), codes)
	}
	b.shotWide("done-with-recovery-codes")
	key, _, err := srv.AddRelyingParty("shop", "")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		if got := verifyCode(t, srv, key, "ada", codes[3]); got != want {
			t.Fatalf("recovery code, use %d: valid %v, want %v", i+1, got, want)
		}
	}
}

// verifyCode asks the relying-party API whether a code of user is right.
func verifyCode(t *testing.T, srv *servertest.Server, key, user, code string) bool {
	t.Helper()
	body, _ := json.Marshal(push.OTPVerifyBody{User: user, Code: code})
	req, _ := http.NewRequest("POST", srv.URL+"/v1/otp/verify", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res push.OTPVerifyResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 {
		t.Fatalf("verify: %d %v", resp.StatusCode, err)
	}
	return res.Valid
}
