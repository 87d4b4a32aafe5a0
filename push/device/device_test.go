package device

import (
	"testing"
	"time"
)

// The client is tested end to end against a real server in push/server;
// here, the reconnection schedule.
func TestBackoffGrowsWithJitterAndCaps(t *testing.T) {
	low := func(time.Duration) time.Duration { return 0 }
	high := func(d time.Duration) time.Duration { return d }
	for _, c := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{0, 500 * time.Millisecond, time.Second},
		{1, time.Second, 2 * time.Second},
		{3, 4 * time.Second, 8 * time.Second},
		{6, 30 * time.Second, time.Minute},
		{50, 30 * time.Second, time.Minute},
	} {
		if got := backoff(c.attempt, low); got != c.min {
			t.Errorf("attempt %d, no jitter: %v, want %v", c.attempt, got, c.min)
		}
		if got := backoff(c.attempt, high); got != c.max {
			t.Errorf("attempt %d, full jitter: %v, want %v", c.attempt, got, c.max)
		}
	}
}
