//go:build linux || freebsd || openbsd || netbsd || dragonfly

package tray

import (
	"context"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// available asks the session bus whether a StatusNotifierWatcher is there
// with a host registered. A watcher that does not tell about its host is
// taken at its word.
func available() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := dialSession(dbus.WithContext(ctx))
	if err != nil {
		return false
	}
	defer conn.Close()
	if owned, err := watcherOwned(ctx, conn); err != nil || !owned {
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

// nameOwnerChanged is the bus's signal that a name has a new owner.
const nameOwnerChanged = "org.freedesktop.DBus.NameOwnerChanged"

// watch follows NameOwnerChanged for WatcherName on a connection of its
// own, which stop closes.
func watch(present func()) (stop func(), err error) {
	conn, err := dialSession()
	if err != nil {
		return func() {}, err
	}
	signals := make(chan *dbus.Signal, 4)
	conn.Signal(signals)
	if err := conn.AddMatchSignal(
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, WatcherName)); err != nil {
		conn.Close()
		return func() {}, fmt.Errorf("subscribing to the session bus's NameOwnerChanged: %w", err)
	}
	// Asked after subscribing, so that a tray appearing in between is seen.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if owned, err := watcherOwned(ctx, conn); err == nil && owned {
		conn.Close()
		present()
		return func() {}, nil
	}
	go func() {
		seen := false
		// Until stop closes the connection, which closes signals.
		for sig := range signals {
			if !seen && sig.Name == nameOwnerChanged && len(sig.Body) == 3 {
				name, _ := sig.Body[0].(string)
				owner, _ := sig.Body[2].(string)
				if name == WatcherName && owner != "" {
					seen = true
					present()
				}
			}
		}
	}()
	return func() { conn.Close() }, nil
}

// dialSession opens a private connection to the session bus, never
// starting one: Fyne's systray owns the shared connection and closes it
// when it quits.
func dialSession(opts ...dbus.ConnOption) (*dbus.Conn, error) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup(opts...)
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

// watcherOwned asks the bus whether a StatusNotifierWatcher owns its name.
func watcherOwned(ctx context.Context, conn *dbus.Conn) (bool, error) {
	var owned bool
	err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, WatcherName).Store(&owned)
	return owned, err
}
