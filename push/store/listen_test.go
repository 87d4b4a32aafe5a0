package store

import (
	"context"
	"testing"
	"time"
)

// TestListenWakesOnEvents: on PostgreSQL an event appended through one
// store wakes another's listener at once; on SQLite there is no listener
// (the follower polls).
func TestListenWakesOnEvents(t *testing.T) {
	a, path := openTest(t)
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wake, err := b.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !onPostgres {
		if wake != nil {
			t.Fatal("a listener on SQLite")
		}
		return
	}
	if err := a.AddEvent(Event{Time: t0, Origin: "a", Kind: "request", User: "ada", Ref: "r1"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener was not woken by the event within 10 s")
	}
	events, _, err := b.EventsAfter(0, "b", 10)
	if err != nil || len(events) != 1 || events[0].Ref != "r1" {
		t.Fatalf("after the wake-up the log holds %+v %v", events, err)
	}
}
