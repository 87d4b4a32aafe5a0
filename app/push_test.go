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
	return f, ps
}

func signIn(t *testing.T, ps *pushServer) push.AuthRequestState {
	t.Helper()
	st, err := ps.CreateRequest("payroll", push.AuthRequestBody{User: "ada", Context: push.Context{
		App: "Payroll", IP: "203.0.113.7", Location: "Lyon, FR", UserAgent: "Firefox 140",
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
	a := &notifyingApp{App: test.NewTempApp(t)}
	f, ps := activatedFixtureWithApp(t, server.Config{}, a)
	// The push account also gives TOTP codes, and shows its connection.
	if got := f.shown()[0]; !strings.HasPrefix(got, "Countersign|ada|") {
		t.Fatalf("row %q", got)
	}
	st := signIn(t, ps)
	d := requestDialogShown(t, f)
	// The application is the relying party's registered name; what the
	// caller wrote as its app is only a detail.
	got := labelsOf(topOverlay(t, f.ui))
	want := []string{"Is this you signing in to payroll now?",
		"payroll", "Application",
		"Payroll", "Detail",
		"Countersign (ada)", "Account",
		"203.0.113.7", "IP address",
		"Lyon, FR", "Location",
		d.req.request.CreatedAt.Local().Format("15:04:05, Mon 2 Jan"), "Time",
		"Firefox 140", "Browser",
		"Type the number shown on the sign-in screen, then approve:",
		"Sign-in request"}
	if !slices.Equal(got, want) {
		t.Errorf("the dialog shows\n%q\nwant\n%q", got, want)
	}
	wantNote := []fyne.Notification{{Title: "Sign-in request",
		Content: "Countersign: payroll wants to sign in as ada. Open Countersign to answer.\nDetail: Payroll"}}
	if got := requestNotifications(a); !slices.Equal(got, wantNote) {
		t.Errorf("notifications %q, want %q", got, wantNote)
	}
	// Approving without the number is explained in place.
	test.Tap(d.approve)
	if !strings.HasPrefix(d.problem.Text, "Type the number shown on the sign-in screen first.") {
		t.Fatalf("problem %q", d.problem.Text)
	}
	test.Type(d.number, st.Number)
	test.Tap(d.approve)
	f.waitFor(t, func() bool { return f.ui.status.Text == "Sign-in approved." })
	if status, _ := final(t, ps, st.ID); status != push.StatusApproved {
		t.Fatalf("server says %s", status)
	}
	if f.ui.push.dialog != nil || f.ui.pendingCount() != 0 {
		t.Fatal("the answered request is still shown")
	}
}

func TestPushWrongNumberAndDeny(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{NumberDigits: 4, MaxPending: 2})
	st := signIn(t, ps)
	d := requestDialogShown(t, f)
	wrong := "0000"
	if st.Number == wrong {
		wrong = "0001"
	}
	test.Type(d.number, wrong)
	test.Tap(d.approve)
	f.waitFor(t, func() bool { return f.ui.status.Text == "Sign-in denied." })
	if status, reason := final(t, ps, st.ID); status != push.StatusDenied || reason != "wrong_number" {
		t.Fatalf("server says %s (%s)", status, reason)
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
	f, ps := activatedFixture(t, server.Config{RequestTTL: time.Second})
	signIn(t, ps)
	requestDialogShown(t, f)
	f.waitFor(t, func() bool { return f.ui.push.dialog == nil })
	if got := f.ui.status.Text; got != "A sign-in request expired without an answer." {
		t.Fatalf("status %q", got)
	}
}

func TestActivationRefusedIsExplained(t *testing.T) {
	ps := startPushServer(t, server.Config{})
	enr, _ := ps.Enroll("ada")
	// The code is spent by another device first.
	v := testVault(t, t.TempDir())
	if _, err := ActivateAccount(context.Background(), v, enr.ActivationURI, "other"); err != nil {
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

// notifyingApp is a test app that keeps the notifications it is asked to send.
type notifyingApp struct {
	fyne.App
	mu   sync.Mutex
	sent []fyne.Notification
}

func (a *notifyingApp) SendNotification(n *fyne.Notification) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent = append(a.sent, *n)
}

func (a *notifyingApp) notifications() []fyne.Notification {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.sent)
}

// requestNotifications are the notifications of requests (not notices).
func requestNotifications(a *notifyingApp) []fyne.Notification {
	return slices.DeleteFunc(a.notifications(), func(n fyne.Notification) bool { return n.Title == noticeTitle })
}

// TestPushRequestTextIsCleaned: a request's application, context and
// account come from outside; the dialog and the notification show them
// without control, bidi and invisible characters, which could disguise
// what the user approves. The server cleans the context too, so the app's
// own cleaning is proven with a raw request handed to it directly; end to
// end, the text arrives cleaned.
func TestPushRequestTextIsCleaned(t *testing.T) {
	t.Run("raw request", func(t *testing.T) {
		a := &notifyingApp{App: test.NewTempApp(t)}
		f := newFixture(t, a, Options{}, "otpauth://totp/Pay%1Broll:ada%E2%80%AE?secret=JBSWY3DPEHPK3PXP")
		acc := f.vault.Accounts()[0]
		created := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
		raw := push.Request{ID: "r1", User: "ada", Application: "payroll\x1b[31m\u202E", Kind: push.KindSignIn, Nonce: "n",
			Context:   push.Context{App: "Payroll\x1b]0;pwned\x07", IP: "203.0.113.7\u200B", Location: "evil\u202Egpj", UserAgent: "Firefox\x1b[2J\r\n140"},
			CreatedAt: created, ExpiresAt: time.Now().Add(time.Hour)}
		f.ui.onPushEvent(acc.ID, device.Event{Kind: device.EventRequest, Request: raw})
		d := requestDialogShown(t, f)
		if d.req.request != raw {
			t.Fatalf("the dialog's request %+v, want %+v", d.req.request, raw)
		}
		got := labelsOf(topOverlay(t, f.ui))
		want := []string{"Is this you signing in to payroll[31m now?",
			"payroll[31m", "Application",
			"Payroll]0;pwned", "Detail",
			"Payroll (ada)", "Account",
			"203.0.113.7", "IP address",
			"evilgpj", "Location",
			created.Local().Format("15:04:05, Mon 2 Jan"), "Time",
			"Firefox[2J  140", "Browser",
			"Type the number shown on the sign-in screen, then approve:",
			"Sign-in request"}
		if !slices.Equal(got, want) {
			t.Errorf("the dialog shows\n%q\nwant\n%q", got, want)
		}
		wantNote := []fyne.Notification{{Title: "Sign-in request",
			Content: "Payroll: payroll[31m wants to sign in as ada. Open Countersign to answer.\nDetail: Payroll]0;pwned"}}
		if got := a.notifications(); !slices.Equal(got, wantNote) {
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
		if got := a.notifications(); got[len(got)-1] != (fyne.Notification{Title: "Countersign: your account changed", Content: wantText}) {
			t.Errorf("notifications %q", got)
		}
	})
	t.Run("end to end", func(t *testing.T) {
		a := &notifyingApp{App: test.NewTempApp(t)}
		f, ps := activatedFixtureWithApp(t, server.Config{}, a)
		raw := push.Context{App: "Payroll\x1b]0;pwned\x07", IP: "203.0.113.7\u200B", Location: "evil\u202Egpj", UserAgent: "Firefox\x1b[2J\r\n140"}
		if _, err := ps.CreateRequest("payroll", push.AuthRequestBody{User: "ada", Context: raw}); err != nil {
			t.Fatal(err)
		}
		d := requestDialogShown(t, f)
		clean := push.Context{App: "Payroll]0;pwned", IP: "203.0.113.7", Location: "evilgpj", UserAgent: "Firefox[2J  140"}
		if got := d.req.request.Context; got != clean {
			t.Fatalf("the app received the context %+v, want %+v", got, clean)
		}
		got := labelsOf(topOverlay(t, f.ui))
		want := []string{"Is this you signing in to payroll now?",
			"payroll", "Application",
			"Payroll]0;pwned", "Detail",
			"Countersign (ada)", "Account",
			"203.0.113.7", "IP address",
			"evilgpj", "Location",
			d.req.request.CreatedAt.Local().Format("15:04:05, Mon 2 Jan"), "Time",
			"Firefox[2J  140", "Browser",
			"Type the number shown on the sign-in screen, then approve:",
			"Sign-in request"}
		if !slices.Equal(got, want) {
			t.Errorf("the dialog shows\n%q\nwant\n%q", got, want)
		}
		wantNote := []fyne.Notification{{Title: "Sign-in request",
			Content: "Countersign: payroll wants to sign in as ada. Open Countersign to answer.\nDetail: Payroll]0;pwned"}}
		if got := requestNotifications(a); !slices.Equal(got, wantNote) {
			t.Errorf("notifications %q, want %q", got, wantNote)
		}
	})
}
