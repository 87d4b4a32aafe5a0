// Package clienttest is a relying party's test bench: a real Countersign
// server on loopback (push/server/servertest) with an application's API
// key, and users whose phone is a real device client (push/device) that
// answers sign-in requests as its owner would. Only the person holding the
// phone is simulated: what they decide and the number they type. The tests
// of push/client and of the README's examples use it.
package clienttest

import (
	"testing"

	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// Application is the name the bench's application is registered with; the
// phones show it on each request.
const Application = "Payroll"

// Bench is a running server with one application.
type Bench struct {
	*servertest.Server
	// APIKey is the application's key (what `countersignd rp add` prints).
	APIKey string
}

// Start starts a server with cfg until the test ends and registers
// Application.
func Start(t testing.TB, cfg server.Config) *Bench {
	t.Helper()
	srv := servertest.Start(t, cfg)
	key, _, err := srv.AddRelyingParty(Application, "")
	if err != nil {
		t.Fatal(err)
	}
	return &Bench{Server: srv, APIKey: key}
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
