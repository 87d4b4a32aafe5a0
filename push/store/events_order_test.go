package store

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestEventsReadInOrderWhileWritten: four writers on two instances append
// events at once while a follower reads the log with EventsAfter, as a
// server does: it gets every event, none skipped by reading past an id
// whose insert had not committed yet (PostgreSQL skipped 4 % of them
// before ordered.go).
func TestEventsReadInOrderWhileWritten(t *testing.T) {
	a, b := twoInstances(t)
	const per = 300
	var wg sync.WaitGroup
	for w, s := range []*Store{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if err := s.AddEvent(Event{Time: t0, Origin: fmt.Sprint("writer-", w), Kind: "k", User: "ada", Ref: fmt.Sprint(i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[int64]bool{}
	var last int64
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		events, next, err := a.EventsAfter(last, "follower", 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			seen[e.ID] = true
		}
		last = next
		if finished && len(events) == 0 {
			break
		}
		time.Sleep(100 * time.Microsecond)
	}
	if len(seen) != 4*per {
		t.Fatalf("the follower got %d of %d events", len(seen), 4*per)
	}
}

// TestNoticesGivenInOrderWhileWritten: notices added at once on two
// instances reach a device that takes them as they come (UnseenNotices,
// MarkNoticesSeen), every one.
func TestNoticesGivenInOrderWhileWritten(t *testing.T) {
	a, b := twoInstances(t)
	mustDo(t, a.AddDevice(Device{ID: "phone", User: "ada", Name: "phone", Kind: KindApp, PublicKey: []byte("pk"), Created: t0}))
	const per = 150
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				if _, err := s.AddNotice(Notice{User: "ada", Time: t0, Kind: "device_added", Text: "a device was added"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	given := map[int64]bool{}
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		notices, err := b.UnseenNotices("phone")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notices {
			given[n.ID] = true
		}
		if len(notices) > 0 {
			mustDo(t, b.MarkNoticesSeen("phone", notices[len(notices)-1].ID))
		}
		if finished && len(notices) == 0 {
			break
		}
		time.Sleep(100 * time.Microsecond)
	}
	if len(given) != 4*per {
		t.Fatalf("the device was given %d of %d notices", len(given), 4*per)
	}
}
