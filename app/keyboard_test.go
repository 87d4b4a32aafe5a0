package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// pressKey delivers a key as the desktop driver does: to the focused
// widget, else to the window.
func pressKey(c fyne.Canvas, name fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: name}
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
}

// pressShortcut delivers a shortcut as the desktop driver does: to the
// focused widget if it takes shortcuts, else to the window.
func pressShortcut(c fyne.Canvas, s fyne.Shortcut) {
	if f, ok := c.Focused().(fyne.Shortcutable); ok {
		f.TypedShortcut(s)
		return
	}
	c.(fyne.Shortcutable).TypedShortcut(s)
}

func ctrl(key fyne.KeyName) fyne.Shortcut {
	return &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
}

// focusList tabs through the window until the accounts list has the focus.
func focusList(t *testing.T, f *fixture) {
	t.Helper()
	c := f.ui.win.Canvas()
	for range 20 {
		test.FocusNext(c)
		if c.Focused() == fyne.Focusable(f.ui.list) {
			return
		}
	}
	t.Fatalf("Tab never reached the list (focus on %T)", c.Focused())
}

func TestKeyboardWithTheListFocused(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI, gitlabURI)
	c := f.ui.win.Canvas()
	focusList(t, f)

	// Arrows move the selection; Enter and Space copy the selected code.
	pressKey(c, fyne.KeyDown)
	pressKey(c, fyne.KeyDown)
	pressKey(c, fyne.KeyUp)
	if f.ui.current != 1 {
		t.Fatalf("selection %d after Down, Down, Up; want 1", f.ui.current)
	}
	pressKey(c, fyne.KeyReturn)
	github, _ := f.vault.Code(f.ui.shown[1].ID, f.now)
	if got := f.app.Clipboard().Content(); got != github.Value {
		t.Fatalf("Enter copied %q, want GitHub's %s", got, github.Value)
	}
	if got := f.ui.status.Text; got != "Copied GitHub (ada) — clears in 30 s" {
		t.Fatalf("status %q", got)
	}
	pressKey(c, fyne.KeyDown)
	f.app.Clipboard().SetContent("")
	pressKey(c, fyne.KeySpace)
	gitlab, _ := f.vault.Code(f.ui.shown[2].ID, f.now)
	if got := f.app.Clipboard().Content(); got != gitlab.Value {
		t.Fatalf("Space copied %q, want GitLab's %s", got, gitlab.Value)
	}
	// Ctrl+C reaches the window, which copies the selected code.
	pressKey(c, fyne.KeyUp)
	pressKey(c, fyne.KeyUp)
	f.app.Clipboard().SetContent("")
	pressShortcut(c, &fyne.ShortcutCopy{Clipboard: f.app.Clipboard()})
	if got := f.app.Clipboard().Content(); got != "287082" {
		t.Fatalf("Ctrl+C on the list copied %q, want 287082", got)
	}

	// Typing while the list has the focus searches.
	test.TypeOnCanvas(c, "lab")
	if f.ui.search.Text != "lab" || c.Focused() != fyne.Focusable(f.ui.search) {
		t.Fatalf("search %q, focus %T", f.ui.search.Text, c.Focused())
	}
	if got := f.shown(); len(got) != 1 || got[0][:len("GitLab|bob|")] != "GitLab|bob|" {
		t.Fatalf("rows %q after typing lab", got)
	}
}

func TestShortcutsWorkWhileSearching(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI)
	c := f.ui.win.Canvas()
	test.TypeOnCanvas(c, "rf")
	if c.Focused() != fyne.Focusable(f.ui.search) {
		t.Fatalf("focus %T, want the search field", c.Focused())
	}
	// The search field has the focus and takes shortcuts, yet the window's
	// own work: Ctrl+N opens the add screen.
	pressShortcut(c, ctrl(fyne.KeyN))
	if f.ui.adding == nil {
		t.Fatal("Ctrl+N in the search field did not open the add screen")
	}
	f.ui.adding.dialog.Hide()

	// Pasting an otpauth URI adds the account instead of searching for it.
	f.app.Clipboard().SetContent(githubURI)
	pressShortcut(c, &fyne.ShortcutPaste{Clipboard: f.app.Clipboard()})
	if got := accountLabels(f.vault); got != "RFC (sha1), GitHub (ada)" {
		t.Fatalf("accounts %q after pasting a URI", got)
	}
	if f.ui.search.Text != "" || f.ui.status.Text != "Added GitHub (ada)." {
		t.Fatalf("search %q, status %q", f.ui.search.Text, f.ui.status.Text)
	}
	// Other text is pasted into the search.
	f.app.Clipboard().SetContent("git")
	pressShortcut(c, &fyne.ShortcutPaste{Clipboard: f.app.Clipboard()})
	if f.ui.search.Text != "git" || len(f.rows()) != 1 {
		t.Fatalf("search %q, %d rows", f.ui.search.Text, len(f.rows()))
	}

	// Ctrl+F brings the focus back to the search from the list.
	focusList(t, f)
	pressShortcut(c, ctrl(fyne.KeyF))
	if c.Focused() != fyne.Focusable(f.ui.search) {
		t.Fatalf("Ctrl+F: focus %T", c.Focused())
	}

	// Ctrl+Q quits from the search field too.
	a := &trayApp{App: test.NewTempApp(t)}
	g := newFixture(t, a, Options{}, rfcURI)
	test.TypeOnCanvas(g.ui.win.Canvas(), "x")
	pressShortcut(g.ui.win.Canvas(), ctrl(fyne.KeyQ))
	if a.quits != 1 {
		t.Fatalf("Ctrl+Q in the search field: quits %d, want 1", a.quits)
	}
}

func TestWindowSizeSavedOnResize(t *testing.T) {
	a := test.NewTempApp(t)
	f := newFixture(t, a, Options{}, rfcURI)
	f.ui.win.Resize(fyne.NewSize(480, 720))
	f.ui.tick() // within a second of the resize
	if w, h := a.Preferences().Float(prefWindowWidth), a.Preferences().Float(prefWindowHeight); w != 480 || h != 720 {
		t.Fatalf("saved %vx%v, want 480x720", w, h)
	}
	fresh := New(test.NewTempApp(t), f.vault, Options{})
	if got := fresh.Window().Canvas().Size(); got != fyne.NewSize(defaultWidth, defaultHeight) {
		t.Fatalf("first window is %v, want %vx%v", got, defaultWidth, defaultHeight)
	}
}

// TestTickerRefreshesAndStops runs the real once-a-second ticker: it picks
// up an account the CLI added, and stops when the window quits.
func TestTickerRefreshesAndStops(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI)
	f.ui.start()
	other := testVault(t, f.vault.Dir(), githubURI) // the CLI, another process
	defer other.Close()
	f.waitFor(t, func() bool { return len(f.ui.shown) == 2 })
	if n := len(f.rows()); n != 2 {
		t.Fatalf("%d rows after a tick, want 2", n)
	}
	done := f.ui.done
	f.ui.stop()
	select {
	case <-done:
	default:
		t.Fatal("stop left the ticker running")
	}
	if f.ui.ticker != nil {
		t.Fatal("stop left the ticker set")
	}
	f.ui.stop() // twice is harmless (quit, then the end of ShowAndRun)
}
