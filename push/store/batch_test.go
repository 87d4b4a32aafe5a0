package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
)

// Racing writers each get their own result: a duplicate is refused alone,
// the others are all stored. On SQLite the writer ran them in fewer
// transactions than statements (group commit); on PostgreSQL each runs on
// its own (the test holds there too).
func TestConcurrentWritesKeepTheirOwnResults(t *testing.T) {
	s, _ := openTest(t)
	const n, dups = 200, 40
	for i := range dups {
		if err := s.AddUser(User{Name: fmt.Sprint("old", i), Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	before := s.writerCounts()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprint("new", i)
			if i < dups {
				name = fmt.Sprint("old", i)
			}
			errs[i] = s.AddUser(User{Name: name, Created: t0})
		})
	}
	wg.Wait()
	for i, err := range errs {
		switch {
		case i < dups && !errors.Is(err, ErrExists):
			t.Errorf("adding existing user old%d: %v, want ErrExists", i, err)
		case i >= dups && err != nil:
			t.Errorf("adding new%d: %v", i, err)
		}
	}
	for i := dups; i < n; i++ {
		if _, err := s.User(fmt.Sprint("new", i)); err != nil {
			t.Errorf("new%d after the race: %v", i, err)
		}
	}
	if onPostgres {
		return
	}
	after := s.writerCounts()
	statements, batches := after.statements-before.statements, after.batches-before.batches
	// Each new user is two statements (the user, its code state), each
	// existing one a single refused statement.
	if want := int64(2*(n-dups) + dups); statements != want {
		t.Errorf("the writer ran %d statements, want %d", statements, want)
	}
	if batches >= statements {
		t.Errorf("%d statements in %d transactions: no two were committed together", statements, batches)
	}
	t.Logf("%d statements in %d transactions", statements, batches)
}

// A batch in which one statement fails for a reason other than a
// constraint is rolled back and run again statement by statement: the
// others are stored, the failure is its statement's own, and a constraint
// failure in the same batch stays that statement's.
func TestBatchFailureIsOnlyItsStatements(t *testing.T) {
	if onPostgres {
		t.Skip("SQLite's writer only: PostgreSQL writes are not batched")
	}
	s, _ := openTest(t)
	op := func(query string, args ...any) *writeOp {
		return &writeOp{query: query, args: args, done: make(chan struct{})}
	}
	addUser := `INSERT INTO users (name, blocked, require_mfa, sealed_seed, created) VALUES (?, 0, 1, x'', 0)`
	batch := []*writeOp{
		op(addUser, "grace"),
		op(`INSERT INTO audit (id, time, kind, user, detail) VALUES ('not a number', 0, 'k', 'u', '{}')`), // datatype mismatch
		op(addUser, "ada"), // exists: a constraint
		op(addUser, "linus"),
		op(`UPDATE users SET blocked = 1 WHERE name IN ('grace', 'linus')`),
	}
	before := s.writerCounts()
	s.runBatch(batch)
	after := s.writerCounts()
	for i, o := range batch {
		select {
		case <-o.done:
		default:
			t.Fatalf("statement %d not finished", i)
		}
	}
	if batch[0].err != nil || batch[3].err != nil {
		t.Errorf("the users' inserts failed: %v, %v", batch[0].err, batch[3].err)
	}
	if batch[1].err == nil || isConstraint(batch[1].err) {
		t.Errorf("the mismatched insert: %v, want a datatype mismatch", batch[1].err)
	}
	if !isUnique(batch[2].err) {
		t.Errorf("the existing user's insert: %v, want a UNIQUE failure", batch[2].err)
	}
	if n := batch[4].res.rows; batch[4].err != nil || n != 2 {
		t.Errorf("the update saw %d rows (%v), want 2: it runs after the inserts", n, batch[4].err)
	}
	for _, name := range []string{"grace", "linus"} {
		if u, err := s.User(name); err != nil || !u.Blocked {
			t.Errorf("%s after the batch: %+v, %v", name, u, err)
		}
	}
	if got := after.fallbacks - before.fallbacks; got != 1 {
		t.Errorf("%d batches run again one by one, want 1", got)
	}
}

// A batch with only a constraint failure stays one transaction.
func TestBatchConstraintFailureKeepsTheTransaction(t *testing.T) {
	if onPostgres {
		t.Skip("SQLite's writer only: PostgreSQL writes are not batched")
	}
	s, _ := openTest(t)
	now := t0.Add(time.Hour)
	req := AuthRequest{Request: push.Request{ID: "r1", User: "ada", Nonce: "n", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}, RP: "mail", Number: "42"}
	if err := s.AddAuthRequest(req); err != nil {
		t.Fatal(err)
	}
	decide := `UPDATE auth_requests SET status = ?, decided = ? WHERE id = ? AND status = 'pending'`
	batch := []*writeOp{
		{query: `INSERT INTO users (name, blocked, require_mfa, sealed_seed, created) VALUES ('ada', 0, 1, x'', 0)`, done: make(chan struct{})},
		{query: decide, args: []any{"approved", now.Unix(), "r1"}, done: make(chan struct{})},
		{query: decide, args: []any{"denied", now.Unix(), "r1"}, done: make(chan struct{})},
	}
	before := s.writerCounts()
	s.runBatch(batch)
	after := s.writerCounts()
	if !isUnique(batch[0].err) {
		t.Errorf("duplicate user: %v", batch[0].err)
	}
	if batch[1].res.rows != 1 || batch[2].res.rows != 0 {
		t.Errorf("two decisions in one batch changed %d and %d rows, want 1 then 0", batch[1].res.rows, batch[2].res.rows)
	}
	if got, err := s.AuthRequest("r1"); err != nil || got.Status != push.StatusApproved {
		t.Errorf("request after the batch: %s, %v", got.Status, err)
	}
	if after.fallbacks != before.fallbacks || after.batches-before.batches != 1 {
		t.Errorf("batches %d, fallbacks %d: want one transaction and no fallback", after.batches-before.batches, after.fallbacks-before.fallbacks)
	}
}

// Writes after Close fail with a clear error instead of hanging.
func TestWriteAfterClose(t *testing.T) {
	s, _ := openTest(t)
	s.Close()
	if err := s.AddUser(User{Name: "late", Created: t0}); err == nil {
		t.Fatal("a write after Close succeeded")
	}
}
