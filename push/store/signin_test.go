package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
)

func TestUserAndDevices(t *testing.T) {
	s, _ := openTest(t)
	u, devices, err := s.UserAndDevices("ada")
	if err != nil || u.Name != "ada" || !u.RequireMFA || string(u.SealedSeed) != "sealed" || !u.Created.Equal(t0) || len(devices) != 0 {
		t.Fatalf("a user without devices: %+v %+v %v", u, devices, err)
	}
	for i, id := range []string{"second", "first", "third"} {
		// "first" is made earliest; "second" and "third" in the same
		// second, in that order.
		created := t0.Add(2 * time.Second)
		if id == "first" {
			created = t0.Add(time.Second)
		}
		d := Device{ID: id, User: "ada", Name: fmt.Sprint("device ", i), Kind: KindApp, PublicKey: []byte("pk-" + id), SealedSeed: []byte("seed-" + id), Created: created}
		if err := s.AddDevice(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeDevice("third", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBlocked("ada", true); err != nil {
		t.Fatal(err)
	}
	u, devices, err = s.UserAndDevices("ada")
	if err != nil || !u.Blocked {
		t.Fatalf("user: %+v, %v", u, err)
	}
	want, err := s.Devices("ada")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(devices) != fmt.Sprint(want) {
		t.Errorf("devices read with the user:\n%+v\nread alone:\n%+v", devices, want)
	}
	var order []string
	for _, d := range devices {
		order = append(order, d.ID)
	}
	if fmt.Sprint(order) != "[first second third]" || devices[2].Revoked.IsZero() || string(devices[1].PublicKey) != "pk-second" {
		t.Errorf("devices %v, third revoked %v", order, devices[2].Revoked)
	}
	if _, _, err := s.UserAndDevices("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown user: %v, want ErrNotFound", err)
	}
}

func TestDecideAnswer(t *testing.T) {
	s, _ := openTest(t)
	if err := s.AddUser(User{Name: "bob", Created: t0}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []Device{
		{ID: "ada-phone", User: "ada", Kind: KindApp, PublicKey: []byte("k"), Created: t0},
		{ID: "ada-new", User: "ada", Kind: KindApp, PublicKey: []byte("k"), Pending: true, Created: t0},
		{ID: "bob-phone", User: "bob", Kind: KindApp, PublicKey: []byte("k"), Created: t0},
	} {
		if err := s.AddDevice(d); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(10 * time.Second)
	add := func(id string) {
		t.Helper()
		r := AuthRequest{Request: push.Request{ID: id, User: "ada", Nonce: "n", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}, RP: "mail", Number: "42"}
		if err := s.AddAuthRequest(r); err != nil {
			t.Fatal(err)
		}
	}
	add("r1")
	for _, c := range []struct{ device, why string }{
		{"bob-phone", "another user's device"},
		{"ada-new", "a device waiting for approval"},
		{"no-such-device", "an unknown device"},
	} {
		if d, err := s.DecideAnswer("r1", c.device, push.StatusApproved, "", now); err != nil || d.Won {
			t.Errorf("%s decided the request: %+v, %v", c.why, d, err)
		}
	}
	if d, err := s.DecideAnswer("r1", "ada-phone", push.StatusApproved, "", t0.Add(time.Minute)); err != nil || d.Won {
		t.Errorf("an answer at the expiry decided the request: %+v, %v", d, err)
	}
	if got, _ := s.AuthRequest("r1"); got.Status != push.StatusPending {
		t.Fatalf("after the refused answers: %s", got.Status)
	}
	d, err := s.DecideAnswer("r1", "ada-phone", push.StatusApproved, "", now)
	if err != nil || d != (DeviceDecision{Won: true, Status: push.StatusApproved}) {
		t.Fatalf("the user's device approving: %+v, %v", d, err)
	}
	got, err := s.AuthRequest("r1")
	if err != nil || got.Status != push.StatusApproved || got.DecidedBy != "ada-phone" || !got.DecidedAt.Equal(time.Unix(now.Unix(), 0)) {
		t.Fatalf("stored: %+v, %v", got, err)
	}
	if d, err := s.DecideAnswer("r1", "ada-phone", push.StatusDenied, "", now); err != nil || d.Won {
		t.Errorf("a second answer: %+v, %v", d, err)
	}

	// Blocked after the request was made: an approval is stored as a
	// denial; a fraud report stays a fraud report.
	add("r2")
	add("r3")
	if err := s.SetBlocked("ada", true); err != nil {
		t.Fatal(err)
	}
	if d, err := s.DecideAnswer("r2", "ada-phone", push.StatusApproved, "", now); err != nil || d != (DeviceDecision{Won: true, Status: push.StatusDenied, Reason: "user_blocked"}) {
		t.Errorf("approving for a blocked user: %+v, %v", d, err)
	}
	if d, err := s.DecideAnswer("r3", "ada-phone", push.StatusFraud, "not_me", now); err != nil || d != (DeviceDecision{Won: true, Status: push.StatusFraud, Reason: "not_me"}) {
		t.Errorf("reporting fraud for a blocked user: %+v, %v", d, err)
	}

	// Revoked: its answers no longer count.
	if err := s.SetBlocked("ada", false); err != nil {
		t.Fatal(err)
	}
	add("r4")
	if err := s.RevokeDevice("ada-phone", now); err != nil {
		t.Fatal(err)
	}
	if d, err := s.DecideAnswer("r4", "ada-phone", push.StatusApproved, "", now); err != nil || d.Won {
		t.Errorf("a revoked device decided: %+v, %v", d, err)
	}
}

// Racing answers, approvals and denials from the user's devices: one wins,
// and what is stored is the winner's.
func TestDecideAnswerRace(t *testing.T) {
	s, _ := openTest(t)
	for i := range 4 {
		if err := s.AddDevice(Device{ID: fmt.Sprint("dev", i), User: "ada", Kind: KindApp, PublicKey: []byte("k"), Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	r := AuthRequest{Request: push.Request{ID: "r1", User: "ada", Nonce: "n", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}, RP: "mail", Number: "42"}
	if err := s.AddAuthRequest(r); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var winners []string
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			status := push.StatusApproved
			if i%2 == 1 {
				status = push.StatusDenied
			}
			device := fmt.Sprint("dev", i%4)
			d, err := s.DecideAnswer("r1", device, status, "", t0.Add(time.Second))
			if err != nil {
				t.Error(err)
				return
			}
			if d.Won {
				mu.Lock()
				winners = append(winners, device+" "+string(d.Status))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("winners %v, want exactly one", winners)
	}
	got, _ := s.AuthRequest("r1")
	if w := got.DecidedBy + " " + string(got.Status); w != winners[0] {
		t.Errorf("stored %q, the winner was told %q", w, winners[0])
	}
}

// The unanswered run counts the requests that expired since the latest
// answered one (a pending one past its expiry counts as expired; one still
// pending does not count).
func TestRequestCountsUnansweredRun(t *testing.T) {
	s, _ := openTest(t)
	add := func(id string, created time.Time) {
		t.Helper()
		r := AuthRequest{Request: push.Request{ID: id, User: "ada", Nonce: "n", CreatedAt: created, ExpiresAt: created.Add(time.Minute)}, RP: "mail", Number: "42"}
		if err := s.AddAuthRequest(r); err != nil {
			t.Fatal(err)
		}
	}
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	run := func(now time.Time) int {
		t.Helper()
		_, _, n, _, err := s.RequestCounts("ada", "mail", now, now.Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	add("e1", at(0))
	add("e2", at(2))
	for _, id := range []string{"e1", "e2"} {
		if ok, err := s.Expire(id, at(5)); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if n := run(at(5)); n != 2 {
		t.Errorf("two expired: run %d", n)
	}
	add("answered", at(6))
	if ok, err := s.Decide("answered", push.StatusDenied, "", "dev", at(6)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if n := run(at(6)); n != 0 {
		t.Errorf("after an answer: run %d, want 0", n)
	}
	add("e3", at(8))       // left pending past its expiry
	add("e4", at(10))      // expired
	add("waiting", at(20)) // still pending
	if ok, err := s.Expire("e4", at(12)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if n := run(at(20)); n != 2 {
		t.Errorf("two unanswered since the answer, one waiting: run %d, want 2", n)
	}
}
