package server

import (
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// maxBackoff caps the wait after unanswered requests: long enough to stop
// a spammer, short enough that a real user is not locked out for hours.
const maxBackoff = 15 * time.Minute

// storeRequest stores a new request. An application's sign-in is stored
// only within the fatigue limits (one waiting, so many a minute), checked
// by the store in the same statement: checkFatigue's reading comes first,
// for its clear refusals, but racing requests, on one server or several,
// could all pass a reading.
func (s *Server) storeRequest(req store.AuthRequest) error {
	if req.RP == "" || req.RP == consoleRP || (req.Kind != push.KindSignIn && req.Kind != "") {
		return s.store.AddAuthRequest(req)
	}
	now := s.cfg.Now()
	stored, err := s.store.AddAuthRequestWithin(req, store.Limits{Now: now, Since: now.Add(-time.Minute), MaxPending: s.cfg.MaxPending, MaxRecent: s.cfg.RequestsPerMinute})
	if err != nil {
		return err
	}
	if !stored {
		if err := s.checkFatigue(req.User, req.RP, now); err != nil {
			return err
		}
		return errorf("too_many_pending", "%s has another sign-in request from this application just now; wait for its answer", req.User)
	}
	return nil
}

// checkFatigue applies the push-fatigue limits to the requests that one
// application (rp) makes for a user: pending requests, requests per minute,
// and a growing wait after requests that expired unanswered. Each
// application has its own limits, so one cannot use up another's; an
// answer (approve or deny) ends the unanswered run and so the wait.
func (s *Server) checkFatigue(user, rp string, now time.Time) error {
	pending, recent, unanswered, latest, err := s.store.RequestCounts(user, rp, now, now.Add(-time.Minute))
	if err != nil {
		return err
	}
	if pending >= s.cfg.MaxPending {
		return errorf("too_many_pending", "%s already has %d sign-in request(s) waiting from this application; wait for the answer or the expiry", user, pending)
	}
	if recent >= s.cfg.RequestsPerMinute {
		return errorf("rate_limited", "%s had %d sign-in requests in the last minute (limit %d); try again later", user, recent, s.cfg.RequestsPerMinute)
	}
	if unanswered >= 3 {
		wait := min(30*time.Second<<min(unanswered-3, 10), maxBackoff)
		if next := latest.Add(s.cfg.RequestTTL).Add(wait); now.Before(next) {
			return errorf("backoff", "%d requests to %s went unanswered; the next is allowed at %s", unanswered, user, next.UTC().Format(time.RFC3339))
		}
	}
	return nil
}
