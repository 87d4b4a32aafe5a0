package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestCloseWithoutTrayQuits: Fyne's tray API is there but no tray shows
// the icon (stock GNOME, Xvfb): the tray is not set up (Fyne's would keep
// a hidden window with its own OpenGL context), closing the window quits,
// though "keep running in the tray" is the saved choice, and the settings
// say so. Once a tray shows up, the tray is set up, closing hides the
// window again and the choice is offered. (The appearing tray is played by
// calling what Options.WatchTray was given; internal/tray's TestWatch
// watches a real session bus.)
func TestCloseWithoutTrayQuits(t *testing.T) {
	a := &trayApp{App: test.NewTempApp(t)}
	shown := false
	var appeared func()
	f := newFixture(t, a, Options{
		HasTray:   func() bool { return shown },
		WatchTray: func(present func()) func() { appeared = present; return func() {} },
	}, rfcURI)
	if a.menu != nil || appeared == nil {
		t.Fatalf("without a tray: menu %v, watching %v; want no menu, watching", a.menu, appeared != nil)
	}
	f.ui.showSettings()
	if s := f.ui.settings; s.onClose != nil || s.closeNote == nil {
		t.Fatal("without a tray the settings must not offer to keep running in it")
	}
	a.pressClose(t)
	if a.quits != 1 || a.win.hidden {
		t.Fatalf("closing without a tray: quits %d, hidden %v; want 1, false", a.quits, a.win.hidden)
	}

	shown = true
	appeared()
	f.runUI()
	if a.menu == nil || len(a.menu.Items) == 0 || a.menu.Items[0].Label != "Show Countersign" {
		t.Fatalf("a tray appeared: menu %v; want the tray menu", a.menu)
	}
	f.ui.settings.dialog.Hide()
	f.ui.showSettings()
	if s := f.ui.settings; s.onClose == nil || s.onClose.Selected != closeToTray {
		t.Fatal("with a tray the settings must offer it, as chosen")
	}
	a.pressClose(t)
	if a.quits != 1 || !a.win.hidden {
		t.Fatalf("closing with a tray: quits %d, hidden %v; want still 1, true", a.quits, a.win.hidden)
	}
	// The window comes back from a later start.
	f.ui.Launch(Launch{})
	if a.win.hidden {
		t.Fatal("a later start left the window hidden")
	}
	// The app, not Fyne's tray (which always hides), still decides what
	// closing does: with "Quit" chosen, closing quits.
	a.Preferences().SetBool(prefCloseToTray, false)
	a.pressClose(t)
	if a.quits != 2 || a.win.hidden {
		t.Fatalf("closing with Quit chosen: quits %d, hidden %v; want 2, false", a.quits, a.win.hidden)
	}
}

// TestLaunch: what a start of the app asks, or a later start hands over,
// is done as if the user had asked the window.
func TestLaunch(t *testing.T) {
	scans := 0
	f := newFixture(t, nil, Options{ScanScreen: func() ([]string, error) {
		scans++
		return []string{gitlabURI}, nil
	}}, rfcURI)

	f.ui.Launch(Launch{URIs: []string{githubURI}})
	if got := accountLabels(f.vault); got != "RFC (sha1), GitHub (ada)" {
		t.Fatalf("accounts %q", got)
	}
	if f.ui.status.Text != "Added GitHub (ada)." {
		t.Fatalf("status %q", f.ui.status.Text)
	}
	// Handed over twice: the duplicate is named, not added.
	f.ui.Launch(Launch{URIs: []string{githubURI, "https://example.com"}})
	if got := f.ui.status.Text; !strings.Contains(got, "GitHub (ada): ") || !strings.Contains(got, "not an authenticator code") {
		t.Fatalf("status %q", got)
	}
	if n := len(f.vault.Accounts()); n != 2 {
		t.Fatalf("%d accounts", n)
	}

	// --scan opens Add account and scans the screen.
	f.ui.Launch(Launch{Scan: true})
	f.waitFor(t, func() bool { return len(f.vault.Accounts()) == 3 })
	if scans != 1 || f.ui.status.Text != "Added GitLab (bob)." {
		t.Fatalf("scans %d, status %q", scans, f.ui.status.Text)
	}
	// A bare launch only shows the window.
	f.ui.Launch(Launch{})
	if n := len(f.vault.Accounts()); n != 3 || scans != 1 {
		t.Fatalf("a bare launch did something: %d accounts, %d scans", n, scans)
	}
}
