package app

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"github.com/godbus/dbus/v5"
)

// The freedesktop notification server on the session bus
// (https://specifications.freedesktop.org/notification-spec/latest/).
// Fyne's own Linux notifications go there too, but with replaces_id 0 and
// expire_timeout 0 and no actions: this file talks to it directly so that
// a request's notification is replaced when it is sent again, withdrawn
// (CloseNotification) when the request is decided or expires, expires
// with the request (expire_timeout: some servers ignore it, GNOME Shell
// among them, hence the withdrawal), and opens the request when clicked
// (the "default" action, ActionInvoked).
const (
	notifyName      = "org.freedesktop.Notifications"
	notifyPath      = dbus.ObjectPath("/org/freedesktop/Notifications")
	notifyInterface = "org.freedesktop.Notifications"
	// notifyIcon is a themed icon of the freedesktop icon naming spec.
	notifyIcon = "dialog-password"
	// notifyCallTimeout bounds each call: a hung server never holds the app.
	notifyCallTimeout = 3 * time.Second
)

// sessionBus connects to the session bus; its own connection, closed when
// the app quits.
func sessionBus() (*dbus.Conn, error) { return dbus.ConnectSessionBus() }

// dbusNotifier sends notifications to the freedesktop notification server.
// Notify and Withdraw only queue the work: a goroutine does it, in order,
// so that the UI never waits on the bus. Without a server (no session
// bus, no service), it hands the notifications to the fallback.
type dbusNotifier struct {
	dial     func() (*dbus.Conn, error)
	fallback notifier
	onClick  func(key string)
	done     <-chan struct{}

	mu      sync.Mutex
	queue   []notifyOp
	started bool
	wake    chan struct{}
	// ids are the shown notifications' ids by key, and keys by id.
	ids  map[string]uint32
	keys map[uint32]string
	// owner is the server's unique bus name: signals from anyone else are
	// not the server's.
	owner string
}

// notifyOp is a queued Notify (n set) or Withdraw (n nil).
type notifyOp struct {
	key string
	n   *notification
}

func newDBusNotifier(dial func() (*dbus.Conn, error), fallback notifier, onClick func(string), done <-chan struct{}) *dbusNotifier {
	return &dbusNotifier{dial: dial, fallback: fallback, onClick: onClick, done: done,
		wake: make(chan struct{}, 1), ids: map[string]uint32{}, keys: map[uint32]string{}}
}

func (d *dbusNotifier) Notify(key string, n notification) { d.push(notifyOp{key: key, n: &n}) }

func (d *dbusNotifier) Withdraw(key string) { d.push(notifyOp{key: key}) }

func (d *dbusNotifier) push(op notifyOp) {
	d.mu.Lock()
	d.queue = append(d.queue, op)
	if !d.started {
		d.started = true
		go d.run()
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// notifySession is a connection to a notification server and what it can do.
type notifySession struct {
	conn                *dbus.Conn
	actions, bodyMarkup bool
}

// run does the queued work until done; then it withdraws the notifications
// still shown (their requests cannot be answered once the app is gone).
func (d *dbusNotifier) run() {
	s := d.connect()
	if s != nil {
		defer s.conn.Close()
		defer d.withdrawAll(s)
	}
	for {
		d.mu.Lock()
		ops := d.queue
		d.queue = nil
		d.mu.Unlock()
		for _, op := range ops {
			switch {
			case s == nil && op.n != nil:
				d.fallback.Notify(op.key, *op.n)
			case s == nil:
				d.fallback.Withdraw(op.key)
			case op.n != nil:
				d.notify(s, op.key, *op.n)
			default:
				d.withdraw(s, op.key)
			}
		}
		select {
		case <-d.wake:
		case <-d.done:
			return
		}
	}
}

// connect reaches the notification server and asks what it can do; nil
// when there is none.
func (d *dbusNotifier) connect() *notifySession {
	conn, err := d.dial()
	if err != nil {
		fyne.LogError("notifications: no session bus, using Fyne's", err)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), notifyCallTimeout)
	defer cancel()
	var caps []string
	if err := conn.Object(notifyName, notifyPath).CallWithContext(ctx, notifyInterface+".GetCapabilities", 0).Store(&caps); err != nil {
		fyne.LogError("notifications: no notification server on the session bus, using Fyne's", err)
		conn.Close()
		return nil
	}
	s := &notifySession{conn: conn, actions: slices.Contains(caps, "actions"), bodyMarkup: slices.Contains(caps, "body-markup")}
	d.setOwner(d.nameOwner(conn))
	if err := conn.AddMatchSignal(dbus.WithMatchObjectPath(notifyPath), dbus.WithMatchInterface(notifyInterface)); err != nil {
		fyne.LogError("notifications: clicks will not reach the app", err)
		return s
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	go d.listen(conn, signals)
	return s
}

func (d *dbusNotifier) nameOwner(conn *dbus.Conn) string {
	ctx, cancel := context.WithTimeout(context.Background(), notifyCallTimeout)
	defer cancel()
	var owner string
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, notifyName).Store(&owner); err != nil {
		return ""
	}
	return owner
}

func (d *dbusNotifier) setOwner(owner string) {
	d.mu.Lock()
	d.owner = owner
	d.mu.Unlock()
}

// listen follows the server's signals until the connection closes: a
// click (ActionInvoked) opens what the notification is about; a closed
// notification is forgotten.
func (d *dbusNotifier) listen(conn *dbus.Conn, signals <-chan *dbus.Signal) {
	for sig := range signals {
		if sig.Path != notifyPath || len(sig.Body) < 2 {
			continue
		}
		d.mu.Lock()
		owner := d.owner
		d.mu.Unlock()
		if sig.Sender != owner {
			// The server may have restarted under a new name.
			if owner = d.nameOwner(conn); sig.Sender != owner {
				continue
			}
			d.setOwner(owner)
		}
		id, ok := sig.Body[0].(uint32)
		if !ok {
			continue
		}
		switch sig.Name {
		case notifyInterface + ".ActionInvoked":
			d.mu.Lock()
			key, known := d.keys[id]
			d.mu.Unlock()
			if action, _ := sig.Body[1].(string); known && action == "default" {
				d.onClick(key)
			}
		case notifyInterface + ".NotificationClosed":
			d.mu.Lock()
			if key, known := d.keys[id]; known {
				delete(d.keys, id)
				delete(d.ids, key)
			}
			d.mu.Unlock()
		}
	}
}

// notify shows n under key, replacing the notification shown under key.
func (d *dbusNotifier) notify(s *notifySession, key string, n notification) {
	d.mu.Lock()
	replaces := d.ids[key]
	d.mu.Unlock()
	body := n.Body
	if s.bodyMarkup {
		// Such servers read the body as markup: text from outside must not
		// become a link or hide behind a tag.
		body = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(body)
	}
	var actions []string
	if n.Clickable && s.actions {
		actions = []string{"default", "Answer"}
	}
	hints := map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(1))}
	ctx, cancel := context.WithTimeout(context.Background(), notifyCallTimeout)
	defer cancel()
	var id uint32
	err := s.conn.Object(notifyName, notifyPath).CallWithContext(ctx, notifyInterface+".Notify", 0,
		"Countersign", replaces, notifyIcon, n.Title, body, actions, hints, expireTimeout(n.Expires, time.Now())).Store(&id)
	if err != nil {
		fyne.LogError("notifications: the notification server refused one, using Fyne's", err)
		d.fallback.Notify(key, n)
		return
	}
	d.mu.Lock()
	if replaces != 0 && replaces != id {
		delete(d.keys, replaces)
	}
	d.ids[key], d.keys[id] = id, key
	d.mu.Unlock()
}

// expireTimeout is the notification's expire_timeout in milliseconds: -1
// (the server's default) without an expiry, else the time left, at least
// a second.
func expireTimeout(expires, now time.Time) int32 {
	if expires.IsZero() {
		return -1
	}
	ms := expires.Sub(now).Milliseconds()
	return int32(max(1000, min(ms, math.MaxInt32)))
}

// withdraw closes the notification shown under key, if any.
func (d *dbusNotifier) withdraw(s *notifySession, key string) {
	d.mu.Lock()
	id, ok := d.ids[key]
	delete(d.ids, key)
	delete(d.keys, id)
	d.mu.Unlock()
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), notifyCallTimeout)
	defer cancel()
	// An error means it was closed already (by the user, or expired).
	s.conn.Object(notifyName, notifyPath).CallWithContext(ctx, notifyInterface+".CloseNotification", 0, id)
}

// withdrawAll closes the requests' notifications still shown; notices stay.
func (d *dbusNotifier) withdrawAll(s *notifySession) {
	d.mu.Lock()
	var keys []string
	for key := range d.ids {
		if strings.HasPrefix(key, requestKeyPrefix) {
			keys = append(keys, key)
		}
	}
	d.mu.Unlock()
	for _, key := range keys {
		d.withdraw(s, key)
	}
}
