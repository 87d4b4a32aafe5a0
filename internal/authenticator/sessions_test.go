package authenticator

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
	"github.com/countersign/countersign/vault"
)

// activated is a real Countersign server on loopback (a real SQLite file)
// with user ada, and a vault with ada's push account activated on it.
func activated(t *testing.T) (*servertest.Server, *vault.Vault, vault.Account) {
	t.Helper()
	srv := servertest.Start(t, server.Config{Issuer: "Acme SSO"})
	if err := srv.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	v := testVault(t, githubURI)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := ActivateAccount(ctx, v, enr.ActivationURI, DeviceNameFor("ci-host"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending || res.Account.Push == nil || res.Account.Label() != "Acme SSO (ada)" {
		t.Fatalf("activated %+v", res)
	}
	// Enrolling the same account again is refused before the server is
	// asked: the code is not spent.
	_, err = ActivateAccount(ctx, v, enr.ActivationURI, "again")
	if dup, ok := errors.AsType[*AlreadyEnrolledError](err); !ok || dup.Existing.ID != res.Account.ID {
		t.Fatalf("a second activation: %v, want AlreadyEnrolledError naming %s", err, res.Account.ID)
	}
	return srv, v, res.Account
}

// TestSessionsRouteRequestsAndAnswers connects the push account, sees a
// sign-in request, approves it with the number from the sign-in page and
// waits for the server's verdict; every event reached the caller, tagged
// with the account.
func TestSessionsRouteRequestsAndAnswers(t *testing.T) {
	srv, v, acc := activated(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	kinds := map[device.EventKind]int{}
	s := NewSessions(ctx, v, func(id string, ev device.Event) {
		if id != acc.ID {
			t.Errorf("an event for account %q, want %q", id, acc.ID)
		}
		mu.Lock()
		kinds[ev.Kind]++
		mu.Unlock()
	})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil || s.Len() != 1 {
		t.Fatalf("starting again: %v, %d sessions; want one", err, s.Len())
	}
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if err := s.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
	st, err := srv.CreateRequest("payroll", push.AuthRequestBody{User: "ada", Context: push.Context{App: "Payroll", IP: "203.0.113.7"}})
	if err != nil {
		t.Fatal(err)
	}
	var p Pending
	for p.Request.ID == "" {
		select {
		case <-s.Changed():
		case <-time.After(100 * time.Millisecond):
		case <-wctx.Done():
			t.Fatal("the request did not arrive")
		}
		p, _ = s.Find(st.ID)
	}
	if p.Account.ID != acc.ID || p.Request.Application != "payroll" || p.Request.Context.IP != "203.0.113.7" {
		t.Fatalf("pending %+v", p)
	}
	if all := s.Pending(); len(all) != 1 || all[0].Request.ID != st.ID {
		t.Fatalf("pending: %+v", all)
	}
	if err := s.Answer(wctx, "no-such-account", p.Request, push.Approve, push.ReasonNone, st.Number); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("answering through an unknown account: %v", err)
	}
	if err := s.Answer(wctx, acc.ID, p.Request, push.Approve, push.ReasonNone, st.Number); err != nil {
		t.Fatal(err)
	}
	ev, err := s.Result(wctx, st.ID)
	if err != nil || ev.Status != push.StatusApproved || ev.Err != nil {
		t.Fatalf("verdict %+v, %v", ev, err)
	}
	r, err := srv.Store().AuthRequest(st.ID)
	if err != nil || r.Status != push.StatusApproved {
		t.Fatalf("the server has the request %v, %v", r.Status, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if kinds[device.EventState] == 0 || kinds[device.EventRequest] != 1 || kinds[device.EventResult] != 1 {
		t.Fatalf("events passed on: %v", kinds)
	}
}

// TestSessionsWaitConnectedNamesARevokedAccount: the server turns the
// device away; waiting fails naming the account and the server's reason.
func TestSessionsWaitConnectedNamesARevokedAccount(t *testing.T) {
	srv, v, acc := activated(t)
	if err := srv.RevokeDevice(acc.Push.DeviceID); err != nil {
		t.Fatal(err)
	}
	s := NewSessions(context.Background(), v, nil)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := s.WaitConnected(ctx)
	if err == nil || !strings.HasPrefix(err.Error(), "Acme SSO (ada): ") {
		t.Fatalf("waiting for a revoked device: %v", err)
	}
}

func TestSessionsWithoutPushAccounts(t *testing.T) {
	v := testVault(t, githubURI)
	s := NewSessions(context.Background(), v, nil)
	if err := s.Start(); !errors.Is(err, ErrNoPushAccount) || s.Len() != 0 {
		t.Fatalf("Start: %v, %d sessions", err, s.Len())
	}
	if p := s.Pending(); p != nil {
		t.Fatalf("pending %v", p)
	}
}
