// Package traytest plays a system tray in tests: a StatusNotifierWatcher
// on the D-Bus session bus (scripts/with-keyring.sh starts a private one),
// which Fyne's tray icon registers with as it would with a desktop's panel.
package traytest

import (
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	"github.com/countersign/countersign/internal/tray"
)

// Watcher is a StatusNotifierWatcher owned by the test.
type Watcher struct {
	conn  *dbus.Conn
	props *prop.Properties

	mu    sync.Mutex
	items []string
}

// RegisterStatusNotifierItem records an item, as a panel's watcher does.
func (w *Watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.items = append(w.items, string(sender)+service)
	return nil
}

// RegisterStatusNotifierHost accepts a host.
func (w *Watcher) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

// Items returns the items registered so far.
func (w *Watcher) Items() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.items...)
}

// SetHost says whether a host (a panel drawing the icons) is registered.
func (w *Watcher) SetHost(on bool) {
	w.props.SetMust(tray.WatcherName, tray.HostProp, on)
}

// Start owns org.kde.StatusNotifierWatcher on the session bus until the
// test ends, with a host registered. It fails the test when there is no
// session bus or when the name is taken.
func Start(t testing.TB) *Watcher {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatalf("no D-Bus session bus for the test tray (run the tests under scripts/with-keyring.sh): %v", err)
	}
	w := &Watcher{conn: conn}
	if err := conn.Export(w, tray.WatcherPath, tray.WatcherName); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	w.props, err = prop.Export(conn, tray.WatcherPath, prop.Map{tray.WatcherName: {
		tray.HostProp:                   {Value: true, Emit: prop.EmitTrue},
		"RegisteredStatusNotifierItems": {Value: []string{}, Emit: prop.EmitTrue},
		"ProtocolVersion":               {Value: int32(0), Emit: prop.EmitTrue},
	}})
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	reply, err := conn.RequestName(tray.WatcherName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		t.Fatalf("owning %s on the session bus: reply %v, %v", tray.WatcherName, reply, err)
	}
	t.Cleanup(w.Stop)
	return w
}

// Stop gives up the name: the tray is gone.
func (w *Watcher) Stop() {
	w.conn.ReleaseName(tray.WatcherName)
	w.conn.Close()
}
