package store

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
)

// twoInstances opens the test's database a second time, as a second
// server would: each store has its own connections (and, with SQLite, its
// own write lock), so only the database keeps them apart.
func twoInstances(t *testing.T) (a, b *Store) {
	t.Helper()
	a, path := openTest(t)
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

// raceBoth runs f 20 times at once, half of the calls through each store,
// and returns how many won.
func raceBoth(t *testing.T, a, b *Store, f func(s *Store) (bool, error)) int32 {
	t.Helper()
	var n atomic.Int32
	return race(t, 20, func() (bool, error) {
		if n.Add(1)%2 == 0 {
			return f(b)
		}
		return f(a)
	})
}

// TestSingleUseTransitionsAcrossTwoInstances races every single-use
// transition through two stores on one database: each is taken exactly
// once.
func TestSingleUseTransitionsAcrossTwoInstances(t *testing.T) {
	a, b := twoInstances(t)
	now := t0.Add(time.Second)
	mustDo(t, a.AddActivation(Activation{CodeHash: []byte("code"), User: "ada", Token: "tok", Created: t0, Expires: t0.Add(time.Minute)}))
	mustDo(t, a.AddAuthRequest(AuthRequest{Request: push.Request{ID: "push", User: "ada", Nonce: "n1", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}, RP: "mail", Number: "42"}))
	mustDo(t, a.AddAuthRequest(AuthRequest{Request: push.Request{ID: "sms", User: "ada", Nonce: "n2", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}, RP: "mail", Method: push.MethodSMS, SealedCode: []byte("sealed")}))
	mustDo(t, a.AddAuthRequest(AuthRequest{Request: push.Request{ID: "approval", User: "ada", Nonce: "n3", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}, Subject: "recovery_codes", Number: "7"}))
	if ok, err := a.Decide("approval", push.StatusApproved, "", "dev", now); !ok || err != nil {
		t.Fatalf("approving: %v %v", ok, err)
	}
	mustDo(t, a.ReplaceRecoveryCodes("ada", [][]byte{[]byte("rc")}, t0))
	mustDo(t, a.AddBypassCode(BypassCode{User: "ada", CodeHash: []byte("bc"), Created: t0, Expires: t0.Add(time.Hour), CreatedBy: "root"}))
	mustDo(t, a.AddPhoneProof(PhoneProof{ID: "proof", User: "ada", Phone: "+14155550123", Method: "sms", SealedCode: []byte("s"), Created: t0, Expires: t0.Add(time.Minute)}))
	mustDo(t, a.AddDevice(Device{ID: "otp-dev", User: "ada", Name: "phone", Kind: KindApp, PublicKey: []byte("pk"), Created: t0}))
	mustDo(t, a.AddDevice(Device{ID: "waiting", User: "ada", Name: "tablet", Kind: KindApp, PublicKey: []byte("pk"), Pending: true, Created: t0}))

	var dev atomic.Int32
	for _, c := range []struct {
		name string
		f    func(s *Store) (bool, error)
	}{
		{"spending an activation code", func(s *Store) (bool, error) {
			_, err := s.SpendActivation([]byte("code"), Device{ID: fmt.Sprint("new-", dev.Add(1)), Name: "new", PublicKey: []byte("pk")}, now)
			if errors.Is(err, ErrActivationUsed) {
				return false, nil
			}
			return err == nil, err
		}},
		{"deciding a push", func(s *Store) (bool, error) {
			return s.Decide("push", push.StatusApproved, "", fmt.Sprint("dev-", dev.Add(1)), now)
		}},
		{"deciding a text-message sign-in", func(s *Store) (bool, error) {
			return s.DecideCode("sms", push.StatusApproved, "", now)
		}},
		{"a one-time code's time step", func(s *Store) (bool, error) { return s.UseDeviceOTPStep("otp-dev", 1000) }},
		{"a recovery code", func(s *Store) (bool, error) { return s.UseRecoveryCode("ada", []byte("rc"), now) }},
		{"a bypass code", func(s *Store) (bool, error) { return s.UseBypassCode("ada", []byte("bc"), now) }},
		{"spending an approval", func(s *Store) (bool, error) {
			return s.SpendApproval("approval", "ada", "recovery_codes", "recovery_codes:spent", t0)
		}},
		{"a phone proof", func(s *Store) (bool, error) { return s.SpendPhoneProof("proof", now) }},
		{"approving a waiting device", func(s *Store) (bool, error) { return s.ApproveDevice("waiting") }},
	} {
		if wins := raceBoth(t, a, b, c.f); wins != 1 {
			t.Errorf("%s: %d of 20 racing calls on two instances won, want 1", c.name, wins)
		}
	}
}

// TestUserInvariantsAcrossTwoInstances: two racing removals of a user's
// two devices leave one; two replacements of recovery codes leave one set,
// two new bypass codes one valid code; two devices joining at once by two
// codes (no administrator's) make one active device and one that waits
// for its approval, as one after the other would.
func TestUserInvariantsAcrossTwoInstances(t *testing.T) {
	for round := range 5 {
		a, b := twoInstances(t)
		mustDo(t, a.AddDevice(Device{ID: "one", User: "ada", Name: "phone", Kind: KindApp, PublicKey: []byte("pk"), Created: t0}))
		mustDo(t, a.AddDevice(Device{ID: "two", User: "ada", Name: "laptop", Kind: KindApp, PublicKey: []byte("pk"), Created: t0}))
		var n atomic.Int32
		wins := race(t, 2, func() (bool, error) {
			if n.Add(1) == 1 {
				return a.RevokeUnlessLast("one", t0)
			}
			return b.RevokeUnlessLast("two", t0)
		})
		if wins != 1 {
			t.Fatalf("round %d: %d of two racing removals won, want 1", round, wins)
		}

		mustDo(t, a.AddUser(User{Name: "bob", Created: t0}))
		for _, code := range []string{"c1", "c2"} {
			mustDo(t, a.AddActivation(Activation{CodeHash: []byte(code), User: "bob", Token: code, Created: t0, Expires: t0.Add(time.Minute)}))
		}
		n.Store(0)
		race(t, 2, func() (bool, error) {
			s, code := a, "c1"
			if n.Add(1) == 2 {
				s, code = b, "c2"
			}
			_, err := s.SpendActivation([]byte(code), Device{ID: "bob-" + code, Name: code, PublicKey: []byte("pk")}, t0)
			return err == nil, err
		})
		// Two sets of recovery codes, and two bypass codes, made at once:
		// one set, one valid code.
		n.Store(0)
		race(t, 2, func() (bool, error) {
			s, set := a, "a"
			if n.Add(1) == 2 {
				s, set = b, "b"
			}
			return true, s.ReplaceRecoveryCodes("bob", [][]byte{[]byte(set + "1"), []byte(set + "2"), []byte(set + "3")}, t0)
		})
		if left, err := a.RecoveryCodesLeft("bob"); err != nil || left != 3 {
			t.Fatalf("round %d: %d recovery codes after two racing replacements of 3, %v", round, left, err)
		}
		n.Store(0)
		race(t, 2, func() (bool, error) {
			s, code := a, "bypass-a"
			if n.Add(1) == 2 {
				s, code = b, "bypass-b"
			}
			return true, s.AddBypassCode(BypassCode{User: "bob", CodeHash: []byte(code), Created: t0, Expires: t0.Add(time.Hour), CreatedBy: "root"})
		})
		valid := 0
		for _, code := range []string{"bypass-a", "bypass-b"} {
			if ok, err := a.UseBypassCode("bob", []byte(code), t0); err != nil {
				t.Fatal(err)
			} else if ok {
				valid++
			}
		}
		if valid != 1 {
			t.Fatalf("round %d: %d valid bypass codes after two made at once, want 1", round, valid)
		}

		devices, err := a.Devices("bob")
		if err != nil || len(devices) != 2 {
			t.Fatalf("round %d: bob's devices %+v, %v", round, devices, err)
		}
		if devices[0].Pending == devices[1].Pending {
			t.Fatalf("round %d: two devices joined at once, pending %v and %v: one must wait for the other's approval", round, devices[0].Pending, devices[1].Pending)
		}
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestFatigueLimitsAcrossTwoInstances races 20 new sign-in requests of one
// application for one user through two stores: the limit of one waiting
// request lets exactly one in; then the limit per minute holds the same
// way once the first is decided.
func TestFatigueLimitsAcrossTwoInstances(t *testing.T) {
	a, b := twoInstances(t)
	now := t0.Add(time.Second)
	var n atomic.Int32
	request := func() AuthRequest {
		i := n.Add(1)
		return AuthRequest{Request: push.Request{ID: fmt.Sprintf("r%d", i), User: "ada", Nonce: fmt.Sprintf("n%d", i), CreatedAt: now, ExpiresAt: now.Add(time.Minute)}, RP: "mail", Number: "42"}
	}
	limits := Limits{Now: now, Since: now.Add(-time.Minute), MaxPending: 1, MaxRecent: 3}
	if won := raceBoth(t, a, b, func(s *Store) (bool, error) { return s.AddAuthRequestWithin(request(), limits) }); won != 1 {
		t.Fatalf("%d requests waiting at once, want 1", won)
	}
	limits.MaxPending = 100 // now only the per-minute limit: 3 in all
	if won := raceBoth(t, a, b, func(s *Store) (bool, error) { return s.AddAuthRequestWithin(request(), limits) }); won != 2 {
		t.Fatalf("%d more requests in the minute, want 2 (3 in all)", won)
	}
}

// TestFatigueCountsAfterTheUsersTurn: a request whose transaction waited
// for the user's row (held here by another transaction, as a racing
// request on another instance holds it) counts what that transaction
// committed meanwhile: with one request allowed to wait, the one that
// waited is refused. Deterministic where the race above is a matter of
// timing: on PostgreSQL the test waits until the request is seen waiting
// for a lock. (On SQLite the other transaction holds the database's one
// write lock, so the request's statement cannot run before it ends.)
func TestFatigueCountsAfterTheUsersTurn(t *testing.T) {
	a, b := twoInstances(t)
	now := t0.Add(time.Second)
	tx, err := b.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := lockUser(tx, "ada"); err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		stored bool
		err    error
	}
	done := make(chan outcome, 1)
	go func() {
		stored, err := a.AddAuthRequestWithin(AuthRequest{Request: push.Request{ID: "second", User: "ada", Nonce: "n2", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}, RP: "mail", Number: "42"},
			Limits{Now: now, Since: now.Add(-time.Minute), MaxPending: 1, MaxRecent: 10})
		done <- outcome{stored, err}
	}()
	if onPostgres {
		deadline := time.Now().Add(10 * time.Second)
		for {
			var waiting int
			if err := b.db.QueryRow(`SELECT COUNT(*) FROM pg_locks WHERE NOT granted`).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			if waiting > 0 {
				break
			}
			select {
			case o := <-done:
				t.Fatalf("the request did not wait for the user's row: stored %v, %v", o.stored, o.err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatal("the request was not seen waiting for the user's row within 10 s")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if _, err := tx.Exec(`INSERT INTO auth_requests (id, user, rp, application, kind, subject, context, number, nonce, status, created, expires, method, approve_only)
		VALUES ('first', 'ada', 'mail', 'mail', 'sign_in', '', '{}', '17', 'n1', 'pending', ?, ?, 'push', 0)`, now.Unix(), now.Add(time.Minute).Unix()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	o := <-done
	if o.err != nil || o.stored {
		t.Fatalf("the request that waited: stored %v, %v; want refused (the first is pending)", o.stored, o.err)
	}
}
