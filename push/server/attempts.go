package server

import (
	"log/slog"
	"time"

	"github.com/countersign/countersign/push/store"
)

// Limits of attempts from one client address on the pages without a key.
const (
	attemptWindow   = 15 * time.Minute
	attemptsAllowed = 10 // wrong codes per address per window
)

// attemptLimiter counts wrong codes per client address (or another
// subject) in one scope, apart from any user's own counter. The counts
// live in the database, so they hold across server instances.
type attemptLimiter struct {
	st    *store.Store
	scope string
	log   *slog.Logger
}

// check refuses a subject that has used up its attempts in the window.
func (l *attemptLimiter) check(subject string, now time.Time) error {
	n, since, err := l.st.Attempts(l.scope, subject)
	if err != nil {
		return err
	}
	if n < attemptsAllowed || now.Sub(since) >= attemptWindow {
		return nil
	}
	return errorf("too_many_attempts", "too many wrong codes from your address; try again after %s", since.Add(attemptWindow).UTC().Format(time.RFC3339))
}

// fail counts a wrong attempt of subject.
func (l *attemptLimiter) fail(subject string, now time.Time) {
	if err := l.st.AddAttemptFailure(l.scope, subject, now, now.Add(-attemptWindow)); err != nil {
		l.log.Error("counting a wrong attempt", "scope", l.scope, "err", err)
	}
}
