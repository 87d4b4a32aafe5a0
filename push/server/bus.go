package server

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// Several server processes may share one database: instances behind a
// load balancer, or admin commands run beside the serving process. What
// one of them changes that another must act on — a request for a device
// connected to another, a decision that a long-poll elsewhere waits for, a
// notice, an enrollment, a revocation — goes into the event log (ids
// only; the tables stay the truth), which every serving process reads a
// few times a second. Overdue requests are expired by whichever process
// looks first, so a request made by a process that died still ends.

// The kinds of events.
const (
	evRequest    = "request"    // Ref: a request to push to the user's devices
	evResolved   = "resolved"   // Ref: a request decided or expired
	evNotice     = "notice"     // Ref: a notice for the user's devices
	evEnrollment = "enrollment" // an enrollment of the user changed
	evRevoked    = "revoked"    // Ref: a device to disconnect
)

var (
	// busPollInterval is how often a serving process reads the event log.
	busPollInterval = 250 * time.Millisecond
	// listenedPollInterval is how often it reads the log when PostgreSQL
	// wakes it for each event: the poll only catches what was missed.
	listenedPollInterval = 2 * time.Second
	// sweepInterval is how often it looks for overdue requests.
	sweepInterval = 5 * time.Second
	// eventRetention is how long events are kept.
	eventRetention = time.Hour
)

// publish writes an event for the other processes sharing the database,
// when there may be any (Config.Shared).
func (s *Server) publish(kind, user, ref string) {
	if !s.cfg.Shared {
		return
	}
	if err := s.store.AddEvent(store.Event{Time: s.cfg.Now(), Origin: s.origin, Kind: kind, User: user, Ref: ref}); err != nil {
		s.log.Error("telling the other server processes", "kind", kind, "err", err)
	}
}

// followEvents reads the event log until ctx ends, acting on what other
// processes wrote, and expires overdue requests.
func (s *Server) followEvents(ctx context.Context) {
	last, err := s.store.LastEventID()
	if err != nil {
		s.log.Error("reading the event log", "err", err)
	}
	// PostgreSQL wakes the follower at once; the poll catches what a lost
	// notification or connection would miss (SQLite: the poll alone).
	wake, err := s.store.Listen(ctx)
	if err != nil {
		s.log.Error("listening for the other processes' events; polling only", "err", err)
	}
	interval := busPollInterval
	if wake != nil {
		interval = listenedPollInterval
	}
	poll := time.NewTicker(interval)
	defer poll.Stop()
	sweep := time.NewTicker(sweepInterval)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
			last = s.readEvents(last)
		case <-wake:
			last = s.readEvents(last)
		case <-sweep.C:
			s.sweep()
		}
	}
}

// readEvents applies the events after last and returns the new last.
func (s *Server) readEvents(last int64) int64 {
	for {
		events, next, err := s.store.EventsAfter(last, s.origin, 500)
		if err != nil {
			s.log.Error("reading the event log", "err", err)
			return last
		}
		for _, e := range events {
			s.applyEvent(e)
		}
		if next == last {
			return last
		}
		last = next
	}
}

// applyEvent does here what another process asked of every process.
func (s *Server) applyEvent(e store.Event) {
	switch e.Kind {
	case evRequest:
		req, err := s.store.AuthRequest(e.Ref)
		if err != nil || req.Status != push.StatusPending || !s.cfg.Now().Before(req.ExpiresAt) {
			return
		}
		s.hub.sendToUser(req.User, s.requestFrame(req.Request))
	case evResolved:
		req, err := s.store.AuthRequest(e.Ref)
		if err != nil {
			return
		}
		s.hub.resolvedHere(req, req.DecidedBy)
	case evNotice:
		for _, id := range s.hub.connectedDevices(e.User) {
			for _, f := range s.unseenNoticeFrames(id) {
				s.hub.sendToDevice(id, f)
			}
		}
	case evEnrollment:
		s.hub.wakeEnrollment(e.User)
	case evRevoked:
		s.hub.disconnectDeviceHere(e.Ref)
	case evApplicationChanged: // console_apps.go: a key rotated or revoked
		s.forgetRelyingParty(e.Ref)
	}
}

// sweep expires the requests whose time ran out, wherever they were made.
func (s *Server) sweep() {
	now := s.cfg.Now()
	ids, err := s.store.OverdueRequests(now, 1000)
	if err != nil {
		s.log.Error("looking for overdue requests", "err", err)
		return
	}
	for _, id := range ids {
		s.expire(id)
	}
	if err := s.store.PruneEvents(now.Add(-eventRetention)); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("pruning the event log", "err", err)
	}
	if err := s.store.PruneAttempts(now.Add(-attemptWindow)); err != nil {
		s.log.Error("pruning attempt counts", "err", err)
	}
}

// noticeRef is the event reference of a notice.
func noticeRef(id int64) string { return strconv.FormatInt(id, 10) }
