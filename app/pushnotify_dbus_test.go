package app

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/godbus/dbus/v5"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
)

// fakeNotifyServer is a freedesktop notification server on the session
// bus: the private one scripts/with-keyring.sh starts for the tests, which
// has no notification server of its own. It keeps what it is asked and
// can play the user's click.
type fakeNotifyServer struct {
	conn *dbus.Conn
	caps []string

	mu     sync.Mutex
	next   uint32
	calls  []notifyCall
	closed []uint32
}

// notifyCall is a call of Notify, and the id it returned.
type notifyCall struct {
	App      string
	Replaces uint32
	Icon     string
	Summary  string
	Body     string
	Actions  []string
	Hints    map[string]dbus.Variant
	Expire   int32
	ID       uint32
}

// startFakeNotifyServer takes the name org.freedesktop.Notifications on
// the session bus until the test ends; without a session bus, or where a
// real server holds the name (a desktop session), the test is skipped.
func startFakeNotifyServer(t *testing.T, caps ...string) *fakeNotifyServer {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Skipf("no session bus (the tests run with one under scripts/with-keyring.sh): %v", err)
	}
	s := &fakeNotifyServer{conn: conn, caps: caps}
	if err := conn.Export(s, notifyPath, notifyInterface); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(notifyName, dbus.NameFlagDoNotQueue)
	if err != nil {
		t.Fatal(err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		t.Skip("a notification server already runs on this session bus")
	}
	t.Cleanup(func() { conn.Close() })
	return s
}

func (s *fakeNotifyServer) GetCapabilities() ([]string, *dbus.Error) { return s.caps, nil }

func (s *fakeNotifyServer) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "fake", "countersign tests", "1", "1.2", nil
}

func (s *fakeNotifyServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, expire int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := replaces
	if id == 0 {
		s.next++
		id = s.next
	}
	s.calls = append(s.calls, notifyCall{app, replaces, icon, summary, body, actions, hints, expire, id})
	return id, nil
}

func (s *fakeNotifyServer) CloseNotification(id uint32) *dbus.Error {
	s.mu.Lock()
	s.closed = append(s.closed, id)
	s.mu.Unlock()
	// 3: closed by a call to CloseNotification.
	s.conn.Emit(notifyPath, notifyInterface+".NotificationClosed", id, uint32(3))
	return nil
}

// click plays the user's click on notification id.
func (s *fakeNotifyServer) click(t *testing.T, id uint32) {
	t.Helper()
	if err := s.conn.Emit(notifyPath, notifyInterface+".ActionInvoked", id, "default"); err != nil {
		t.Fatal(err)
	}
}

func (s *fakeNotifyServer) notified() []notifyCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *fakeNotifyServer) closedIDs() []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.closed)
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// notifierKnows reports whether the UI's D-Bus notifier has the server's
// id for one of its notifications (it takes it from the reply to Notify).
func notifierKnows(f *fixture, id uint32) bool {
	d, ok := f.ui.push.notifier.(*dbusNotifier)
	if !ok {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	_, known := d.keys[id]
	return known
}

// TestDBusNotifier drives the D-Bus notifier against the fake server: a
// notification expires with its request, carries the default action,
// escapes markup, is replaced when sent again and withdrawn when asked;
// a click reaches the app, a click forged by another client does not; at
// the end, the requests' notifications are withdrawn and notices stay.
func TestDBusNotifier(t *testing.T) {
	srv := startFakeNotifyServer(t, "body", "body-markup", "actions")
	clicks := make(chan string, 4)
	done := make(chan struct{})
	fallback := &fakeNotifier{shown: map[string]notification{}}
	n := newDBusNotifier(sessionBus, fallback, func(key string) { clicks <- key }, done)

	expires := time.Now().Add(2 * time.Minute)
	n.Notify("request:r1", notification{Title: "Sign-in request", Body: `Pay & <a href="https://evil.example">roll</a>`, Expires: expires, Clickable: true})
	waitUntil(t, "Notify", func() bool { return len(srv.notified()) == 1 })
	c := srv.notified()[0]
	if c.App != "Countersign" || c.Replaces != 0 || c.Icon != notifyIcon || c.Summary != "Sign-in request" ||
		c.Body != `Pay &amp; &lt;a href="https://evil.example"&gt;roll&lt;/a&gt;` || !slices.Equal(c.Actions, []string{"default", "Answer"}) {
		t.Fatalf("Notify %+v", c)
	}
	if c.Expire < 110_000 || c.Expire > 120_000 {
		t.Errorf("expire_timeout %d ms, want the two minutes left", c.Expire)
	}
	if u, ok := c.Hints["urgency"].Value().(byte); !ok || u != 1 {
		t.Errorf("hints %v", c.Hints)
	}
	// A notice: no action, the server's default expiry.
	n.Notify("notice:a/1", notification{Title: noticeTitle, Body: "A new device was added."})
	waitUntil(t, "the notice", func() bool { return len(srv.notified()) == 2 })
	if c := srv.notified()[1]; len(c.Actions) != 0 || c.Expire != -1 || c.Replaces != 0 {
		t.Fatalf("notice %+v", c)
	}
	// Sent again, the request's notification replaces the first.
	n.Notify("request:r1", notification{Title: "Sign-in request", Body: "again", Expires: expires, Clickable: true})
	waitUntil(t, "the replacement", func() bool { return len(srv.notified()) == 3 })
	if c := srv.notified()[2]; c.Replaces != 1 || c.ID != 1 {
		t.Fatalf("the second Notify %+v, want it to replace id 1", c)
	}

	// A click from another client of the bus is not the server's.
	forger, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer forger.Close()
	if err := forger.Emit(notifyPath, notifyInterface+".ActionInvoked", uint32(1), "default"); err != nil {
		t.Fatal(err)
	}
	srv.click(t, 1)
	select {
	case key := <-clicks:
		if key != "request:r1" {
			t.Fatalf("click on %q", key)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the click did not reach the app")
	}
	select {
	case key := <-clicks:
		t.Fatalf("a second click on %q (the forged one?)", key)
	case <-time.After(200 * time.Millisecond):
	}

	n.Notify("request:r2", notification{Title: "Sign-in request", Body: "another", Expires: expires, Clickable: true})
	n.Withdraw("request:r1")
	n.Withdraw("request:unknown")
	waitUntil(t, "CloseNotification", func() bool { return len(srv.closedIDs()) == 1 })
	if got := srv.closedIDs(); got[0] != 1 {
		t.Fatalf("closed %v, want [1]", got)
	}
	// Quitting withdraws the request still shown (r2, id 3), not the notice (2).
	close(done)
	waitUntil(t, "the withdrawal at the end", func() bool { return len(srv.closedIDs()) == 2 })
	if got := srv.closedIDs(); got[1] != 3 {
		t.Fatalf("closed %v, want [1 3]", got)
	}
	if got := fallback.all(); len(got) != 0 {
		t.Fatalf("the fallback was used: %+v", got)
	}
}

// TestDBusNotifierWithoutServer: with no session bus, or no notification
// server on it, notifications go to the fallback (Fyne's).
func TestDBusNotifierWithoutServer(t *testing.T) {
	t.Run("no bus", func(t *testing.T) {
		fallback := &fakeNotifier{shown: map[string]notification{}}
		done := make(chan struct{})
		defer close(done)
		n := newDBusNotifier(func() (*dbus.Conn, error) { return nil, errors.New("no bus") }, fallback, func(string) {}, done)
		n.Notify("request:r1", notification{Title: "Sign-in request", Body: "b"})
		n.Withdraw("request:r1")
		waitUntil(t, "the fallback", func() bool {
			fallback.mu.Lock()
			defer fallback.mu.Unlock()
			return len(fallback.sent) == 1 && len(fallback.withdrawn) == 1
		})
	})
	t.Run("no server", func(t *testing.T) {
		conn, err := dbus.ConnectSessionBus()
		if err != nil {
			t.Skipf("no session bus: %v", err)
		}
		defer conn.Close()
		var owned bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, notifyName).Store(&owned); err != nil || owned {
			t.Skip("a notification server runs on this session bus")
		}
		fallback := &fakeNotifier{shown: map[string]notification{}}
		done := make(chan struct{})
		defer close(done)
		n := newDBusNotifier(sessionBus, fallback, func(string) {}, done)
		n.Notify("request:r1", notification{Title: "Sign-in request", Body: "b"})
		waitUntil(t, "the fallback", func() bool {
			fallback.mu.Lock()
			defer fallback.mu.Unlock()
			return len(fallback.sent) == 1
		})
	})
}

// TestPushNotificationsOverDBus: end to end, a real server's sign-in
// request is notified on the session bus with its expiry and action;
// the user's click brings the window forward with the dialog; once
// approved, the notification is withdrawn.
func TestPushNotificationsOverDBus(t *testing.T) {
	srv := startFakeNotifyServer(t, "body", "actions")
	f, ps := activatedFixture(t, server.Config{})
	win := f.ui.win.(*spyWindow)
	f.ui.push.notifier = nil // the real one, made at its first use
	st := signIn(t, ps)
	d := requestDialogShown(t, f)
	waitUntil(t, "Notify", func() bool { return len(srv.notified()) == 1 })
	c := srv.notified()[0]
	if c.Summary != "Sign-in request" || !strings.HasPrefix(c.Body, "Countersign: payroll wants to sign in as ada.") ||
		!slices.Equal(c.Actions, []string{"default", "Answer"}) {
		t.Fatalf("Notify %+v", c)
	}
	if left := time.Until(d.req.request.ExpiresAt).Milliseconds(); c.Expire <= 0 || int64(c.Expire) > left+1000 {
		t.Errorf("expire_timeout %d ms, the request has %d ms left", c.Expire, left)
	}
	if win.shows != 0 || win.focuses != 0 {
		t.Fatal("the request's arrival showed or focused the window")
	}
	// The fake server has the call before its reply reaches the app, and
	// the app knows which request id c.ID is only from that reply: a click
	// played before it is one no user could make, and the app ignores it.
	waitUntil(t, "the app to learn the notification's id", func() bool { return notifierKnows(f, c.ID) })
	f.ui.win.Canvas().Unfocus()
	srv.click(t, c.ID)
	f.waitFor(t, func() bool { return win.shows == 1 })
	if win.focuses != 1 || f.ui.win.Canvas().Focused() != fyne.Focusable(d.number) {
		t.Fatalf("after the click: %d focus requests, focus on %T", win.focuses, f.ui.win.Canvas().Focused())
	}
	test.Type(d.number, st.Number)
	test.Tap(d.approve)
	f.waitFor(t, func() bool { return f.ui.status.Text == "Sign-in approved." })
	waitUntil(t, "CloseNotification", func() bool { return slices.Contains(srv.closedIDs(), c.ID) })
	if status, _ := final(t, ps, st.ID); status != push.StatusApproved {
		t.Fatalf("server says %s", status)
	}
}
