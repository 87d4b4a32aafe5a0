package server

import (
	"testing"
)

// A panic in work handed to a worker comes back on the caller's
// goroutine (whose recovery handles one connection), and the worker goes
// on serving.
func TestOnWorkerRaisesPanicsOnTheCaller(t *testing.T) {
	e := newEnv(t, Config{})
	recovered := func() (p any) {
		defer func() { p = recover() }()
		e.srv.onWorker(func() { panic("a bug in frame handling") })
		return nil
	}()
	if recovered != "a bug in frame handling" {
		t.Fatalf("recovered %v on the caller", recovered)
	}
	for range 2 * connWorkers {
		ran := false
		e.srv.onWorker(func() { ran = true })
		if !ran {
			t.Fatal("a worker did not run the work after a panic")
		}
	}
}
