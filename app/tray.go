package app

import (
	"fmt"

	"fyne.io/fyne/v2"

	"github.com/countersign/countersign/internal/tray"
)

// setupTray installs the system tray icon and menu once there is a tray:
// at once if there is one, else when one appears (Options.WatchTray).
// Waiting costs nothing, while Fyne's tray, once set up, keeps a hidden
// window with its own OpenGL context for as long as the app runs (about 5
// MiB of RSS under Mesa's llvmpipe, scripts/idle.sh), and without a tray
// (stock GNOME, a bare X server) its icon never shows.
func (u *UI) setupTray() {
	if u.tray == nil {
		return
	}
	u.stopTrayWatch = u.opts.WatchTray(func() { u.do(u.installTray) })
}

// installTray sets up the tray icon and menu, once, and stops watching for
// a tray: Fyne registers its icon again with any later one.
func (u *UI) installTray() {
	if u.trayOn {
		return
	}
	u.trayOn = true
	u.stopWatchingTray()
	u.tray.SetSystemTrayIcon(trayIcon(u.app.Icon()))
	u.tray.SetSystemTrayWindow(u.win)
	// Fyne's SetSystemTrayWindow makes closing the window hide it, tray
	// or not; close decides instead.
	u.win.SetCloseIntercept(u.close)
	u.refreshTray()
}

// watchTray is Options.WatchTray's default: tray.Watch, with a watch that
// cannot be (no session bus) logged; the app then shows no tray icon.
func watchTray(present func()) (stop func()) {
	stop, err := tray.Watch(present)
	if err != nil {
		fyne.LogError("system tray: cannot watch for one, so the app shows no tray icon", err)
	}
	return stop
}

// stopWatchingTray stops waiting for a tray, if the app was.
func (u *UI) stopWatchingTray() {
	if u.stopTrayWatch != nil {
		u.stopTrayWatch()
		u.stopTrayWatch = nil
	}
}

// trayMenu is the tray's menu: show the window, copy the code of one of the
// first accounts, quit.
func (u *UI) trayMenu() *fyne.Menu {
	if u.isLocked() { // app lock (lock.go): no accounts while locked
		return u.lockedTrayMenu()
	}
	items := []*fyne.MenuItem{fyne.NewMenuItem("Show Countersign", u.showWindow)}
	if n := u.pendingCount(); n > 0 {
		waiting := fyne.NewMenuItem(fmt.Sprintf("%d sign-in request(s) waiting", n), func() {
			u.showWindow()
			u.showNextRequest()
		})
		items = append([]*fyne.MenuItem{waiting}, items...)
	}
	accounts := u.vault.Accounts()
	if len(accounts) > 0 {
		items = append(items, fyne.NewMenuItemSeparator())
	}
	for i, a := range accounts {
		if i == maxTrayAccounts {
			break
		}
		items = append(items, fyne.NewMenuItem("Copy "+a.Label(), func() { u.copyCode(a) }))
	}
	items = append(items, u.lockTrayItems()...) // app lock (lock.go)
	quit := fyne.NewMenuItem("Quit", u.quit)
	quit.IsQuit = true
	items = append(items, fyne.NewMenuItemSeparator(), quit)
	return fyne.NewMenu("Countersign", items...)
}

// refreshTray rebuilds the tray menu after the accounts changed.
func (u *UI) refreshTray() {
	if u.trayOn {
		u.tray.SetSystemTrayMenu(u.trayMenu())
	}
}

func (u *UI) showWindow() {
	u.win.Show()
	u.win.RequestFocus()
}
