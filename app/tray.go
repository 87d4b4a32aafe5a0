package app

import (
	"fmt"

	"fyne.io/fyne/v2"
)

// setupTray installs the system tray icon and menu, where there is a tray.
func (u *UI) setupTray() {
	if u.tray == nil {
		return
	}
	u.tray.SetSystemTrayIcon(trayIcon(u.app.Icon()))
	u.tray.SetSystemTrayWindow(u.win)
	u.refreshTray()
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
	if u.tray != nil {
		u.tray.SetSystemTrayMenu(u.trayMenu())
	}
}

func (u *UI) showWindow() {
	u.win.Show()
	u.win.RequestFocus()
}
