//go:build linux || freebsd || openbsd || netbsd || dragonfly

package app

import (
	"testing"
	"time"

	"github.com/countersign/countersign/internal/tray/traytest"
)

// TestWatchTray watches the real session bus (scripts/with-keyring.sh
// starts a private one): with no StatusNotifierWatcher, present is not
// called; when the test's watcher takes the name, it is, once; and a watch
// started while the watcher is there calls it at once.
func TestWatchTray(t *testing.T) {
	presents := make(chan struct{}, 4)
	stop := watchTray(func() { presents <- struct{}{} })
	defer stop()
	select {
	case <-presents:
		t.Fatal("present was called with no tray on the bus")
	case <-time.After(300 * time.Millisecond):
	}

	traytest.Start(t)
	select {
	case <-presents:
	case <-time.After(5 * time.Second):
		t.Fatal("a tray appeared on the bus, but present was not called within 5 s")
	}

	now := make(chan struct{}, 1)
	stopNow := watchTray(func() { now <- struct{}{} })
	defer stopNow()
	select {
	case <-now:
	default:
		t.Fatal("with a tray on the bus, present must be called before watchTray returns")
	}
	stop()
	select {
	case <-presents:
		t.Fatal("present was called twice")
	case <-time.After(200 * time.Millisecond):
	}
}
