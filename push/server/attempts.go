package server

import (
	"sync"
	"time"
)

// Limits of attempts from one client address on the pages without a key.
const (
	attemptWindow   = 15 * time.Minute
	attemptsAllowed = 10 // wrong codes per address per window
	attemptEntries  = 100_000
)

// attemptLimiter counts wrong codes per client address on the endpoints
// that need no key, apart from any user's own counter.
type attemptLimiter struct {
	mu sync.Mutex
	m  map[string]*attempts
}

type attempts struct {
	failures int
	since    time.Time // start of the window
}

// check refuses an address that has used up its attempts in the window.
func (l *attemptLimiter) check(addr string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.m[addr]
	if a == nil || now.Sub(a.since) >= attemptWindow || a.failures < attemptsAllowed {
		return nil
	}
	return errorf("too_many_attempts", "too many wrong codes from your address; try again after %s", a.since.Add(attemptWindow).UTC().Format(time.RFC3339))
}

// fail counts a wrong code from addr.
func (l *attemptLimiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*attempts{}
	}
	a := l.m[addr]
	if a == nil || now.Sub(a.since) >= attemptWindow {
		if len(l.m) >= attemptEntries {
			l.sweep(now)
		}
		a = &attempts{since: now}
		l.m[addr] = a
	}
	a.failures++
}

// sweep forgets the addresses whose window has passed; if that is not
// enough, it forgets them all (memory stays bounded whatever the traffic).
func (l *attemptLimiter) sweep(now time.Time) {
	for addr, a := range l.m {
		if now.Sub(a.since) >= attemptWindow {
			delete(l.m, addr)
		}
	}
	if len(l.m) >= attemptEntries {
		clear(l.m)
	}
}
