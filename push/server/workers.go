package server

import "context"

// A connected device's goroutine spends nearly all its life waiting for
// the device's next frame, which needs a small stack. But the work a frame
// starts (a database statement through the SQLite driver, a signature)
// runs deep, and a goroutine keeps the stack it grew until a garbage
// collection finds it idle: with tens of thousands of devices, each one's
// goroutine would hold a deep stack it no longer needs. So the connections
// hand that work to a few long-lived workers, whose stacks grow once.

// connWorkers is how many workers serve the connected devices' work.
const connWorkers = 32

// startWorkers starts the workers; they stop when ctx ends.
func (s *Server) startWorkers(ctx context.Context) {
	s.work = make(chan func())
	s.workCtx = ctx
	for range connWorkers {
		s.background.Go(func() {
			for {
				select {
				case f := <-s.work:
					f()
				case <-ctx.Done():
					return
				}
			}
		})
	}
}

// onWorker runs f on a worker and waits for it; once the server is
// closing, on the caller's goroutine. A panic in f is raised again on the
// caller's goroutine, whose recovery (serveDevice's, or net/http's for a
// handler) then deals with one connection, not the whole process.
func (s *Server) onWorker(f func()) {
	done := make(chan struct{})
	var panicked any
	job := func() {
		defer close(done)
		defer func() { panicked = recover() }()
		f()
	}
	select {
	case s.work <- job:
		<-done
		if panicked != nil {
			panic(panicked)
		}
	case <-s.workCtx.Done():
		f()
	}
}
