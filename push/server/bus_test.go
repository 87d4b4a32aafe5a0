package server

import (
	"context"
	"crypto/ed25519"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/store"
)

// second starts another server process's worth of Server on the same data
// directory (the same SQLite file), on its own port, sharing the event log.
func (e *env) second(t *testing.T) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.cfg
	cfg.PublicURL = "http://" + ln.Addr().String()
	srv, err := Open(e.dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: srv.Handler()}}
	ts.Start()
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		srv.Close()
	})
	return srv, ln.Addr().String()
}

// TestTwoInstancesShareRequests runs two server instances on one database:
// a request made through A reaches a device connected to B; B's decision
// wakes A's long-poll; racing answers through both are decided once; and a
// request made by an instance that went away still expires.
func TestTwoInstancesShareRequests(t *testing.T) {
	defer func(d time.Duration) { sweepInterval = d }(sweepInterval)
	sweepInterval = 200 * time.Millisecond
	e := newEnv(t, Config{Shared: true})
	b, bAddr := e.second(t)

	// A device activated through A, connected to B.
	enr, err := e.srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	act, err := push.ParseActivationURI(enr.ActivationURI)
	if err != nil {
		t.Fatal(err)
	}
	a, err := device.Activate(context.Background(), http.DefaultClient, act, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	a.WebsocketURL = strings.Replace(a.WebsocketURL, e.addr, bAddr, 1)
	p := e.connect(a)
	if b.Connected() != 1 || e.srv.Connected() != 0 {
		t.Fatalf("connected: A %d, B %d; want the device on B", e.srv.Connected(), b.Connected())
	}

	st := e.signIn("ada") // through A
	r := p.request(t)
	if r.ID != st.ID {
		t.Fatalf("the device on B got %+v, want %s", r, st.ID)
	}
	waited := make(chan push.AuthRequestState, 1)
	go func() { waited <- e.status(st.ID, "20s") }() // A's long-poll
	time.Sleep(100 * time.Millisecond)
	if err := p.client.Answer(context.Background(), r, push.Approve, "", st.Number); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-waited:
		if got.Status != push.StatusApproved {
			t.Fatalf("A's long-poll saw %+v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("A's long-poll was not woken by B's decision")
	}

	// Racing answers, half through A and half through B: one decision.
	e.clock.Add(time.Hour)
	st = e.signIn("ada")
	r = p.request(t)
	answer := push.Answer{RequestID: r.ID, DeviceID: a.DeviceID, Decision: push.Approve, Number: st.Number, Nonce: r.Nonce}
	sig := ed25519.Sign(a.PrivateKey, answer.SigningBytes())
	var wg sync.WaitGroup
	for i := range 20 {
		srv := e.srv
		if i%2 == 1 {
			srv = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, err := srv.Answer(a.DeviceID, answer, sig); err != nil || status != push.StatusApproved {
				t.Errorf("answer %d: %s %v", i, status, err)
			}
		}()
	}
	wg.Wait()
	events, _ := e.srv.Store().AuditEvents("ada")
	decided := 0
	for _, ev := range events {
		if ev.Kind == store.AuditAuthentication && ev.Detail["request"] == r.ID {
			decided++
		}
	}
	if decided != 1 {
		t.Fatalf("%d decisions recorded for one request answered 20 times on two instances, want 1", decided)
	}

	// Decided through B: A says so at once, though it made the request
	// (and keeps its own in memory while they wait).
	e.clock.Add(time.Hour)
	st = e.signIn("ada")
	r = p.request(t)
	answer = push.Answer{RequestID: r.ID, DeviceID: a.DeviceID, Decision: push.Deny, Nonce: r.Nonce}
	if status, err := b.Answer(a.DeviceID, answer, ed25519.Sign(a.PrivateKey, answer.SigningBytes())); err != nil || status != push.StatusDenied {
		t.Fatalf("denying through B: %s %v", status, err)
	}
	if got := e.status(st.ID, "0s"); got.Status != push.StatusDenied {
		t.Fatalf("A reads %s right after B's decision, want denied", got.Status)
	}

	// A request made by A expires on B after A is gone.
	e.clock.Add(time.Hour)
	st = e.signIn("ada")
	e.stop()
	e.clock.Add(e.srv.cfg.RequestTTL + time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, err := b.Store().AuthRequest(st.ID)
		if err == nil && req.Status == push.StatusExpired {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the request of the stopped instance is still %+v", req)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAdminCommandReachesServingProcess: a notice made by an admin command
// in another process (another Server on the same database) reaches a
// device connected to the serving process at once, not at its next
// connection.
func TestAdminCommandReachesServingProcess(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	cfg := e.cfg
	cfg.Shared = true // as openAdmin in countersignd does
	admin, err := Open(e.dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.SetPhone("ada", "+442079460958", []push.Method{push.MethodSMS}, "cli"); err != nil {
		t.Fatal(err)
	}
	ev := p.await(t, func(ev device.Event) bool { return ev.Kind == device.EventNotice && ev.Notice.Kind == "phone_changed" })
	if !strings.Contains(ev.Notice.Text, "•••• 0958") {
		t.Fatalf("notice %q", ev.Notice.Text)
	}
}

// TestTwoInstancesShareLimitsAndSessions: wrong codes from one address
// count together whichever instance they reach, and a self-service session
// opened through one instance works through the other.
func TestTwoInstancesShareLimitsAndSessions(t *testing.T) {
	e := newEnv(t, Config{Shared: true})
	_, bAddr := e.second(t)
	p := e.activate("ada", "laptop")
	onB := *e
	onB.addr = bAddr
	wrong := flip(e.codeOf(p.act))
	for i := range attemptsAllowed {
		via := e
		if i%2 == 1 {
			via = &onB
		}
		if status, ae := via.selfServiceFrom("127.0.0.3").signIn("ada", wrong); status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d %+v", i+1, status, ae)
		}
	}
	for _, via := range []*env{e, &onB} {
		if status, ae := via.selfServiceFrom("127.0.0.3").signIn("ada", e.codeOf(p.act)); status != http.StatusTooManyRequests || ae.Error.Code != "too_many_attempts" {
			t.Fatalf("after %d wrong codes through two instances, the right one: %d %+v", attemptsAllowed, status, ae)
		}
	}
	a := e.selfServiceFrom("127.0.0.1")
	if status, ae := a.signIn("ada", e.codeOf(p.act)); status != http.StatusOK {
		t.Fatalf("sign-in through A: %d %+v", status, ae)
	}
	b := onB.selfServiceFrom("127.0.0.1")
	b.token = a.token
	var devices []SelfServiceDevice
	if status := b.do("GET", "/v1/self-service/devices", nil, &devices); status != http.StatusOK || len(devices) != 1 {
		t.Fatalf("A's session through B: %d %+v", status, devices)
	}
}

// TestRevokedKeyStopsOnEveryInstance: an application's key revoked through
// one instance stops working on another that had it cached.
func TestRevokedKeyStopsOnEveryInstance(t *testing.T) {
	e := newEnv(t, Config{Shared: true})
	_, bAddr := e.second(t)
	e.activate("ada", "laptop")
	onB := *e
	onB.addr = bAddr
	var st push.AuthRequestState
	if status := onB.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &st); status != http.StatusCreated {
		t.Fatalf("the key on B before: %d", status)
	}
	// As the console's Revoke does on A.
	c := &console{s: e.srv}
	if err := e.srv.store.RevokeRelyingParty("payroll", []byte("not a key anyone has, long enough"), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	c.forgetRP("payroll")
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ae apiErr
		status := onB.call("GET", "/v1/auth-requests/"+st.ID, nil, &ae)
		if status == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B still takes the revoked key: %d %+v", status, ae)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
