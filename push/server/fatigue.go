package server

import (
	"time"
)

// checkFatigue applies the push-fatigue limits: pending requests, requests
// per minute, and a growing wait after requests that expired unanswered.
func (s *Server) checkFatigue(user string, now time.Time) error {
	pending, recent, unanswered, latest, err := s.store.RequestCounts(user, now, now.Add(-time.Minute))
	if err != nil {
		return err
	}
	if pending >= s.cfg.MaxPending {
		return errorf("too_many_pending", "%s already has %d sign-in request(s) waiting; wait for the answer or the expiry", user, pending)
	}
	if recent >= s.cfg.RequestsPerMinute {
		return errorf("rate_limited", "%s had %d sign-in requests in the last minute (limit %d); try again later", user, recent, s.cfg.RequestsPerMinute)
	}
	if unanswered >= 3 {
		wait := 30 * time.Second << min(unanswered-3, 10)
		if next := latest.Add(s.cfg.RequestTTL).Add(wait); now.Before(next) {
			return errorf("backoff", "%d requests to %s went unanswered; the next is allowed at %s", unanswered, user, next.UTC().Format(time.RFC3339))
		}
	}
	return nil
}
