package tray_test

import (
	"os"
	"testing"
	"time"

	"github.com/countersign/countersign/internal/tray"
	"github.com/countersign/countersign/internal/tray/traytest"
)

// waitAvailable waits up to 5 s for Available to say want.
func waitAvailable(t *testing.T, want bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); tray.Available() != want; {
		if time.Now().After(deadline) {
			t.Fatalf("%s: Available() is %v, want %v", what, !want, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAvailable runs against the real session bus (make test starts a
// private one): no tray, then a watcher with a host, then one without a
// host, then the watcher gone.
func TestAvailable(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no D-Bus session bus: run the tests under scripts/with-keyring.sh (make test does)")
	}
	if tray.Available() {
		t.Fatal("a tray on a session bus without a StatusNotifierWatcher")
	}
	w := traytest.Start(t)
	waitAvailable(t, true, "watcher with a host")
	w.SetHost(false)
	waitAvailable(t, false, "watcher without a host")
	w.SetHost(true)
	waitAvailable(t, true, "host back")
	w.Stop()
	waitAvailable(t, false, "watcher gone")
}

// TestNoSessionBus: without a session bus there is no tray, and no bus is
// started to find out.
func TestNoSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if tray.Available() {
		t.Fatal("a tray without a session bus")
	}
}
