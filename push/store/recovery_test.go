package store

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
)

func TestRecoveryCodesReplacedAndSpentOnce(t *testing.T) {
	s, path := openTest(t)
	old := [][]byte{[]byte("old-1"), []byte("old-2")}
	if err := s.ReplaceRecoveryCodes("ada", old, t0); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.UseRecoveryCode("ada", []byte("old-1"), t0.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("first use: %v %v", ok, err)
	}
	if ok, err := s.UseRecoveryCode("ada", []byte("old-1"), t0.Add(2*time.Minute)); err != nil || ok {
		t.Fatalf("second use of a spent code: %v %v", ok, err)
	}
	if n, err := s.RecoveryCodesLeft("ada"); err != nil || n != 1 {
		t.Fatalf("left %d, %v; want 1", n, err)
	}
	// Another user's hash is not ada's code.
	if err := s.AddUser(User{Name: "bob", Created: t0}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.UseRecoveryCode("bob", []byte("old-2"), t0); err != nil || ok {
		t.Fatalf("bob used ada's code: %v %v", ok, err)
	}

	// Replacing deletes every former code, used or not.
	fresh := [][]byte{[]byte("new-1"), []byte("new-2"), []byte("new-3")}
	if err := s.ReplaceRecoveryCodes("ada", fresh, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.UseRecoveryCode("ada", []byte("old-2"), t0.Add(time.Hour)); ok {
		t.Fatal("a code made before the replacement still works")
	}
	if n, err := s.RecoveryCodesLeft("ada"); err != nil || n != 3 {
		t.Fatalf("left %d, %v; want 3", n, err)
	}
	// A failed replacement (a duplicate hash) keeps the codes there were.
	if err := s.ReplaceRecoveryCodes("ada", [][]byte{[]byte("x"), []byte("x")}, t0.Add(2*time.Hour)); err == nil {
		t.Fatal("a duplicate hash was stored")
	}
	if n, _ := s.RecoveryCodesLeft("ada"); n != 3 {
		t.Fatalf("after a failed replacement %d codes left, want the 3 before it", n)
	}
	if err := s.ReplaceRecoveryCodes("carol", fresh, t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("codes for an unknown user: %v", err)
	}

	// Kept across a reopening of the file.
	s.Close()
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if ok, err := again.UseRecoveryCode("ada", []byte("new-2"), t0.Add(3*time.Hour)); err != nil || !ok {
		t.Fatalf("use after reopening: %v %v", ok, err)
	}
	if n, _ := again.RecoveryCodesLeft("ada"); n != 2 {
		t.Fatalf("left %d after reopening, want 2", n)
	}
}

// TestRecoveryCodeSpentOnceUnderRace lets 20 goroutines use one code on
// the same database file: exactly one wins.
func TestRecoveryCodeSpentOnceUnderRace(t *testing.T) {
	s, _ := openTest(t)
	if err := s.ReplaceRecoveryCodes("ada", [][]byte{[]byte("h1"), []byte("h2")}, t0); err != nil {
		t.Fatal(err)
	}
	if wins := race(t, 20, func() (bool, error) { return s.UseRecoveryCode("ada", []byte("h1"), t0.Add(time.Second)) }); wins != 1 {
		t.Fatalf("%d uses of one code won, want 1", wins)
	}
	if n, _ := s.RecoveryCodesLeft("ada"); n != 1 {
		t.Fatalf("left %d, want 1", n)
	}
}

func TestSpendApprovalOnce(t *testing.T) {
	s, _ := openTest(t)
	add := func(id, rp, subject string) {
		t.Helper()
		r := AuthRequest{Request: push.Request{ID: id, User: "ada", Nonce: "n-" + id, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}, RP: rp, Subject: subject, Number: "42"}
		if err := s.AddAuthRequest(r); err != nil {
			t.Fatal(err)
		}
	}
	add("ok", "", "recovery_codes")
	add("denied", "", "recovery_codes")
	add("pending", "", "recovery_codes")
	add("other", "", "something_else")
	add("rp", "payroll", "recovery_codes")
	for id, status := range map[string]push.Status{"ok": push.StatusApproved, "denied": push.StatusDenied, "other": push.StatusApproved, "rp": push.StatusApproved} {
		if ok, err := s.Decide(id, status, "", "dev", t0.Add(10*time.Second)); err != nil || !ok {
			t.Fatalf("deciding %s: %v %v", id, ok, err)
		}
	}
	for _, id := range []string{"denied", "pending", "other", "rp", "none"} {
		if ok, err := s.SpendApproval(id, "ada", "recovery_codes", "recovery_codes:spent", t0); err != nil || ok {
			t.Fatalf("spent request %s: %v %v", id, ok, err)
		}
	}
	if ok, _ := s.SpendApproval("ok", "bob", "recovery_codes", "recovery_codes:spent", t0); ok {
		t.Fatal("spent another user's approval")
	}
	if ok, _ := s.SpendApproval("ok", "ada", "recovery_codes", "recovery_codes:spent", t0.Add(11*time.Second)); ok {
		t.Fatal("spent an approval decided before notBefore")
	}
	if wins := race(t, 10, func() (bool, error) {
		return s.SpendApproval("ok", "ada", "recovery_codes", "recovery_codes:spent", t0)
	}); wins != 1 {
		t.Fatalf("%d spends of one approval won, want 1", wins)
	}
	if r, _ := s.AuthRequest("ok"); r.Subject != "recovery_codes:spent" || r.Status != push.StatusApproved {
		t.Fatalf("after spending: %+v", r)
	}
}

// race runs f in n goroutines at once and counts the calls that won
// (returned true); an error fails the test.
func race(t *testing.T, n int, f func() (bool, error)) int32 {
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := f(); err != nil {
				t.Error(err)
			} else if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	return wins.Load()
}
