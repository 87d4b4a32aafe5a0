package app

import (
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
)

// rawFixture is the app with TOTP accounts and a request handed to it as
// its push client would (no server: these tests are about the dialog, on
// the fixture's pinned clock).
func rawFixture(t *testing.T) (*fixture, *fakeNotifier, push.Request) {
	t.Helper()
	f := newFixture(t, nil, Options{}, githubURI, gitlabURI, rfcURI)
	n := fakeNotifications(f)
	r := push.Request{ID: "r1", User: "ada", Application: "payroll", Kind: push.KindSignIn, Nonce: "n",
		Context:   push.Context{App: "Payroll", IP: "203.0.113.7", Location: "Lyon, FR", UserAgent: firefoxOnWindows},
		CreatedAt: f.now, ExpiresAt: f.now.Add(2 * time.Minute)}
	f.ui.onPushEvent(f.vault.Accounts()[0].ID, device.Event{Kind: device.EventRequest, Request: r})
	return f, n, r
}

// TestRequestCountdown: the dialog says the time left, refreshed by the
// window's once-a-second tick; when it runs out (the server's word has not
// come: offline), the dialog closes with a status line and the
// notification goes.
func TestRequestCountdown(t *testing.T) {
	f, n, r := rawFixture(t)
	d := requestDialogShown(t, f)
	if got := d.countdown.Text; got != "Time left: 2:00" {
		t.Fatalf("countdown %q", got)
	}
	f.now = f.now.Add(47 * time.Second)
	f.ui.tick()
	if got := d.countdown.Text; got != "Time left: 1:13" {
		t.Fatalf("countdown %q after 47 s", got)
	}
	f.now = f.now.Add(72*time.Second + 500*time.Millisecond)
	f.ui.tick()
	if got := d.countdown.Text; got != "Time left: 0:01" {
		t.Fatalf("countdown %q half a second before the end", got)
	}
	f.now = r.ExpiresAt
	f.ui.tick()
	if f.ui.push.dialog != nil || f.ui.win.Canvas().Overlays().Top() != nil {
		t.Fatal("the dialog of an expired request is still open")
	}
	if got := f.ui.status.Text; got != "A sign-in request expired without an answer." {
		t.Fatalf("status %q", got)
	}
	if n.isShown(requestKey(r.ID)) || f.ui.pendingCount() != 0 {
		t.Fatal("the expired request is still waiting or notified")
	}
	// The server's word on it, when it comes, changes nothing.
	f.ui.onPushEvent(f.vault.Accounts()[0].ID, device.Event{Kind: device.EventResolved, RequestID: r.ID, Status: push.StatusExpired})
	if got := f.ui.status.Text; got != "A sign-in request expired without an answer." {
		t.Fatalf("status %q", got)
	}
}

// TestRequestNumberField: the number field has the window's keyboard;
// digits typed anywhere in the window go to it, never to the search (the
// list behind stays whole); it takes digits only, up to 6; Approve is
// enabled from 2 digits (the request does not tell the server's length:
// 2 is its default).
func TestRequestNumberField(t *testing.T) {
	f, _, _ := rawFixture(t)
	c := f.ui.win.Canvas()
	d := requestDialogShown(t, f)
	if c.Focused() != fyne.Focusable(d.number) {
		t.Fatalf("focus on %T, want the number field", c.Focused())
	}
	rows := len(f.rows())
	// The user clicked elsewhere in the dialog: nothing is focused.
	c.Unfocus()
	test.TypeOnCanvas(c, "4a ")
	if d.number.Text != "4" || f.ui.search.Text != "" || c.Focused() != fyne.Focusable(d.number) {
		t.Fatalf("typed on the window: number %q, search %q, focus %T", d.number.Text, f.ui.search.Text, c.Focused())
	}
	if !d.approve.Disabled() {
		t.Fatal("Approve is enabled with one digit")
	}
	test.TypeOnCanvas(c, "7")
	if d.number.Text != "47" || d.approve.Disabled() {
		t.Fatalf("number %q, Approve disabled %v", d.number.Text, d.approve.Disabled())
	}
	// Backspace on the window reaches the field too.
	c.Unfocus()
	pressKey(c, fyne.KeyBackspace)
	if d.number.Text != "4" || !d.approve.Disabled() {
		t.Fatalf("after Backspace: number %q, Approve disabled %v", d.number.Text, d.approve.Disabled())
	}
	// Letters and a seventh digit are refused.
	test.Type(d.number, "x1234567")
	if d.number.Text != "412345" {
		t.Fatalf("number %q, want 412345", d.number.Text)
	}
	d.number.SetText("")
	// A pasted number keeps its digits only.
	f.app.Clipboard().SetContent(" 12-34 ")
	d.number.TypedShortcut(&fyne.ShortcutPaste{Clipboard: f.app.Clipboard()})
	if d.number.Text != "1234" || d.approve.Disabled() {
		t.Fatalf("pasted: number %q, Approve disabled %v", d.number.Text, d.approve.Disabled())
	}
	// Text set otherwise is cut to digits as well.
	d.number.SetText("98 76 54 32")
	if d.number.Text != "987654" {
		t.Fatalf("set: number %q", d.number.Text)
	}
	// Enter with an incomplete number explains in place.
	d.number.SetText("9")
	d.number.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !d.problem.Visible() || d.problem.Text != "Type the number shown on the sign-in screen first. If you see no sign-in screen, deny." {
		t.Fatalf("problem %q", d.problem.Text)
	}
	// A digit typed while a button has the focus (Tab) goes to the field.
	d.number.SetText("")
	c.Focus(d.deny)
	c.Focused().TypedRune('5') // as the driver does: to the focused widget
	if d.number.Text != "5" || c.Focused() != fyne.Focusable(d.number) {
		t.Fatalf("typed on the Deny button: number %q, focus %T", d.number.Text, c.Focused())
	}
	// The list behind was never filtered, and its keys do not reach it.
	c.Unfocus()
	pressKey(c, fyne.KeyDown)
	if f.ui.search.Text != "" || len(f.rows()) != rows || f.ui.current != 0 {
		t.Fatalf("behind the dialog: search %q, %d rows (want %d), selection %d", f.ui.search.Text, len(f.rows()), rows, f.ui.current)
	}
}

// TestRequestRowsLeftOutWhenUnknown: what the request does not say is left
// out, not shown as "unknown"; an unknown browser too.
func TestRequestRowsLeftOutWhenUnknown(t *testing.T) {
	f := newFixture(t, nil, Options{}, githubURI)
	fakeNotifications(f)
	r := push.Request{ID: "r1", User: "ada", Application: "payroll", Kind: push.KindSignIn, Nonce: "n",
		Context:   push.Context{UserAgent: "SomethingElse/1.0"},
		CreatedAt: f.now, ExpiresAt: f.now.Add(time.Minute)}
	f.ui.onPushEvent(f.vault.Accounts()[0].ID, device.Event{Kind: device.EventRequest, Request: r})
	requestDialogShown(t, f)
	got := labelsOf(topOverlay(t, f.ui))
	want := []string{"Is this you signing in to payroll now?",
		"Time left: 1:00",
		"payroll", "Application",
		"GitHub (ada)", "Account",
		f.now.Local().Format("15:04:05, Mon 2 Jan"), "Time",
		"Type the number shown on the sign-in screen, then approve:",
		"Sign-in request"}
	if !slices.Equal(got, want) {
		t.Errorf("the dialog shows\n%q\nwant\n%q", got, want)
	}
}

// TestRequestWithdrawnClosesTheDialog: a request that is no longer waiting
// (the server says so without a status: decided elsewhere or withdrawn)
// closes its dialog with a status line, withdraws its notification, and
// the next request shows.
func TestRequestWithdrawnClosesTheDialog(t *testing.T) {
	f, n, r := rawFixture(t)
	second := r
	second.ID = "r2"
	acc := f.vault.Accounts()[0].ID
	f.ui.onPushEvent(acc, device.Event{Kind: device.EventRequest, Request: second})
	d := requestDialogShown(t, f)
	if d.req.request.ID != "r1" || f.ui.pendingCount() != 2 {
		t.Fatalf("showing %s, %d waiting", d.req.request.ID, f.ui.pendingCount())
	}
	f.ui.onPushEvent(acc, device.Event{Kind: device.EventResolved, RequestID: "r1"})
	if got := f.ui.status.Text; got != "A sign-in request is no longer waiting (answered on another device, or expired)." {
		t.Fatalf("status %q", got)
	}
	if n.isShown(requestKey("r1")) || !n.isShown(requestKey("r2")) {
		t.Fatal("the withdrawn request's notification is up, or the waiting one's is not")
	}
	next := f.ui.push.dialog
	if next == nil || next == d || next.req.request.ID != "r2" {
		t.Fatal("the next request is not shown")
	}
	if f.ui.win.Canvas().Focused() != fyne.Focusable(next.number) {
		t.Fatalf("focus on %T, want the new number field", f.ui.win.Canvas().Focused())
	}
	f.ui.onPushEvent(acc, device.Event{Kind: device.EventResolved, RequestID: "r2", Status: push.StatusDenied})
	if got := f.ui.status.Text; got != "A sign-in request was answered on another device (denied)." {
		t.Fatalf("status %q", got)
	}
	if f.ui.push.dialog != nil || f.ui.win.Canvas().Overlays().Top() != nil || len(n.shown) != 0 {
		t.Fatal("a dialog or a notification is left")
	}
}

func TestTimeLeft(t *testing.T) {
	for _, c := range []struct {
		left time.Duration
		want string
	}{
		{2 * time.Minute, "Time left: 2:00"},
		{119*time.Second + time.Millisecond, "Time left: 2:00"},
		{61 * time.Second, "Time left: 1:01"},
		{9 * time.Second, "Time left: 0:09"},
		{time.Millisecond, "Time left: 0:01"},
		{0, "Time left: 0:00"},
		{-time.Second, "Time left: 0:00"},
		{75 * time.Minute, "Time left: 75:00"},
	} {
		if got := timeLeft(c.left); got != c.want {
			t.Errorf("timeLeft(%v) = %q, want %q", c.left, got, c.want)
		}
	}
}
