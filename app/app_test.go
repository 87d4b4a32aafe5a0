package app

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/vault"
)

// RFC 6238 SHA1 seed (ASCII 12345678901234567890). With 6 digits its codes
// are the last six digits of RFC 6238's 8-digit values, as oathtool agrees:
//
//	oathtool --totp -d 6 -N '1970-01-01 00:00:59 UTC' 3132333435363738393031323334353637383930  -> 287082
//	oathtool --totp -d 6 -N '1970-01-01 00:01:00 UTC' 3132333435363738393031323334353637383930  -> 359152
const (
	rfcURI    = "otpauth://totp/RFC:sha1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	githubURI = "otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP"
	gitlabURI = "otpauth://totp/GitLab:bob?secret=MFRGGZDFMZTWQ2LK"
	hotpURI   = "otpauth://hotp/Bank:card?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0"
)

const testPassphrase = "app test passphrase"

// testVault opens a real vault with the encrypted file store in a temp dir.
func testVault(t testing.TB, dir string, uris ...string) *vault.Vault {
	t.Helper()
	store, err := vault.OpenFileStore(filepath.Join(dir, "secrets.cs"), []byte(testPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(dir, store)
	if err != nil {
		t.Fatal(err)
	}
	for _, uri := range uris {
		k, err := vault.ParseURI(uri)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

type fixture struct {
	ui    *UI
	app   fyne.App
	vault *vault.Vault
	now   time.Time
	// clears are the clipboard clearings scheduled, run by the test.
	clears []func()
	// queue holds the UI changes other goroutines ask for; runUI runs them
	// on the test's goroutine, which plays the UI goroutine.
	queue chan func()
}

// runUI runs the queued UI changes.
func (f *fixture) runUI() {
	for {
		select {
		case fn := <-f.queue:
			fn()
		default:
			return
		}
	}
}

// waitFor runs queued UI changes until cond holds, for at most 10 s.
func (f *fixture) waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.runUI()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newFixture(t *testing.T, a fyne.App, opts Options, uris ...string) *fixture {
	t.Helper()
	if a == nil {
		a = test.NewTempApp(t)
	}
	f := &fixture{app: a, vault: testVault(t, t.TempDir(), uris...), now: time.Unix(59, 0), queue: make(chan func(), 1024)}
	if opts.Now == nil {
		opts.Now = func() time.Time { return f.now }
	}
	if opts.HasTray == nil {
		opts.HasTray = func() bool { return true } // a trayApp's icon is on show
	}
	if opts.WatchTray == nil {
		// A tray is there from the start (TestTrayWaitsForATray waits).
		opts.WatchTray = func(present func()) func() { present(); return func() {} }
	}
	f.ui = New(a, f.vault, opts)
	f.ui.do = func(fn func()) { f.queue <- fn }
	f.ui.clip.after = func(d time.Duration, fn func()) *time.Timer {
		f.clears = append(f.clears, func() { fn(); f.runUI() })
		return time.NewTimer(time.Hour)
	}
	f.ui.win.Resize(fyne.NewSize(420, 640))
	t.Cleanup(func() { f.ui.stop() })
	return f
}

// rows returns the account rows on screen, top to bottom.
func (f *fixture) rows() []*accountRow {
	f.ui.list.Refresh()
	var rows []*accountRow
	for _, o := range test.LaidOutObjects(f.ui.list) {
		if r, ok := o.(*accountRow); ok && r.Visible() && r.index < len(f.ui.shown) && r.account.ID == f.ui.shown[r.index].ID {
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b *accountRow) int { return a.index - b.index })
	return rows
}

// shown describes the rows as "issuer|name|code|next".
func (f *fixture) shown() []string {
	var out []string
	for _, r := range f.rows() {
		out = append(out, r.issuer.Text+"|"+r.name.Text+"|"+r.code.Text+"|"+r.next.Text)
	}
	return out
}

func TestListShowsCodesTimeLeftAndNextCode(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI)
	f.now = time.Unix(45, 0)
	// GitHub's seed is hex 48656c6c6f21deadbeef:
	// oathtool --totp -d 6 -N '1970-01-01 00:00:45 UTC' 48656c6c6f21deadbeef -> 996554
	want := []string{"RFC|sha1|287 082|", "GitHub|ada|996 554|"}
	if got := f.shown(); !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	if r := f.rows()[0]; r.left.label.Text != "15" || r.left.period != 30 {
		t.Errorf("time left %q of %v, want 15 of 30", r.left.label.Text, r.left.period)
	}
	// In the last five seconds the next code shows.
	f.now = time.Unix(59, 0)
	f.ui.tick()
	if got := f.shown()[0]; got != "RFC|sha1|287 082|next 359 152" {
		t.Errorf("at 59 s: %q", got)
	}
	if r := f.rows()[0]; r.left.label.Text != "1" {
		t.Errorf("time left %q, want 1", r.left.label.Text)
	}
	// The period rolls over.
	f.now = time.Unix(60, 0)
	f.ui.tick()
	if got := f.shown()[0]; got != "RFC|sha1|359 152|" {
		t.Errorf("at 60 s: %q", got)
	}
}

func TestEmptyState(t *testing.T) {
	f := newFixture(t, nil, Options{})
	if !f.ui.empty.Visible() || f.ui.list.Visible() {
		t.Fatal("an empty vault must show the empty state, not the list")
	}
	var labels []string
	for _, o := range test.LaidOutObjects(f.ui.empty) {
		if l, ok := o.(*widget.Label); ok {
			labels = append(labels, l.Text)
		}
	}
	if !slices.Contains(labels, "No accounts yet") {
		t.Fatalf("empty state says %q", labels)
	}
	tapButton(t, f.ui.empty, "Add account")
	if f.ui.adding == nil {
		t.Fatal("the Add button did not open the add screen")
	}
}

func TestTapCopiesAndClipboardIsCleared(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI)
	test.Tap(f.rows()[0])
	if got := f.app.Clipboard().Content(); got != "287082" {
		t.Fatalf("clipboard %q, want 287082", got)
	}
	if got := f.ui.status.Text; got != "Copied RFC (sha1) — clears in 30 s" {
		t.Errorf("status %q", got)
	}
	if len(f.clears) != 1 {
		t.Fatalf("%d clearings scheduled, want 1", len(f.clears))
	}
	f.clears[0]()
	if got := f.app.Clipboard().Content(); got != "" {
		t.Fatalf("clipboard %q after the timeout, want empty", got)
	}
	if got := f.ui.status.Text; got != "The copied code was cleared from the clipboard." {
		t.Errorf("status after clearing %q", got)
	}
	// Something the user copied since is left alone.
	test.Tap(f.rows()[0])
	f.app.Clipboard().SetContent("my own text")
	f.clears[1]()
	if got := f.app.Clipboard().Content(); got != "my own text" {
		t.Fatalf("clipboard %q: the user's text was cleared", got)
	}
	if got := f.ui.status.Text; got != "Copied RFC (sha1) — clears in 30 s" {
		t.Errorf("status %q: nothing was cleared", got)
	}
}

func TestClipboardNeverCleared(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI)
	f.app.Preferences().SetInt(prefClipboardSecs, 0)
	test.Tap(f.rows()[0])
	if len(f.clears) != 0 || f.ui.status.Text != "Copied RFC (sha1)" {
		t.Fatalf("clearings %d, status %q", len(f.clears), f.ui.status.Text)
	}
}

func TestSearchAsYouTypeAndKeyboard(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI, gitlabURI)
	// Typing anywhere goes to the search field.
	test.TypeOnCanvas(f.ui.win.Canvas(), "git")
	if f.ui.search.Text != "git" {
		t.Fatalf("search %q", f.ui.search.Text)
	}
	var issuers []string
	for _, r := range f.rows() {
		issuers = append(issuers, r.issuer.Text)
	}
	if strings.Join(issuers, ",") != "GitHub,GitLab" {
		t.Fatalf("rows %q after typing git", issuers)
	}
	// The first match is selected; Down moves; Enter copies.
	if f.ui.current != 0 {
		t.Fatalf("selection %d, want 0", f.ui.current)
	}
	f.ui.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	f.ui.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown}) // stays on the last
	f.ui.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	want, _ := f.vault.Code(f.ui.shown[1].ID, f.now)
	if got := f.app.Clipboard().Content(); got != want.Value || !strings.Contains(f.ui.status.Text, "GitLab (bob)") {
		t.Fatalf("Enter copied %q (%s), want GitLab's %s", got, f.ui.status.Text, want.Value)
	}
	// Ctrl+C in the search field with no text selected copies the selected code.
	f.ui.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	f.app.Clipboard().SetContent("")
	f.ui.search.TypedShortcut(&fyne.ShortcutCopy{Clipboard: f.app.Clipboard()})
	want, _ = f.vault.Code(f.ui.shown[0].ID, f.now)
	if got := f.app.Clipboard().Content(); got != want.Value {
		t.Fatalf("Ctrl+C copied %q, want GitHub's %s", got, want.Value)
	}
	// With nothing focused, the window's Ctrl+C does the same.
	f.ui.win.Canvas().Unfocus()
	f.app.Clipboard().SetContent("")
	f.ui.win.Canvas().(fyne.Shortcutable).TypedShortcut(&fyne.ShortcutCopy{Clipboard: f.app.Clipboard()})
	if got := f.app.Clipboard().Content(); got != want.Value {
		t.Fatalf("window Ctrl+C copied %q, want %s", got, want.Value)
	}
	// Clearing the search shows every account again.
	f.ui.search.SetText("")
	if n := len(f.rows()); n != 3 {
		t.Fatalf("%d rows after clearing the search", n)
	}
}

func TestHOTPNextCode(t *testing.T) {
	f := newFixture(t, nil, Options{}, hotpURI)
	// RFC 4226: counter 0 -> 755224, 1 -> 287082.
	if got := f.shown(); got[0] != "Bank|card|755 224|counter 0" {
		t.Fatalf("row %q", got)
	}
	r := f.rows()[0]
	if !r.hotpNext.Visible() || r.hotpNext.Text != "Next code" || r.left.Visible() {
		t.Fatal("an HOTP row shows the next-code button and no countdown")
	}
	test.Tap(r.hotpNext)
	if got := f.shown(); got[0] != "Bank|card|287 082|counter 1" {
		t.Fatalf("after next: %q", got)
	}
	if got := f.app.Clipboard().Content(); got != "287082" {
		t.Fatalf("clipboard %q", got)
	}
	if a := f.vault.Accounts()[0]; a.Counter != 1 {
		t.Fatalf("counter saved as %d", a.Counter)
	}
}

func TestTickPicksUpAccountsAddedElsewhere(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI)
	f.ui.selectRow(1)
	// The CLI, another process, adds an account to the same vault and
	// moves it first.
	other := testVault(t, f.vault.Dir(), gitlabURI)
	defer other.Close()
	gitlab := other.Accounts()[2]
	if err := other.Move(gitlab.ID, 0); err != nil {
		t.Fatal(err)
	}
	f.ui.tick()
	if n := len(f.rows()); n != 3 {
		t.Fatalf("%d rows after another process added one, want 3", n)
	}
	// The account the user had selected stays selected.
	if f.ui.current != 2 || f.ui.shown[2].Issuer != "GitHub" {
		t.Fatalf("selection moved to %d", f.ui.current)
	}
}

func TestWindowRemembersItsSize(t *testing.T) {
	a := test.NewTempApp(t)
	f := newFixture(t, a, Options{}, rfcURI)
	f.ui.win.Resize(fyne.NewSize(500, 700))
	f.ui.saveSize()
	again := New(a, f.vault, Options{})
	if got := again.win.Canvas().Size(); got.Width != 500 || got.Height != 700 {
		t.Fatalf("new window is %v, want 500x700", got)
	}
}

// tapButton taps the button labelled text inside root.
func tapButton(t *testing.T, root fyne.CanvasObject, text string) {
	t.Helper()
	b := findButton(root, text)
	if b == nil {
		t.Fatalf("no %q button", text)
	}
	test.Tap(b)
}

func findButton(root fyne.CanvasObject, text string) *widget.Button {
	for _, o := range test.LaidOutObjects(root) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	return nil
}

// topOverlay is the dialog on top of the window.
func topOverlay(t *testing.T, u *UI) fyne.CanvasObject {
	t.Helper()
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog is open")
	}
	return top
}

func TestPasteURI(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI)
	f.app.Clipboard().SetContent("  " + githubURI + "\n")
	f.ui.win.Canvas().(fyne.Shortcutable).TypedShortcut(&fyne.ShortcutPaste{Clipboard: f.app.Clipboard()})
	if got := f.ui.status.Text; got != "Added GitHub (ada)." {
		t.Fatalf("status %q", got)
	}
	if n := len(f.rows()); n != 2 {
		t.Fatalf("%d rows after pasting", n)
	}
	f.app.Clipboard().SetContent("")
	f.ui.paste()
	if got := f.ui.status.Text; !strings.HasPrefix(got, "The clipboard holds no text.") {
		t.Fatalf("status %q", got)
	}
}

// BenchmarkTick measures one refresh of the window, what the once-a-second
// ticker costs, with 5 accounts (the reference) and with 500: the list draws
// only the rows on screen, so the two should cost about the same.
func BenchmarkTick(b *testing.B) {
	for _, n := range []int{5, 500} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			a := test.NewTempApp(b)
			v := testVault(b, b.TempDir())
			keys := make([]vault.Key, n)
			for i := range keys {
				keys[i] = vault.Key{Params: vault.Params{Type: vault.TOTP, Issuer: fmt.Sprintf("Issuer %d", i), Name: "user"}, Secret: []byte(fmt.Sprintf("secret-%03d-padding", i))}
			}
			if _, err := v.AddAll(keys); err != nil {
				b.Fatal(err)
			}
			u := New(a, v, Options{})
			u.win.Resize(fyne.NewSize(420, 640))
			u.tick()
			b.ResetTimer()
			for b.Loop() {
				u.tick()
			}
		})
	}
}

// TestClipboardClearedByTheRealTimer runs the clearing on a real timer
// (one second, set in the preferences) through the UI goroutine.
func TestClipboardClearedByTheRealTimer(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI)
	f.ui.clip.after = time.AfterFunc
	f.app.Preferences().SetInt(prefClipboardSecs, 1)
	start := time.Now()
	test.Tap(f.rows()[0])
	if got := f.app.Clipboard().Content(); got != "287082" {
		t.Fatalf("clipboard %q", got)
	}
	f.waitFor(t, func() bool { return f.app.Clipboard().Content() == "" })
	if d := time.Since(start); d < time.Second {
		t.Fatalf("cleared after %v, before the second was up", d)
	}
}
