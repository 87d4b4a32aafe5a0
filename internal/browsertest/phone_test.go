package browsertest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
	"github.com/countersign/countersign/push/telephony"
)

// Phones cannot exist here: the server's file gateway stands in for the
// telephony provider, and the tests read the code a text message or call
// carried from its file, as the phone's owner would.

// adaPhone is a UK number of the range kept for drama (+44 20 7946 0xxx).
const adaPhone = "+442079460958"

// phoneServer starts a server whose texts and calls go to a file (UK
// numbers allowed), with the user ada; it returns the file too.
func phoneServer(t *testing.T) (*servertest.Server, string) {
	t.Helper()
	outbox := filepath.Join(t.TempDir(), "outbox.jsonl")
	g, err := telephony.Parse("file:" + outbox)
	if err != nil {
		t.Fatal(err)
	}
	return start(t, server.Config{Telephony: g, TelephonyCountries: []string{"GB"}}), outbox
}

var digit = regexp.MustCompile(`\d`)

// sentCode is the code of the last text or call to phone: a text's six
// digits, or the digits a call reads out one by one.
func sentCode(t *testing.T, outbox, phone string) (kind, code string) {
	t.Helper()
	data, err := os.ReadFile(outbox)
	if err != nil {
		t.Fatalf("reading the texts and calls sent: %v", err)
	}
	for line := range strings.Lines(string(data)) {
		var m struct{ Kind, To, Body string }
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("the file gateway's line %q: %v", line, err)
		}
		if m.To != phone {
			continue
		}
		body := m.Body
		if m.Kind == "sms" {
			body = regexp.MustCompile(`\b\d{6}\b`).FindString(body)
		}
		kind, code = m.Kind, strings.Join(digit.FindAllString(body, 6), "")
	}
	if len(code) != 6 {
		t.Fatalf("no text or call with a code went to %s: %s", phone, data)
	}
	return kind, code
}

// TestEnrollPageByPhone: a user without a smartphone picks text messages
// on the enrollment page: a code goes to the phone; a wrong one is
// refused, the right one ends the enrollment, and the user signs in by
// text message from then on.
func TestEnrollPageByPhone(t *testing.T) {
	srv, outbox := phoneServer(t)
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.open(enr.EnrollURL)
	b.waitShown("phoneOffer", wait)
	b.shot("phone-offered")
	b.click("usePhone")
	b.waitShown("phoneStep", wait)
	if b.isShown("scan") || b.isShown("live") {
		t.Errorf("choosing the phone, the page shows: %q", b.pageText())
	}
	var focused string
	b.eval(`document.activeElement.id`, &focused)
	if focused != "phone" {
		t.Errorf("the focus is on #%s, want the phone number", focused)
	}
	b.typeInto("phone", "+44 20 7946 0958")
	b.shotWide("phone-number")
	b.clickText("Send a code")
	b.waitShown("phoneCodeForm", wait)
	if got := b.text("phoneSent"); !strings.HasPrefix(got, "We sent a text message with a code to •••• 0958.") {
		t.Errorf("after sending, the page says %q", got)
	}
	kind, code := sentCode(t, outbox, adaPhone)
	if kind != "sms" {
		t.Errorf("the code went by %s, want sms", kind)
	}
	b.typeInto("phoneCode", wrongCode(code))
	b.clickText("Check")
	b.waitFor("the refusal", `document.getElementById("phoneResult").innerText.includes("not the one sent to •••• 0958")`, wait)
	if b.isShown("done") {
		t.Fatal("a wrong code ended the enrollment")
	}
	b.shotWide("phone-code")
	b.clear("phoneCode")
	b.typeInto("phoneCode", code)
	b.clickText("Check")
	b.waitShown("done", wait)
	if got := b.text("doneText"); got != "Done: sign-ins will send a code to •••• 0958 by text message." {
		t.Errorf("the page says %q", got)
	}
	if b.isShown("phoneStep") || b.isShown("scan") {
		t.Errorf("done, the page shows: %q", b.pageText())
	}
	b.shotWide("phone-done")
	m, err := srv.UserMethods("ada")
	if err != nil || !m.SMS || m.Voice || m.Phone != adaPhone || m.Default != push.MethodSMS {
		t.Errorf("ada's methods: %+v, %v", m, err)
	}
	// Opened again, the page says done.
	b.open(enr.EnrollURL)
	b.waitShown("done", wait)
	if got := b.text("doneText"); got != "Done: sign-ins will send a code to your phone." {
		t.Errorf("opened again, the page says %q", got)
	}
}

// TestEnrollPageNoPhoneOffer: without a telephony gateway, or for a user
// who has a device already, the page offers no phone.
func TestEnrollPageNoPhoneOffer(t *testing.T) {
	_, enr, b := openEnrollPage(t)
	var offered bool
	b.eval(`!document.getElementById("phoneOffer").classList.contains("hidden")`, &offered)
	if offered {
		t.Error("a server without a telephony gateway offers the phone")
	}
	_ = enr
	srv, _ := phoneServer(t)
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	link := selfServiceEnrollURL(t, srv, "ada", pushtest.Code(t, laptop))
	b.open(link)
	b.waitShown("scan", wait)
	b.eval(`!document.getElementById("phoneOffer").classList.contains("hidden")`, &offered)
	if offered {
		t.Error("a user with a device is offered the phone on the enrollment page")
	}
	// The second server stops before the browser that was opened for the
	// first (cleanups run last first): leave the page, or its long-poll
	// meets a closed port and the browser reports it.
	b.open("about:blank")
}

// TestSelfServiceAddPhone: signed in with the laptop's code, the user adds
// a phone for calls: a call reads out a code, typed back; then the laptop
// approves with the number the page shows; the page lists the phone, and
// the user makes it the default.
func TestSelfServiceAddPhone(t *testing.T) {
	srv, outbox := phoneServer(t)
	laptop := pushtest.AdminDevice(t, srv, "ada", "laptop")
	onLaptop := connected(t, laptop)
	b := newBrowser(t)
	b.selfServiceSignIn(srv.URL, "ada", pushtest.Code(t, laptop))
	b.waitShown("methods", wait)
	if got := b.methods(); got != "Countersign app (push) [default]" {
		t.Errorf("the methods listed: %q", got)
	}
	b.waitShown("addPhone", wait)
	b.click("addPhone")
	b.waitShown("phoneForm", wait)
	b.typeInto("phone", "020 7946 0958")
	b.clickText("Send a code")
	b.waitFor("the refusal", `document.getElementById("phoneResult").innerText !== ""`, wait)
	if got := b.text("phoneResult"); !strings.Contains(got, "country") && !strings.Contains(got, "+") {
		t.Errorf("a number without its country code: %q", got)
	}
	b.clear("phone")
	b.typeInto("phone", "+44 20 7946 0958")
	b.click("methodVoice")
	b.clickText("Send a code")
	b.waitShown("phoneCodeForm", wait)
	if got := b.text("phoneSent"); !strings.HasPrefix(got, "We are calling •••• 0958") {
		t.Errorf("after sending, the page says %q", got)
	}
	kind, code := sentCode(t, outbox, adaPhone)
	if kind != "voice" {
		t.Errorf("the code went by %s, want voice", kind)
	}
	b.typeInto("phoneCode", code)
	b.clickText("Check")
	b.waitShown("approval", wait)
	number := b.text("number")
	if got := b.text("approvalText"); !strings.HasPrefix(got, "Approve adding this phone on one of your devices") {
		t.Errorf("the approval says %q", got)
	}
	b.shotWide("self-service-phone-approval")
	answer(t, onLaptop, push.KindSignIn, push.Approve, number)
	b.waitFor("the phone listed", fmt.Sprintf(`document.getElementById("methodList").innerText.includes(%q)`, "Phone call to •••• 0958"), wait)
	if got := b.methods(); got != "Countersign app (push) [default] | Phone call to •••• 0958" {
		t.Errorf("the methods listed: %q", got)
	}
	if b.isShown("approval") || b.isShown("phoneForm") || b.isShown("phoneCodeForm") {
		t.Errorf("the phone added, the page shows: %q", b.pageText())
	}
	b.shotWide("self-service-phone-added")
	b.clickText("Make default")
	b.waitFor("the new default", `[...document.querySelectorAll("#methodList li")].some(li => li.dataset.default === "true" && li.querySelector(".name").innerText === "Phone call to •••• 0958")`, wait)
	if m, err := srv.UserMethods("ada"); err != nil || m.Default != push.MethodVoice || !m.Voice {
		t.Errorf("ada's methods: %+v, %v", m, err)
	}
	b.shotWide("self-service-methods")
}

// methods is the self-service page's list of methods, "name [default]"
// joined by " | ".
func (b *browser) methods() string {
	b.t.Helper()
	var out []string
	b.eval(`[...document.querySelectorAll("#methodList li")].map(li => li.querySelector(".name").innerText + (li.dataset.default === "true" ? " [default]" : ""))`, &out)
	return strings.Join(out, " | ")
}
