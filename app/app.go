// Package app is Countersign's Fyne user interface: the accounts list with
// rolling codes, adding accounts from QR codes or by hand, settings and the
// system tray. It never imports fyne.io/fyne/v2/app, so every screen runs
// under fyne.io/fyne/v2/test without OpenGL; cmd/countersign creates the
// real application and hands it to New.
package app

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/internal/tray"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/scanner"
	"github.com/countersign/countersign/vault"
)

// Options are the parts of the UI's world that cmd/countersign (or a test)
// chooses. Zero values mean the real thing.
type Options struct {
	// ScanScreen captures the screen and returns the text of every QR code on it.
	ScanScreen func() ([]string, error)
	// DecodeFile returns the text of every QR code in an image file.
	DecodeFile func(path string) ([]string, error)
	// Now tells the time; tests pin it.
	Now func() time.Time
	// OnVaultDirChange is called when the user picks another vault directory
	// in the settings; the choice applies at the next start.
	OnVaultDirChange func(dir string)
	// HasTray tells whether a system tray shows the app's icon now (Fyne
	// does not say; see internal/tray). It is asked when the window is
	// closed and when the settings open. Nil: tray.Available.
	HasTray func() bool
	// WatchTray calls present, from any goroutine, when a system tray is
	// there (a StatusNotifierWatcher on the D-Bus session bus): at once if
	// it is there already, else when one appears. The tray icon and menu
	// are set up only then (setupTray). It returns a function that stops
	// watching. Nil: tray.Watch (the session bus; Windows and macOS always
	// have a tray).
	WatchTray func(present func()) (stop func())
}

// Launch is what the app was started with (countersign --scan, countersign
// URI), or what a later start handed over to it.
type Launch struct {
	// Scan scans the screen for a QR code, as Add account → Scan the screen.
	Scan bool
	// URIs are otpauth://, otpauth-migration:// or countersign://activate
	// URIs to add, as if pasted.
	URIs []string
}

// Preference keys.
const (
	prefWindowWidth   = "window_width"
	prefWindowHeight  = "window_height"
	prefClipboardSecs = "clipboard_clear_seconds"
	prefTheme         = "theme"
	prefCloseToTray   = "close_to_tray"
	// PrefVaultDir is where the settings store the chosen vault directory.
	PrefVaultDir = "vault_dir"
)

// Defaults.
const (
	defaultWidth         = 420
	defaultHeight        = 640
	defaultClipboardSecs = 30
	// nextCodeWindow is how long before the end of a period the next code shows.
	nextCodeWindow = 5 * time.Second
	// maxTrayAccounts bounds the "Copy …" items of the tray menu.
	maxTrayAccounts = 10
)

// UI is the main window of the app and everything it shows.
type UI struct {
	app   fyne.App
	win   fyne.Window
	vault *vault.Vault
	opts  Options

	search  *searchEntry
	list    *accountList
	rows    map[widget.ListItemID]*accountRow // the row last given each item of the list (refreshRows)
	status  *widget.Label
	empty   *fyne.Container
	body    *fyne.Container
	shown   []vault.Account // the accounts matching the search, in order
	current int             // the selected row, or -1
	tray    desktop.App     // nil where Fyne has no system tray API (see hasTray)
	// trayOn: the tray icon and menu are set up (setupTray); stopTrayWatch
	// stops waiting for a tray to appear.
	trayOn        bool
	stopTrayWatch func()
	adding        *addScreen      // the open "Add account" dialog, if any
	settings      *settingsScreen // the open settings dialog, if any
	// googleExport is the open Google Authenticator export, if any.
	googleExport *googleExport
	// lastAdded is the account added last, selected (and scrolled to) by accountsAdded.
	lastAdded string
	push      *pushState
	lock      *lockState // the app lock (lock.go)
	// drag is the row being dragged to another place, if any, and
	// dropLine shows where it would go (reorder.go).
	drag     *rowDrag
	dropLine *canvas.Rectangle

	clip clipboardClearer
	// shortcuts are the window's own shortcuts by name (see windowShortcut).
	shortcuts map[string]func()
	// savedSize is the window size last written to the preferences.
	savedSize fyne.Size
	// do runs a UI change from another goroutine on the UI goroutine:
	// fyne.Do; tests queue it and run it on the test's goroutine.
	do     func(func())
	ticker *time.Ticker
	done   chan struct{}
	ticks  int // ticks since the start (memory.go)
}

// New builds the main window for the accounts of v. Call ShowAndRun to start.
func New(a fyne.App, v *vault.Vault, opts Options) *UI {
	if opts.ScanScreen == nil {
		opts.ScanScreen = scanner.ScanScreen
	}
	if opts.DecodeFile == nil {
		opts.DecodeFile = scanner.DecodeFile
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HasTray == nil {
		opts.HasTray = tray.Available
	}
	if opts.WatchTray == nil {
		opts.WatchTray = watchTray
	}
	u := &UI{app: a, vault: v, opts: opts, current: -1, do: fyne.Do}
	u.push = newPushState(v, func(id string, ev device.Event) { u.do(func() { u.onPushEvent(id, ev) }) })
	u.clip = clipboardClearer{clipboard: a.Clipboard(), after: time.AfterFunc, do: func(f func()) { u.do(f) }}
	u.tray, _ = a.(desktop.App)
	applyTheme(a, a.Preferences().StringWithFallback(prefTheme, themeSystem))

	u.win = a.NewWindow("Countersign")
	u.win.SetIcon(a.Icon())
	u.savedSize = fyne.NewSize(
		float32(a.Preferences().FloatWithFallback(prefWindowWidth, defaultWidth)),
		float32(a.Preferences().FloatWithFallback(prefWindowHeight, defaultHeight)))
	u.win.Resize(u.savedSize)
	u.buildList()
	u.search = newSearchEntry(u)
	u.status = widget.NewLabel("")
	u.status.Truncation = fyne.TextTruncateEllipsis
	// The empty state is filled in when first shown (showEmpty): its bold
	// title and its button would load the bold fonts even while hidden.
	u.empty = container.NewCenter()
	// Icon buttons, not a widget.Toolbar: its buttons load the bold fonts
	// (see iconButton).
	toolbar := container.NewHBox(
		newIconButton(theme.ContentAddIcon(), u.showAdd),
		newIconButton(theme.SettingsIcon(), u.showSettings),
	)
	u.dropLine = newDropLine()
	u.body = container.NewStack(u.list, u.empty, u.search.noMatch, container.NewWithoutLayout(u.dropLine))
	top := container.NewBorder(nil, nil, nil, toolbar, u.search)
	u.win.SetContent(container.NewBorder(top, u.status, nil, nil, u.body))
	u.win.SetOnDropped(u.dropped)
	u.installShortcuts()
	u.filter()
	u.win.SetCloseIntercept(u.close)
	u.setupTray()
	u.startPush()
	u.remindBackup()
	u.installLock() // app lock (lock.go): last, it wraps the content and keys
	return u
}

// Window returns the main window.
func (u *UI) Window() fyne.Window { return u.win }

// ShowAndRun shows the main window, starts the once-a-second refresh and
// runs the app until it quits.
func (u *UI) ShowAndRun() {
	u.start()
	u.win.ShowAndRun()
	u.stop()
}

// start begins the refresh: one ticker for the whole window, no busy loop.
func (u *UI) start() {
	ticker, done := time.NewTicker(time.Second), make(chan struct{})
	u.ticker, u.done = ticker, done
	go func() {
		for {
			select {
			case <-ticker.C:
				u.do(u.tick)
			case <-done:
				return
			}
		}
	}()
}

// stop ends the refresh and the push connections, and remembers the window size.
func (u *UI) stop() {
	u.push.cancel()
	u.stopWatchingTray()
	if u.ticker != nil {
		u.ticker.Stop()
		close(u.done)
		u.ticker = nil
	}
	u.saveSize()
}

// tick runs once a second on the UI goroutine: it picks up changes made by
// other processes (the CLI) and redraws the visible codes.
func (u *UI) tick() {
	if changed, err := u.vault.Reload(); err != nil {
		u.setStatus("Cannot read the vault: " + err.Error())
	} else if changed {
		u.filterKeepSelection()
		u.refreshTray()
	}
	u.refreshRows()
	u.tickRequests()
	u.tickLock() // app lock (lock.go): idle time
	u.saveSize() // Fyne tells no resize: a new size is saved within a second
	u.releaseStartupMemory()
}

// saveSize writes the window size to the preferences when it changed.
func (u *UI) saveSize() {
	size := u.win.Canvas().Size()
	if size.Width > 0 && size.Height > 0 && size != u.savedSize {
		u.app.Preferences().SetFloat(prefWindowWidth, float64(size.Width))
		u.app.Preferences().SetFloat(prefWindowHeight, float64(size.Height))
		u.savedSize = size
	}
}

// close hides the window to the tray when that is chosen (the default)
// and a tray shows the app's icon, else quits: a hidden window with no
// tray icon to bring it back would leave the app running out of reach.
func (u *UI) close() {
	u.saveSize()
	if u.app.Preferences().BoolWithFallback(prefCloseToTray, true) && u.hasTray() {
		u.win.Hide()
		return
	}
	u.quit()
}

// hasTray tells whether the app's tray icon is on show now.
func (u *UI) hasTray() bool {
	return u.trayOn && u.opts.HasTray()
}

// Launch shows and raises the window, then does what l asks: it adds the
// URIs (saying what happened on the status line, and in the Add account
// dialog when it is open) and scans the screen. A later start of the app
// hands over to the running one this way.
func (u *UI) Launch(l Launch) {
	u.showWindow()
	if len(l.URIs) > 0 {
		msg, _ := u.addTexts(l.URIs)
		if u.adding != nil {
			u.adding.result.SetText(msg)
		}
		u.setStatus(strings.ReplaceAll(msg, "\n", " "))
	}
	if l.Scan {
		if u.adding == nil {
			u.showAdd()
		}
		u.adding.tabs.SelectIndex(0)
		u.adding.scanScreen()
	}
}

func (u *UI) quit() {
	u.stop()
	u.app.Quit()
}

func (u *UI) setStatus(s string) { u.status.SetText(s) }

// showEmpty shows, in place of the list, that there are no accounts yet
// and how to add one.
func (u *UI) showEmpty() {
	if len(u.empty.Objects) == 0 {
		u.empty.Add(container.NewVBox(
			widget.NewLabelWithStyle("No accounts yet", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
			widget.NewLabelWithStyle("Scan a QR code or type a key to add one.", fyne.TextAlignCenter, fyne.TextStyle{}),
			widget.NewButtonWithIcon("Add account", theme.ContentAddIcon(), u.showAdd),
		))
	}
	u.empty.Show()
}

// filter recomputes the shown accounts from the search text.
func (u *UI) filter() {
	u.shown = u.vault.Search(u.search.Text)
	if len(u.vault.Accounts()) == 0 {
		u.showEmpty()
		u.list.Hide()
	} else {
		u.empty.Hide()
		u.list.Show()
	}
	u.search.showMatches(len(u.shown), len(u.vault.Accounts()))
	u.list.UnselectAll()
	u.current = -1
	if len(u.shown) > 0 {
		u.selectRow(0)
	}
	u.list.Refresh()
}

func (u *UI) selectRow(i int) {
	if len(u.shown) == 0 {
		return
	}
	i = max(0, min(i, len(u.shown)-1))
	u.list.Select(i)
}

// paste adds the account of an otpauth:// (or Google export) URI pasted on
// the window. Fyne's clipboard carries text only: an image is added by
// dropping its file on the window instead.
func (u *UI) paste() {
	text := strings.TrimSpace(u.app.Clipboard().Content())
	if text == "" {
		u.setStatus("The clipboard holds no text. To add from an image, drop the file on the window.")
		return
	}
	msg, added := u.addTexts([]string{text})
	u.setStatus(strings.ReplaceAll(msg, "\n", " "))
	forgetPasted(u.app.Clipboard(), text, added)
}

// copyCurrent copies the code of the selected account.
func (u *UI) copyCurrent() {
	if u.current >= 0 && u.current < len(u.shown) {
		u.copyCode(u.shown[u.current])
	}
}

// copyCode puts the account's current code on the clipboard and arranges
// for it to be cleared.
func (u *UI) copyCode(a vault.Account) {
	if u.isLocked() { // app lock (lock.go): no copying while locked
		return
	}
	c, err := u.vault.Code(a.ID, u.opts.Now())
	if err != nil {
		u.setStatus(err.Error())
		return
	}
	secs := u.app.Preferences().IntWithFallback(prefClipboardSecs, defaultClipboardSecs)
	copied := "Copied " + a.Label()
	if secs > 0 {
		copied += " — clears in " + formatSeconds(secs)
	}
	u.clip.copy(c.Value, time.Duration(secs)*time.Second, func() {
		if u.status.Text == copied {
			u.setStatus("The copied code was cleared from the clipboard.")
		}
	})
	u.setStatus(copied)
}
