package app

import (
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/vault"
)

const lockPass = "tall giraffe 42"

// keyringFixture is newFixture on a vault whose secrets, and the app
// lock's verifier, are in the real OS keyring (scripts/with-keyring.sh).
func keyringFixture(t *testing.T, uris ...string) (*fixture, string) {
	t.Helper()
	service := fmt.Sprintf("countersign-apptest-%d-%d", os.Getpid(), time.Now().UnixNano())
	store := vault.NewKeyringStore(service)
	if err := store.Check(); err != nil {
		t.Fatalf("no OS keyring for this test: %v\nrun it under scripts/with-keyring.sh", err)
	}
	v, err := vault.Open(t.TempDir(), store)
	if err != nil {
		t.Fatal(err)
	}
	for _, uri := range uris {
		k, err := vault.ParseURI(uri)
		if err != nil {
			t.Fatal(err)
		}
		a, err := v.Add(k)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Delete(a.ID) })
	}
	t.Cleanup(func() { store.Delete(vault.AppLockID) })
	f := &fixture{app: test.NewTempApp(t), vault: v, now: time.Unix(59, 0), queue: make(chan func(), 1024)}
	f.ui = New(f.app, v, Options{Now: func() time.Time { return f.now }, HasTray: func() bool { return true }})
	f.ui.do = func(fn func()) { f.queue <- fn }
	f.ui.clip.after = func(d time.Duration, fn func()) *time.Timer {
		f.clears = append(f.clears, func() { fn(); f.runUI() })
		return time.NewTimer(time.Hour)
	}
	f.ui.win.Resize(fyne.NewSize(420, 640))
	t.Cleanup(func() { f.ui.stop() })
	return f, service
}

// renderedTexts are the texts of every label, text and entry on the
// window and its dialogs, as laid out.
func renderedTexts(u *UI) []string {
	var out []string
	roots := append([]fyne.CanvasObject{u.win.Canvas().Content()}, u.win.Canvas().Overlays().List()...)
	for _, root := range roots {
		for _, o := range test.LaidOutObjects(root) {
			switch o := o.(type) {
			case *widget.Label:
				out = append(out, o.Text)
			case *canvas.Text:
				out = append(out, o.Text)
			case *widget.Entry:
				out = append(out, o.Text)
			case *widget.Button:
				out = append(out, o.Text)
			}
		}
	}
	return out
}

// assertNothingShown fails if any rendered text holds a code or an account.
func assertNothingShown(t *testing.T, u *UI, secrets ...string) {
	t.Helper()
	for _, text := range renderedTexts(u) {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Fatalf("while locked, %q is on screen (%q)", s, text)
			}
		}
	}
	for _, o := range test.LaidOutObjects(u.win.Canvas().Content()) {
		if _, ok := o.(*accountRow); ok {
			t.Fatal("while locked, an account row is in the window")
		}
	}
}

func (f *fixture) setPassphraseInSettings(t *testing.T, current, next string) {
	t.Helper()
	f.ui.showSettings()
	s := f.ui.settings
	test.Tap(s.lockButton)
	form := s.lockForm
	if current != "" {
		test.Type(form.current, current)
	}
	test.Type(form.next, next)
	test.Type(form.repeat, next)
	test.Tap(form.save)
	f.waitFor(t, func() bool {
		return !form.dialog.MinSize().IsZero() && f.ui.lock.set && f.ui.settings.lockButton.Text != "Set a passphrase…"
	})
	s.dialog.Hide()
}

func (f *fixture) unlockWith(t *testing.T, pass string) {
	t.Helper()
	s := f.ui.lock.screen
	if f.ui.win.Canvas().Focused() != fyne.Focusable(s.pass) {
		t.Fatalf("focus on %T, want the passphrase field", f.ui.win.Canvas().Focused())
	}
	test.Type(s.pass, pass)
	s.pass.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	f.waitFor(t, func() bool { return !f.ui.lock.checking })
}

func TestAppLockWithTheKeyring(t *testing.T) {
	f, service := keyringFixture(t, rfcURI, githubURI)
	c := f.ui.win.Canvas()
	// Without a passphrase, Ctrl+L says how to get one.
	pressShortcut(c, ctrl(fyne.KeyL))
	if f.ui.isLocked() || !strings.Contains(f.ui.status.Text, "Set a passphrase in Settings") {
		t.Fatalf("Ctrl+L without a passphrase: locked %v, status %q", f.ui.isLocked(), f.ui.status.Text)
	}
	f.setPassphraseInSettings(t, "", lockPass)
	// The keyring holds a verifier, not the passphrase.
	out, err := exec.Command("secret-tool", "lookup", "service", service, "username", vault.AppLockID).Output()
	if err != nil || len(out) == 0 {
		t.Fatalf("secret-tool lookup: %q, %v", out, err)
	}
	if strings.Contains(string(out), lockPass) || strings.Contains(string(out), vault.EncodeSecret([]byte(lockPass))) {
		t.Fatalf("the keyring holds the passphrase: %q", out)
	}
	if l, err := f.vault.LockVerifier(); err != nil || !l.Matches([]byte(lockPass)) {
		t.Fatalf("verifier: %v", err)
	}

	// A copied code is cleared when the window locks.
	test.Tap(f.rows()[0])
	if f.app.Clipboard().Content() != "287082" {
		t.Fatal("copy failed")
	}
	if f.shown()[0] != "RFC|sha1|287 082|next 359 152" {
		t.Fatalf("rows %q", f.shown())
	}
	c.Focus(f.ui.search) // Ctrl+L works from the search field too
	pressShortcut(c, ctrl(fyne.KeyL))
	if !f.ui.isLocked() {
		t.Fatal("Ctrl+L did not lock")
	}
	if got := f.app.Clipboard().Content(); got != "" {
		t.Fatalf("the clipboard still holds %q", got)
	}
	codes := []string{"287 082", "287082", "359 152", "996 554", "RFC", "sha1", "GitHub", "ada"}
	assertNothingShown(t, f.ui, codes...)
	// Copying does nothing while locked: Ctrl+C, Enter, the tray.
	pressShortcut(c, &fyne.ShortcutCopy{})
	f.ui.copyCode(f.vault.Accounts()[0])
	f.ui.tick()
	if got := f.app.Clipboard().Content(); got != "" {
		t.Fatalf("copied %q while locked", got)
	}
	assertNothingShown(t, f.ui, codes...)

	// A wrong passphrase says so under the field, and stays locked.
	f.unlockWith(t, "tall giraffe 43")
	s := f.ui.lock.screen
	if !f.ui.isLocked() || !s.message.Visible() || s.message.Text != "Wrong passphrase." || s.pass.Text != "" {
		t.Fatalf("after a wrong passphrase: locked %v, message %q", f.ui.isLocked(), s.message.Text)
	}
	assertNothingShown(t, f.ui, codes...)
	// After repeated failures the wait grows.
	f.unlockWith(t, "x")
	f.unlockWith(t, "y")
	if s.message.Text != "Wrong passphrase. Too many tries: wait 2 s." || !s.unlock.Disabled() {
		t.Fatalf("third failure: %q, Unlock disabled %v", s.message.Text, s.unlock.Disabled())
	}
	test.Type(s.pass, lockPass)
	s.pass.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	f.runUI()
	if !f.ui.isLocked() {
		t.Fatal("the right passphrase unlocked during the wait")
	}
	f.now = f.now.Add(2 * time.Second)
	f.ui.tick()
	if s.unlock.Disabled() || s.message.Text != "Wrong passphrase." {
		t.Fatalf("after the wait: %q, disabled %v", s.message.Text, s.unlock.Disabled())
	}
	s.pass.SetText("")
	f.unlockWith(t, "z")
	if s.message.Text != "Wrong passphrase. Too many tries: wait 4 s." {
		t.Fatalf("fourth failure: %q", s.message.Text)
	}
	f.now = f.now.Add(4 * time.Second)
	f.ui.tick()
	// The right passphrase unlocks.
	f.unlockWith(t, lockPass)
	if f.ui.isLocked() {
		t.Fatalf("the right passphrase did not unlock: %q", s.message.Text)
	}
	f.now = time.Unix(59, 0)
	if got := f.shown(); len(got) != 2 || got[0] != "RFC|sha1|287 082|next 359 152" {
		t.Fatalf("after unlocking: %q", got)
	}
	test.Tap(f.rows()[0])
	if f.app.Clipboard().Content() != "287082" {
		t.Fatal("copy after unlocking failed")
	}

	// Changing the passphrase needs the current one.
	f.ui.showSettings()
	test.Tap(f.ui.settings.lockButton)
	form := f.ui.settings.lockForm
	test.Type(form.current, "wrong")
	test.Type(form.next, "new pass")
	test.Type(form.repeat, "new pass")
	test.Tap(form.save)
	f.waitFor(t, func() bool { return form.message.Visible() })
	if form.message.Text != "The current passphrase is wrong." {
		t.Fatalf("change with a wrong passphrase: %q", form.message.Text)
	}
	if ok, _ := f.vault.CheckLock([]byte(lockPass)); !ok {
		t.Fatal("a wrong current passphrase changed the lock")
	}
	form.dialog.Hide()
	f.ui.settings.dialog.Hide()
	// The tray offers Lock; while locked it lists no account.
	f.ui.lockNow()
	if menu := f.ui.trayMenu(); len(menu.Items) != 3 || strings.Contains(fmt.Sprint(menuLabels(menu)), "RFC") {
		t.Fatalf("locked tray menu %q", menuLabels(menu))
	}
	f.unlockWith(t, lockPass)
	menu := f.ui.trayMenu()
	var lock *fyne.MenuItem
	for _, it := range menu.Items {
		if it.Label == "Lock" {
			lock = it
		}
	}
	if lock == nil {
		t.Fatalf("tray menu %q has no Lock", menuLabels(menu))
	}
	lock.Action()
	if !f.ui.isLocked() {
		t.Fatal("the tray's Lock did not lock")
	}
}

func menuLabels(m *fyne.Menu) []string {
	var out []string
	for _, it := range m.Items {
		out = append(out, it.Label)
	}
	return out
}

// setLock sets a passphrase directly (the file store of newFixture).
func (f *fixture) setLock(t *testing.T) {
	t.Helper()
	if err := f.vault.SetLock(nil, []byte(lockPass)); err != nil {
		t.Fatal(err)
	}
	f.ui.setLockSet(true)
}

func TestAppLockWhenIdle(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI)
	f.setLock(t)
	f.app.Preferences().SetInt(prefLockIdleMinutes, 1)
	c := f.ui.win.Canvas()
	// 50 s idle, then a key: the minute starts again.
	f.now = f.now.Add(50 * time.Second)
	f.ui.tick()
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDown})
	f.now = f.now.Add(50 * time.Second)
	f.ui.tick()
	if f.ui.isLocked() {
		t.Fatal("locked though a key was pressed 50 s ago")
	}
	// Typing in the focused search field (which the canvas never hears of).
	c.Focus(f.ui.search)
	f.ui.tick()
	f.now = f.now.Add(40 * time.Second)
	test.Type(f.ui.search, "r")
	f.ui.tick()
	f.now = f.now.Add(40 * time.Second)
	f.ui.tick()
	if f.ui.isLocked() {
		t.Fatal("locked though the user typed in the search field 40 s ago")
	}
	// The pointer over the window.
	f.now = f.now.Add(40 * time.Second)
	f.ui.lock.layer.MouseMoved(nil)
	f.now = f.now.Add(40 * time.Second)
	f.ui.tick()
	if f.ui.isLocked() {
		t.Fatal("locked though the pointer moved 40 s ago")
	}
	f.now = f.now.Add(21 * time.Second)
	f.ui.tick()
	if !f.ui.isLocked() {
		t.Fatal("not locked after a minute without input")
	}
	assertNothingShown(t, f.ui, "287 082", "RFC")
	f.unlockWith(t, lockPass)
	if f.ui.isLocked() {
		t.Fatal("did not unlock")
	}
	// Ticks count too (the wall clock may be set back): 60 of them lock.
	for range 59 {
		f.ui.tick()
	}
	if f.ui.isLocked() {
		t.Fatal("locked after 59 ticks")
	}
	f.ui.tick()
	if !f.ui.isLocked() {
		t.Fatal("not locked after 60 idle ticks")
	}
	// Off: never.
	f.unlockWith(t, lockPass)
	f.app.Preferences().SetInt(prefLockIdleMinutes, 0)
	f.now = f.now.Add(time.Hour)
	f.ui.tick()
	if f.ui.isLocked() {
		t.Fatal("locked with the idle lock off")
	}
}

// TestAppLockSettingsOffersIdleTimes: the settings offer the idle times
// and save the choice.
func TestAppLockSettingsOffersIdleTimes(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI)
	f.ui.showSettings()
	s := f.ui.settings
	if got := strings.Join(s.lockIdle.Options, "|"); got != "Never|After 1 minute|After 5 minutes|After 15 minutes" || s.lockIdle.Selected != "Never" {
		t.Fatalf("idle choices %q, selected %q", got, s.lockIdle.Selected)
	}
	s.lockIdle.SetSelected("After 15 minutes")
	if f.app.Preferences().Int(prefLockIdleMinutes) != 15 {
		t.Fatal("idle choice not saved")
	}
	if s.lockButton.Text != "Set a passphrase…" {
		t.Fatalf("button %q", s.lockButton.Text)
	}
}

// TestPushRequestWhileLockedShowsAfterUnlocking: the notification comes
// at once; the dialog only after unlocking.
func TestPushRequestWhileLockedShowsAfterUnlocking(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{})
	f.setLock(t)
	f.ui.lockNow()
	st := signIn(t, ps)
	f.waitFor(t, func() bool { return f.ui.pendingCount() == 1 })
	if !notes(f).isShown(requestKey(st.ID)) {
		t.Fatal("no notification for a request while locked")
	}
	if f.ui.push.dialog != nil || f.ui.win.Canvas().Overlays().Top() != nil {
		t.Fatal("the request dialog shows while locked")
	}
	for range 3 {
		f.ui.tick()
	}
	f.ui.notificationClicked(requestKey(st.ID))
	if f.ui.push.dialog != nil || !f.ui.isLocked() {
		t.Fatal("clicking the notification showed the request while locked")
	}
	// Digits typed with nothing focused do not reach the request.
	f.ui.win.Canvas().Unfocus()
	f.ui.win.Canvas().OnTypedRune()('1')
	f.ui.lock.screen.pass.SetText("")
	f.ui.win.Canvas().Focus(f.ui.lock.screen.pass)
	f.unlockWith(t, lockPass)
	d := requestDialogShown(t, f)
	if d.req.request.ID != st.ID || f.ui.win.Canvas().Focused() != fyne.Focusable(d.number) {
		t.Fatal("after unlocking, the request is not shown with the number focused")
	}
	test.Type(d.number, st.Number)
	test.Tap(d.approve)
	f.waitFor(t, func() bool { return f.ui.status.Text == "Sign-in approved." })
}

// TestLockScreenLooks captures the lock screen, after a wrong passphrase,
// to /tmp/countersign-lock.png for a look.
func TestLockScreenLooks(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI)
	f.setLock(t)
	f.ui.lockNow()
	f.unlockWith(t, "nope")
	img := f.ui.win.Canvas().Capture()
	out, err := os.Create("/tmp/countersign-lock.png")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := png.Encode(out, img); err != nil {
		t.Fatal(err)
	}
}
