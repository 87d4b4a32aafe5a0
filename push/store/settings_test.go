package store

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// TestSettingOnceFirstWins: of 20 racing first values through two
// instances, one is stored, and every call returns it.
func TestSettingOnceFirstWins(t *testing.T) {
	a, b := twoInstances(t)
	var n atomic.Int32
	results := make(chan string, 20)
	raceBoth(t, a, b, func(s *Store) (bool, error) {
		v, err := s.SettingOnce("key_check", fmt.Sprint("value-", n.Add(1)))
		results <- v
		return false, err
	})
	close(results)
	stored, err := a.Setting("key_check")
	if err != nil || stored == "" {
		t.Fatalf("stored %q, %v", stored, err)
	}
	for v := range results {
		if v != stored {
			t.Fatalf("a call returned %q, the setting is %q", v, stored)
		}
	}
	if v, err := b.SettingOnce("key_check", "later"); err != nil || v != stored {
		t.Fatalf("a later call: %q, %v", v, err)
	}
}
