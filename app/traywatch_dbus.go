//go:build linux || freebsd || openbsd || netbsd || dragonfly

package app

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"github.com/godbus/dbus/v5"

	"github.com/countersign/countersign/internal/tray"
)

// nameOwnerChanged is the bus's signal that a name has a new owner.
const nameOwnerChanged = "org.freedesktop.DBus.NameOwnerChanged"

// watchTray calls present once a StatusNotifierWatcher owns its name on the
// D-Bus session bus, where Fyne's tray icon registers: at once if one does
// now, else when one appears. It follows the bus's NameOwnerChanged signal
// for that name only, on a private connection (Fyne's tray owns the shared
// one), so waiting costs no polling. Without a session bus there can be no
// tray, and present is never called.
func watchTray(present func()) (stop func()) {
	conn, err := dialTrayWatch()
	if err != nil {
		fyne.LogError("system tray: cannot watch for one, so the app shows no tray icon", err)
		return func() {}
	}
	signals := make(chan *dbus.Signal, 4)
	conn.Signal(signals)
	if err := conn.AddMatchSignal(
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, tray.WatcherName)); err != nil {
		conn.Close()
		fyne.LogError("system tray: cannot watch for one, so the app shows no tray icon", err)
		return func() {}
	}
	// Asked after subscribing, so that a tray appearing in between is seen.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, tray.WatcherName).Store(&owned); err == nil && owned {
		conn.Close()
		present()
		return func() {}
	}
	go func() {
		seen := false
		// Until stop closes the connection, which closes signals.
		for sig := range signals {
			if !seen && sig.Name == nameOwnerChanged && len(sig.Body) == 3 {
				name, _ := sig.Body[0].(string)
				owner, _ := sig.Body[2].(string)
				if name == tray.WatcherName && owner != "" {
					seen = true
					present()
				}
			}
		}
	}()
	return func() { conn.Close() }
}

// dialTrayWatch opens a private connection to the session bus, never
// starting one.
func dialTrayWatch() (*dbus.Conn, error) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return nil, fmt.Errorf("no D-Bus session bus: %w", err)
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("authenticating to the D-Bus session bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("greeting the D-Bus session bus: %w", err)
	}
	return conn, nil
}
