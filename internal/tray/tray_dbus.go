//go:build linux || freebsd || openbsd || netbsd || dragonfly

package tray

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

// available asks the session bus whether a StatusNotifierWatcher is there
// with a host registered. A watcher that does not tell about its host is
// taken at its word.
func available() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	// A private connection, never autolaunching a bus: Fyne's systray owns
	// the shared one and closes it when it quits.
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return false
	}
	defer conn.Close()
	if conn.Auth(nil) != nil || conn.Hello() != nil {
		return false
	}
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, WatcherName).Store(&owned); err != nil || !owned {
		return false
	}
	var host dbus.Variant
	err = conn.Object(WatcherName, WatcherPath).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		WatcherName, HostProp).Store(&host)
	if err != nil {
		return true
	}
	registered, ok := host.Value().(bool)
	return !ok || registered
}
