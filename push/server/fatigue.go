package server

import (
	"time"
)

// maxBackoff caps the wait after unanswered requests: long enough to stop
// a spammer, short enough that a real user is not locked out for hours.
const maxBackoff = 15 * time.Minute

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
