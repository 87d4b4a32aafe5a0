// Package clienttest is a relying party's test bench: a real Countersign
// server on loopback (push/server/servertest) with an application's API
// key, and users whose phone is a real device client (push/device) that
// answers sign-in requests as its owner would. Only the person holding the
// phone is simulated (what they decide, the number they type), and the
// phone network: text messages go to the server's file gateway, where
// TextedCode reads them. The tests of push/client and of the README's
// examples use it.
package clienttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
	"github.com/countersign/countersign/push/telephony"
)

// Application is the name the bench's application is registered with; the
// phones show it on each request.
const Application = "Payroll"

// Bench is a running server with one application.
type Bench struct {
	*servertest.Server
	// APIKey is the application's key (what `countersignd rp add` prints).
	APIKey string
	// outbox is the file gateway's file: the texts and calls sent.
	outbox string
}

// Start starts a server with cfg until the test ends and registers
// Application. Unless cfg has a telephony gateway, texts and calls go to a
// file gateway that TextedCode reads.
func Start(t testing.TB, cfg server.Config) *Bench {
	t.Helper()
	b := &Bench{}
	if cfg.Telephony == nil {
		b.outbox = filepath.Join(t.TempDir(), "outbox.jsonl")
		g, err := telephony.Parse("file:" + b.outbox)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Telephony = g
	}
	b.Server = servertest.Start(t, cfg)
	key, _, err := b.AddRelyingParty(Application, "")
	if err != nil {
		t.Fatal(err)
	}
	b.APIKey = key
	return b
}

// AddPhoneUser adds user (a second factor required) with a phone number
// that takes text messages and calls, and no device.
func (b *Bench) AddPhoneUser(t testing.TB, user, phone string) {
	t.Helper()
	if err := b.Server.AddUser(user, true); err != nil {
		t.Fatal(err)
	}
	if err := b.SetPhone(user, phone, []push.Method{push.MethodSMS, push.MethodVoice}, "clienttest"); err != nil {
		t.Fatal(err)
	}
}

// sixDigits is a text message's code.
var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// TextedCode returns the code of the last text message sent to phone (as
// the server wrote it, in E.164) for request id: what its owner reads and
// types.
func (b *Bench) TextedCode(t testing.TB, phone, id string) string {
	t.Helper()
	data, err := os.ReadFile(b.outbox)
	if err != nil {
		t.Fatalf("reading the texts sent: %v", err)
	}
	code := ""
	for line := range strings.Lines(string(data)) {
		var m struct{ Kind, To, Body, ID string }
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("the file gateway's line %q: %v", line, err)
		}
		if m.Kind == "sms" && m.To == phone && m.ID == id {
			code = sixDigits.FindString(m.Body)
		}
	}
	if code == "" {
		t.Fatalf("no text message with a code went to %s for request %s", phone, id)
	}
	return code
}

// Phone is a user's enrolled device, connected to the server.
type Phone struct {
	// Device is the activation (its TOTP seed makes the user's codes).
	Device device.Activated
	// Client is the running device client and its events.
	Client *pushtest.Client
}

// AddUser adds user (a second factor required) with one phone, activated
// with an administrator's code and connected.
func (b *Bench) AddUser(t testing.TB, user string) *Phone {
	t.Helper()
	if err := b.Server.AddUser(user, true); err != nil {
		t.Fatal(err)
	}
	p := &Phone{Device: pushtest.AdminDevice(t, b.Server, user, user+"'s phone")}
	p.Client = pushtest.Run(t, p.Device)
	p.Client.Next(t, "connection of "+user+"'s phone", pushtest.Connected)
	return p
}

// NextRequest waits for the next sign-in request to show on the phone.
func (p *Phone) NextRequest(t testing.TB) push.Request {
	t.Helper()
	return p.Client.Next(t, "sign-in request", pushtest.RequestOfKind(push.KindSignIn)).Request
}

// Answer waits for the next sign-in request, answers it as the user does
// (number is what they type from the sign-in page, for Approve) and returns
// how the server took the answer.
func (p *Phone) Answer(t testing.TB, d push.Decision, number string) push.Status {
	t.Helper()
	r := p.NextRequest(t)
	reason := push.ReasonNone
	if d == push.Deny {
		reason = push.ReasonNotMe
	}
	if err := p.Client.Answer(t.Context(), r, d, reason, number); err != nil {
		t.Fatalf("answering %s on the phone: %v", d, err)
	}
	ev := p.Client.Next(t, "result of the answer", func(ev device.Event) bool {
		return ev.Kind == device.EventResult && ev.RequestID == r.ID
	})
	if ev.Err != nil {
		t.Fatalf("the server refused the phone's %s: %v", d, ev.Err)
	}
	return ev.Status
}

// Code is the one-time code the phone shows now.
func (p *Phone) Code(t testing.TB) string {
	t.Helper()
	return pushtest.Code(t, p.Device)
}
