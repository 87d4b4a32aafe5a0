package app

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/countersign/countersign/internal/authenticator"
	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// pushServer is a real Countersign server on a loopback port with a real
// SQLite file; the app under test activates against it and answers its
// sign-in requests over a real websocket.
type pushServer = servertest.Server

func startPushServer(t *testing.T, cfg server.Config) *pushServer {
	t.Helper()
	ps := servertest.Start(t, cfg)
	if err := ps.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	return ps
}

// activatedFixture is the app with a push account activated by scanning
// the server's activation QR code.
func activatedFixture(t *testing.T, cfg server.Config) (*fixture, *pushServer) {
	t.Helper()
	return activatedFixtureWithApp(t, cfg, nil)
}

// activatedFixtureWithApp is activatedFixture on the Fyne app a (nil: a
// new test app).
func activatedFixtureWithApp(t *testing.T, cfg server.Config, a fyne.App) (*fixture, *pushServer) {
	t.Helper()
	ps := startPushServer(t, cfg)
	enr, err := ps.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, a, Options{ScanScreen: func() ([]string, error) { return []string{enr.ActivationURI}, nil }, Now: time.Now})
	fakeNotifications(f)
	f.ui.showAdd()
	f.ui.adding.scanScreen()
	f.waitFor(t, func() bool { return strings.HasPrefix(f.ui.status.Text, "Activated ") })
	if got := f.ui.status.Text; got != "Activated Countersign (ada): sign-in requests will appear here." {
		t.Fatalf("status %q", got)
	}
	accounts := f.vault.Accounts()
	if len(accounts) != 1 || accounts[0].Push == nil {
		t.Fatalf("accounts %+v", accounts)
	}
	f.waitFor(t, func() bool { return f.ui.push.states[accounts[0].ID] == "connected" })
	spyOn(f)
	return f, ps
}

// firefoxOnWindows is the User-Agent of Firefox 140 on Windows.
const firefoxOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"

func signIn(t *testing.T, ps *pushServer) push.AuthRequestState {
	t.Helper()
	st, err := ps.CreateRequest("payroll", push.AuthRequestBody{User: "ada", Context: push.Context{
		App: "Payroll", IP: "203.0.113.7", Location: "Lyon, FR", UserAgent: firefoxOnWindows,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func final(t *testing.T, ps *pushServer, id string) (push.Status, string) {
	t.Helper()
	r, err := ps.Store().AuthRequest(id)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status, r.Reason
}

// requestDialogShown waits for the sign-in dialog and returns it.
func requestDialogShown(t *testing.T, f *fixture) *requestDialog {
	t.Helper()
	f.waitFor(t, func() bool { return f.ui.push.dialog != nil })
	return f.ui.push.dialog
}

func TestPushApproveFromTheApp(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{})
	win := f.ui.win.(*spyWindow)
	// The push account also gives TOTP codes, and shows its connection.
	if got := f.shown()[0]; !strings.HasPrefix(got, "Countersign|ada|") {
		t.Fatalf("row %q", got)
	}
	st := signIn(t, ps)
	d := requestDialogShown(t, f)
	// The application is the relying party's registered name; what the
	// caller wrote as its app is only a detail. The browser is named, not
	// its raw User-Agent.
	got := labelsOf(topOverlay(t, f.ui))
	want := []string{"Is this you signing in to payroll now?",
		d.countdown.Text,
		"payroll", "Application",
		"Payroll", "Detail",
		"Countersign (ada)", "Account",
		"203.0.113.7", "IP address",
		"Lyon, FR", "Location",
		d.req.request.CreatedAt.Local().Format("15:04:05, Mon 2 Jan"), "Time",
		"Firefox on Windows", "Browser",
		"Type the number shown on the sign-in screen, then approve:",
		"Sign-in request"}
	if !slices.Equal(got, want) {
		t.Errorf("the dialog shows\n%q\nwant\n%q", got, want)
	}
	if c := d.countdown.Text; c != "Time left: 2:00" && c != "Time left: 1:59" {
		t.Errorf("countdown %q, want about two minutes (the server's default)", c)
	}
	wantNote := []fyne.Notification{{Title: "Sign-in request",
		Content: "Countersign: payroll wants to sign in as ada. Open Countersign to answer.\nDetail: Payroll"}}
	if got := notes(f).requests(); !slices.Equal(got, wantNote) {
		t.Errorf("notifications %q, want %q", got, wantNote)
	}
	if n := notes(f).shown[requestKey(st.ID)]; !n.Clickable || !n.Expires.Equal(d.req.request.ExpiresAt) {
		t.Errorf("the notification is not clickable or does not expire with the request: %+v", n)
	}
	// The request waits in the window: the window is neither shown nor
	// raised, which would take the keyboard from the browser; the number
	// field has the window's keyboard.
	if win.shows != 0 || win.focuses != 0 {
		t.Errorf("the request showed the window %d times and focused it %d times", win.shows, win.focuses)
	}
	if f.ui.win.Canvas().Focused() != fyne.Focusable(d.number) {
		t.Errorf("focus on %T, want the number field", f.ui.win.Canvas().Focused())
	}
	// Approve waits for the whole number.
	if !d.approve.Disabled() {
		t.Fatal("Approve is enabled before any digit")
	}
	test.Tap(d.approve)
	if f.ui.status.Text == "Answer sent; waiting for the server…" {
		t.Fatal("a disabled Approve answered")
	}
	test.Type(d.number, st.Number[:1])
	if !d.approve.Disabled() {
		t.Fatalf("Approve is enabled with one digit, %q", d.number.Text)
	}
	test.Type(d.number, st.Number[1:])
	if d.approve.Disabled() || d.number.Text != st.Number {
		t.Fatalf("number %q, Approve disabled %v", d.number.Text, d.approve.Disabled())
	}
	test.Tap(d.approve)
	f.waitFor(t, func() bool { return f.ui.status.Text == "Sign-in approved." })
	if status, _ := final(t, ps, st.ID); status != push.StatusApproved {
		t.Fatalf("server says %s", status)
	}
	if f.ui.push.dialog != nil || f.ui.pendingCount() != 0 || f.ui.win.Canvas().Overlays().Top() != nil {
		t.Fatal("the answered request is still shown")
	}
	if notes(f).isShown(requestKey(st.ID)) {
		t.Fatal("the answered request's notification is still up")
	}
}

// TestPushWrongNumberDeniesAndSaysSo: a wrong number denies the request at
// once, as the server does; the dialog stays to say plainly that the
// numbers did not match and to sign in again, until the user closes it.
func TestPushWrongNumberDeniesAndSaysSo(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{NumberDigits: 4, MaxPending: 2})
	st := signIn(t, ps)
	d := requestDialogShown(t, f)
	wrong := "0000"
	if st.Number == wrong {
		wrong = "0001"
	}
	test.Type(d.number, wrong)
	test.Tap(d.approve)
	// Until the server answers, nothing can be answered twice.
	if d.phase != phaseChecking || d.state.Text != "Checking the number…" {
		t.Fatalf("after Approve: phase %d, state %q", d.phase, d.state.Text)
	}
	if !d.deny.Disabled() || !d.fraud.Disabled() || !d.approve.Disabled() {
		t.Error("the buttons stay enabled while the number is checked")
	}
	mismatch := "Sign-in denied: the numbers did not match. Sign in again to get a new number."
	f.waitFor(t, func() bool { return f.ui.status.Text == mismatch })
	if status, reason := final(t, ps, st.ID); status != push.StatusDenied || reason != "wrong_number" {
		t.Fatalf("server says %s (%s)", status, reason)
	}
	if f.ui.push.dialog != d {
		t.Fatal("the dialog closed without saying why")
	}
	got := labelsOf(topOverlay(t, f.ui))
	if !slices.Contains(got, "The numbers did not match, so this sign-in was denied. If it was you, sign in again: you will get a new request with a new number.") {
		t.Errorf("the dialog says %q", got)
	}
	if slices.Contains(got, d.prompt.Text) || d.number.Visible() || d.countdown.Visible() {
		t.Errorf("the dialog still asks for the number: %q", got)
	}
	for _, o := range test.LaidOutObjects(topOverlay(t, f.ui)) {
		if b, ok := o.(*digitButton); ok && b.Visible() {
			t.Errorf("the verdict still offers %q", b.Text)
		}
	}
	if notes(f).isShown(requestKey(st.ID)) {
		t.Error("the denied request's notification is still up")
	}
	tapButton(t, topOverlay(t, f.ui), "Close")
	if f.ui.push.dialog != nil || f.ui.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Close left the dialog open")
	}
	st2 := signIn(t, ps)
	d = requestDialogShown(t, f)
	test.Tap(d.deny)
	f.waitFor(t, func() bool { return f.ui.status.Text == "Sign-in denied." && f.ui.push.dialog == nil })
	if status, reason := final(t, ps, st2.ID); status != push.StatusDenied || reason != "not_me" {
		t.Fatalf("server says %s (%s)", status, reason)
	}
}

func TestPushReportFraudBlocksTheUser(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{})
	st := signIn(t, ps)
	d := requestDialogShown(t, f)
	test.Tap(d.fraud)
	confirm := topOverlay(t, f.ui)
	if got := strings.Join(labelsOf(confirm), " "); !strings.Contains(got, "is blocked: no sign-in works until an administrator unblocks it") {
		t.Fatalf("the confirmation says %q", got)
	}
	// Digits typed while the confirmation is open go nowhere.
	f.ui.win.Canvas().Unfocus()
	test.TypeOnCanvas(f.ui.win.Canvas(), "12")
	if d.number.Text != "" || f.ui.search.Text != "" {
		t.Fatalf("typing over the confirmation: number %q, search %q", d.number.Text, f.ui.search.Text)
	}
	tapButton(t, confirm, "Report fraud")
	f.waitFor(t, func() bool { return strings.HasPrefix(f.ui.status.Text, "Reported as fraud") })
	if status, _ := final(t, ps, st.ID); status != push.StatusFraud {
		t.Fatalf("server says %s", status)
	}
	if u, _ := ps.Store().User("ada"); !u.Blocked {
		t.Fatal("the user is not blocked after a fraud report")
	}
}

func TestPushRequestExpiresAndDisappears(t *testing.T) {
	// Three seconds: the request must reach the app before it expires, on a
	// loaded machine too.
	f, ps := activatedFixture(t, server.Config{RequestTTL: 3 * time.Second})
	st := signIn(t, ps)
	requestDialogShown(t, f)
	f.waitFor(t, func() bool { return f.ui.push.dialog == nil })
	if got := f.ui.status.Text; got != "A sign-in request expired without an answer." {
		t.Fatalf("status %q", got)
	}
	if f.ui.win.Canvas().Overlays().Top() != nil {
		t.Fatal("the dialog of the expired request is still open")
	}
	if notes(f).isShown(requestKey(st.ID)) {
		t.Fatal("the expired request's notification is still up")
	}
}

// TestPushAnsweredOnAnotherDevice: the user answers on their other device;
// the dialog here closes by itself, with a status line, and the
// notification goes.
func TestPushAnsweredOnAnotherDevice(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{})
	laptop := pushtest.Run(t, pushtest.AdminDevice(t, ps, "ada", "laptop"))
	laptop.Next(t, "connection of the laptop", pushtest.Connected)
	st := signIn(t, ps)
	d := requestDialogShown(t, f)
	test.Type(d.number, "9") // the user had begun here
	req := laptop.Next(t, "the request on the laptop", pushtest.RequestOfKind(push.KindSignIn)).Request
	ctx, cancel := context.WithTimeout(context.Background(), pushtest.Wait)
	defer cancel()
	if err := laptop.Answer(ctx, req, push.Approve, push.ReasonNone, st.Number); err != nil {
		t.Fatal(err)
	}
	f.waitFor(t, func() bool { return f.ui.push.dialog == nil })
	if got := f.ui.status.Text; got != "A sign-in request was answered on another device (approved)." {
		t.Fatalf("status %q", got)
	}
	if f.ui.win.Canvas().Overlays().Top() != nil || notes(f).isShown(requestKey(st.ID)) {
		t.Fatal("the dialog or the notification of the request answered elsewhere is still up")
	}
}

// TestPushNotificationClickOpensTheRequest: a click on the notification is
// the user asking for the window: it comes forward, with the dialog and
// the number field focused.
func TestPushNotificationClickOpensTheRequest(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{})
	win := f.ui.win.(*spyWindow)
	st := signIn(t, ps)
	d := requestDialogShown(t, f)
	f.ui.win.Canvas().Unfocus()
	f.ui.notificationClicked(requestKey(st.ID))
	if win.shows != 1 || win.focuses != 1 {
		t.Fatalf("after the click: %d shows, %d focus requests; want 1 and 1", win.shows, win.focuses)
	}
	if f.ui.push.dialog != d || f.ui.win.Canvas().Focused() != fyne.Focusable(d.number) {
		t.Fatalf("after the click: dialog %v, focus %T", f.ui.push.dialog == d, f.ui.win.Canvas().Focused())
	}
	test.Type(d.number, st.Number)
	test.Tap(d.approve)
	f.waitFor(t, func() bool { return f.ui.status.Text == "Sign-in approved." })
}

func TestActivationRefusedIsExplained(t *testing.T) {
	ps := startPushServer(t, server.Config{})
	enr, _ := ps.Enroll("ada")
	// The code is spent by another device first.
	v := testVault(t, t.TempDir())
	if _, err := authenticator.ActivateAccount(context.Background(), v, enr.ActivationURI, "other"); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, nil, Options{})
	f.ui.addTexts([]string{enr.ActivationURI})
	f.waitFor(t, func() bool { return strings.HasPrefix(f.ui.status.Text, "Activation failed") })
	if got := f.ui.status.Text; got != "Activation failed: activation refused: activation_used: this activation code was already used; ask for a new one" {
		t.Fatalf("status %q", got)
	}
}

// TestPushServerRestartsMidRequest restarts the server while the dialog is
// open: the app reconnects by itself (the account shows it), the request is
// still there, and the approval counts once.
func TestPushServerRestartsMidRequest(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{})
	id := f.vault.Accounts()[0].ID
	st := signIn(t, ps)
	d := requestDialogShown(t, f)
	ps.Restart()
	f.waitFor(t, func() bool { return f.ui.push.states[id] != "connected" })
	if got := f.ui.connectionLabel(id); got != "push: offline (codes still work)" && got != "push: connecting…" {
		t.Fatalf("while the server is down the row says %q", got)
	}
	f.waitFor(t, func() bool { return f.ui.push.states[id] == "connected" })
	if f.ui.push.dialog != d || f.ui.pendingCount() != 1 {
		t.Fatalf("after reconnecting: dialog %v, %d pending", f.ui.push.dialog == d, f.ui.pendingCount())
	}
	test.Type(d.number, st.Number)
	test.Tap(d.approve)
	f.waitFor(t, func() bool { return f.ui.status.Text == "Sign-in approved." })
	if status, _ := final(t, ps, st.ID); status != push.StatusApproved {
		t.Fatalf("server says %s", status)
	}
	events, _ := ps.Store().AuditEvents("ada")
	activated := 0
	for _, e := range events {
		if e.Kind == "device_activated" {
			activated++
		}
	}
	if activated != 1 {
		t.Fatalf("audit %+v, want one device_activated", events)
	}
}

// fakeNotifier stands for the desktop's notification server: there is
// none under test (the D-Bus path has its own test with a fake server, in
// pushnotify_dbus_test.go). It keeps what the app asks of it.
type fakeNotifier struct {
	mu        sync.Mutex
	sent      []fakeNote
	withdrawn []string
	shown     map[string]notification
}

type fakeNote struct {
	key string
	n   notification
}

func (n *fakeNotifier) Notify(key string, note notification) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, fakeNote{key, note})
	n.shown[key] = note
}

func (n *fakeNotifier) Withdraw(key string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.shown[key]; ok {
		n.withdrawn = append(n.withdrawn, key)
	}
	delete(n.shown, key)
}

// fakeNotifications gives the app of f a fake notifier.
func fakeNotifications(f *fixture) *fakeNotifier {
	n := &fakeNotifier{shown: map[string]notification{}}
	f.ui.push.notifier = n
	return n
}

// notes returns the fake notifier of f.
func notes(f *fixture) *fakeNotifier { return f.ui.push.notifier.(*fakeNotifier) }

// requests are the notifications of requests sent (not notices).
func (n *fakeNotifier) requests() []fyne.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []fyne.Notification
	for _, s := range n.sent {
		if strings.HasPrefix(s.key, requestKeyPrefix) {
			out = append(out, fyne.Notification{Title: s.n.Title, Content: s.n.Body})
		}
	}
	return out
}

// all are the notifications sent, requests and notices.
func (n *fakeNotifier) all() []fyne.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []fyne.Notification
	for _, s := range n.sent {
		out = append(out, fyne.Notification{Title: s.n.Title, Content: s.n.Body})
	}
	return out
}

// isShown tells whether the notification of key is still up.
func (n *fakeNotifier) isShown(key string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.shown[key]
	return ok
}

// spyWindow counts what the app does to the window.
type spyWindow struct {
	fyne.Window
	shows, focuses int
}

func (w *spyWindow) Show()         { w.shows++; w.Window.Show() }
func (w *spyWindow) RequestFocus() { w.focuses++; w.Window.RequestFocus() }

// spyOn wraps the window of f in a spyWindow.
func spyOn(f *fixture) *spyWindow {
	w := &spyWindow{Window: f.ui.win}
	f.ui.win = w
	return w
}

// withoutCountdown drops the countdown's label, which follows the clock,
// from labels.
func withoutCountdown(labels []string, d *requestDialog) []string {
	return slices.DeleteFunc(slices.Clone(labels), func(s string) bool { return s == d.countdown.Text })
}

// TestPushRequestTextIsCleaned: a request's application, context and
// account come from outside; the dialog and the notification show them
// without control, bidi and invisible characters, which could disguise
// what the user approves. The server cleans the context too, so the app's
// own cleaning is proven with a raw request handed to it directly; end to
// end, the text arrives cleaned.
func TestPushRequestTextIsCleaned(t *testing.T) {
	t.Run("raw request", func(t *testing.T) {
		f := newFixture(t, nil, Options{}, "otpauth://totp/Pay%1Broll:ada%E2%80%AE?secret=JBSWY3DPEHPK3PXP")
		n := fakeNotifications(f)
		acc := f.vault.Accounts()[0]
		created := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
		raw := push.Request{ID: "r1", User: "ada", Application: "payroll\x1b[31m\u202E", Kind: push.KindSignIn, Nonce: "n",
			Context:   push.Context{App: "Payroll\x1b]0;pwned\x07", IP: "203.0.113.7\u200B", Location: "evil\u202Egpj", UserAgent: "Firefox\x1b[2J\r\n140"},
			CreatedAt: created, ExpiresAt: f.now.Add(2 * time.Minute)}
		f.ui.onPushEvent(acc.ID, device.Event{Kind: device.EventRequest, Request: raw})
		d := requestDialogShown(t, f)
		if d.req.request != raw {
			t.Fatalf("the dialog's request %+v, want %+v", d.req.request, raw)
		}
		got := labelsOf(topOverlay(t, f.ui))
		want := []string{"Is this you signing in to payroll[31m now?",
			"Time left: 2:00",
			"payroll[31m", "Application",
			"Payroll]0;pwned", "Detail",
			"Payroll (ada)", "Account",
			"203.0.113.7", "IP address",
			"evilgpj", "Location",
			created.Local().Format("15:04:05, Mon 2 Jan"), "Time",
			"Firefox", "Browser",
			"Type the number shown on the sign-in screen, then approve:",
			"Sign-in request"}
		if !slices.Equal(got, want) {
			t.Errorf("the dialog shows\n%q\nwant\n%q", got, want)
		}
		wantNote := []fyne.Notification{{Title: "Sign-in request",
			Content: "Payroll: payroll[31m wants to sign in as ada. Open Countersign to answer.\nDetail: Payroll]0;pwned"}}
		if got := n.all(); !slices.Equal(got, wantNote) {
			t.Errorf("notifications %q, want %q", got, wantNote)
		}
		// A device's name in the server's own requests, and a notice.
		f.ui.removeRequest("r1")
		add := raw
		add.ID, add.Application, add.Kind, add.Context = "r2", "Countersign", push.KindAddDevice, push.Context{App: "New device: Pix\u202Eel\x1b[8m"}
		f.ui.onPushEvent(acc.ID, device.Event{Kind: device.EventRequest, Request: add})
		requestDialogShown(t, f)
		if got := labelsOf(topOverlay(t, f.ui))[0]; got != "A new device, Pixel[8m, asks to join your account. Approve only if you are adding it now, and type the number it shows." {
			t.Errorf("the add_device dialog says %q", got)
		}
		f.ui.onPushEvent(acc.ID, device.Event{Kind: device.EventNotice, Notice: push.Notice{ID: 1, User: "ada", Kind: "device_added", Text: "A new device, \"Pix\u202Eel\x1b[8m\", was added\r\nto your account."}})
		wantText := `A new device, "Pixel[8m", was added  to your account.`
		if got := f.ui.status.Text; got != wantText {
			t.Errorf("status %q, want %q", got, wantText)
		}
		if got := n.all(); got[len(got)-1] != (fyne.Notification{Title: "Countersign: your account changed", Content: wantText}) {
			t.Errorf("notifications %q", got)
		}
	})
	t.Run("end to end", func(t *testing.T) {
		f, ps := activatedFixture(t, server.Config{})
		raw := push.Context{App: "Payroll\x1b]0;pwned\x07", IP: "203.0.113.7\u200B", Location: "evil\u202Egpj", UserAgent: "Firefox\x1b[2J\r\n140"}
		if _, err := ps.CreateRequest("payroll", push.AuthRequestBody{User: "ada", Context: raw}); err != nil {
			t.Fatal(err)
		}
		d := requestDialogShown(t, f)
		clean := push.Context{App: "Payroll]0;pwned", IP: "203.0.113.7", Location: "evilgpj", UserAgent: "Firefox[2J  140"}
		if got := d.req.request.Context; got != clean {
			t.Fatalf("the app received the context %+v, want %+v", got, clean)
		}
		got := withoutCountdown(labelsOf(topOverlay(t, f.ui)), d)
		want := []string{"Is this you signing in to payroll now?",
			"payroll", "Application",
			"Payroll]0;pwned", "Detail",
			"Countersign (ada)", "Account",
			"203.0.113.7", "IP address",
			"evilgpj", "Location",
			d.req.request.CreatedAt.Local().Format("15:04:05, Mon 2 Jan"), "Time",
			"Firefox", "Browser",
			"Type the number shown on the sign-in screen, then approve:",
			"Sign-in request"}
		if !slices.Equal(got, want) {
			t.Errorf("the dialog shows\n%q\nwant\n%q", got, want)
		}
		wantNote := []fyne.Notification{{Title: "Sign-in request",
			Content: "Countersign: payroll wants to sign in as ada. Open Countersign to answer.\nDetail: Payroll]0;pwned"}}
		if got := notes(f).requests(); !slices.Equal(got, wantNote) {
			t.Errorf("notifications %q, want %q", got, wantNote)
		}
	})
}
