package main

import (
	"testing"
	"time"
)

// FuzzUsagePeriod feeds --from and --to values to the period parser: it
// never panics, and what it accepts is a non-empty run of whole UTC days.
func FuzzUsagePeriod(f *testing.F) {
	f.Add("2026-11-01", "2026-11-30")
	f.Add("", "")
	f.Add("2026-11-02", "2026-11-01")
	f.Add("2026-02-30", "")
	f.Add("0000-01-01", "9999-12-31")
	f.Add("2026-11-01T00:00:00Z", "tomorrow")
	now := time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC)
	f.Fuzz(func(t *testing.T, from, to string) {
		start, end, err := usagePeriod(from, to, now)
		if err != nil {
			return
		}
		if !start.Before(end) || start.Location() != time.UTC || end.Location() != time.UTC || !start.Equal(start.Truncate(24*time.Hour)) || !end.Equal(end.Truncate(24*time.Hour)) {
			t.Fatalf("--from %q --to %q gave %s to %s", from, to, start, end)
		}
		if from == "" && start != time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) {
			t.Fatalf("the default start is %s", start)
		}
		if to == "" && end != time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) {
			t.Fatalf("the default end is %s", end)
		}
	})
}
