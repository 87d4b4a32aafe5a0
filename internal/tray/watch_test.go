//go:build linux || freebsd || openbsd || netbsd || dragonfly

package tray_test

import (
	"testing"
	"time"

	"github.com/countersign/countersign/internal/tray"
	"github.com/countersign/countersign/internal/tray/traytest"
)

// watch is tray.Watch, failing the test when there can be no watch.
func watch(t *testing.T, present func()) (stop func()) {
	t.Helper()
	stop, err := tray.Watch(present)
	if err != nil {
		t.Fatal(err)
	}
	return stop
}

// TestWatch watches the real session bus (scripts/with-keyring.sh
// starts a private one): with no StatusNotifierWatcher, present is not
// called; when the test's watcher takes the name, it is, once; and a watch
// started while the watcher is there calls it at once.
func TestWatch(t *testing.T) {
	presents := make(chan struct{}, 4)
	stop := watch(t, func() { presents <- struct{}{} })
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
	stopNow := watch(t, func() { now <- struct{}{} })
	defer stopNow()
	select {
	case <-now:
	default:
		t.Fatal("with a tray on the bus, present must be called before Watch returns")
	}
	stop()
	select {
	case <-presents:
		t.Fatal("present was called twice")
	case <-time.After(200 * time.Millisecond):
	}
}
