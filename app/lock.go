package app

// The app lock (issue 12, finding 7). With a passphrase set in the
// settings, the window locks on Ctrl+L, from the tray menu, at the start,
// and after an idle time chosen in the settings. While locked, a lock
// screen replaces the window's content (the accounts and codes are out of
// the widget tree, and the open dialogs are taken off the canvas until
// unlocking), copying codes does nothing, a copied code is cleared from
// the clipboard at once (its clearing timer is stopped) and the tray menu
// lists no accounts. Push requests still raise their notification; their
// dialog shows after unlocking.
//
// Idle time. Fyne has no global input hook, so "no key or pointer input in
// the window" is observed in three ways, and the one-second ticker counts:
//
//   - keys: the canvas's typed-key, typed-rune and (desktop) key-down
//     handlers, which get the keys when no widget has the focus, are
//     chained with the existing ones and note input;
//   - keys typed into a focused widget never reach the canvas: instead
//     every tick takes a fingerprint of what input changes (the focused
//     object, its text length and cursor, the selected row, the search
//     text, the dialogs on top) and a changed fingerprint counts as input;
//   - pointer: the window's content sits in an activityLayer, a widget that
//     is hoverable and mouseable, so the pointer moving or pressing over
//     parts with no widget of their own notes input; a tap on a widget
//     changes the focus, the selection or the dialogs, caught above.
//
// The idle time is the larger of the ticks counted since the last input
// and the wall-clock time since it: ticks do not run while the machine
// sleeps, and the wall clock can be set back; either alone would keep the
// window open too long.

import (
	"errors"
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/vault"
)

// prefLockIdleMinutes is the idle time after which the window locks; 0 never.
const prefLockIdleMinutes = "lock_idle_minutes"

// lockIdleChoices are the idle times offered, in minutes.
var lockIdleChoices = []int{0, 1, 5, 15}

func lockIdleLabel(mins int) string {
	switch mins {
	case 0:
		return "Never"
	case 1:
		return "After 1 minute"
	}
	return fmt.Sprintf("After %d minutes", mins)
}

// lockState is the app lock's state.
type lockState struct {
	// set tells whether a passphrase is set (read at the start, updated by
	// the settings), so the ticker never asks the keyring.
	set    bool
	locked bool
	layer  *activityLayer
	screen *lockScreen
	// content is the window's content while the lock screen replaces it;
	// overlays, the dialogs taken off the canvas, bottom first.
	content  fyne.CanvasObject
	overlays []fyne.CanvasObject
	// Idle time: ticks counted and the time at the last input.
	idleTicks   int
	lastInput   time.Time
	fingerprint string
	// Failed unlocks in a row, and when the next try is allowed.
	failures  int
	waitUntil time.Time
	checking  bool
}

// lockScreen is what the window shows while locked.
type lockScreen struct {
	root   fyne.CanvasObject
	pass   *lockEntry
	unlock *widget.Button
	// message says why the passphrase was refused, under the field.
	message *widget.Label
	// box holds them: laid out again when the message shows or hides.
	box *fyne.Container
}

// isLocked tells whether the window is locked.
func (u *UI) isLocked() bool { return u.lock != nil && u.lock.locked }

// installLock wraps the window's content and keys for the lock, and locks
// at once when a passphrase is set. New calls it last.
func (u *UI) installLock() {
	ls := &lockState{lastInput: u.opts.Now()}
	u.lock = ls
	set, err := u.vault.HasLock()
	if err != nil {
		u.setStatus("Cannot read the app lock: " + err.Error())
	}
	ls.set = set
	ls.layer = newActivityLayer(u, u.win.Content())
	u.win.SetContent(ls.layer)
	ls.screen = u.newLockScreen()

	c := u.win.Canvas()
	// The window's shortcuts do nothing while locked, but Ctrl+Q (quit)
	// and the new Ctrl+L (lock).
	for _, key := range []fyne.KeyName{fyne.KeyA, fyne.KeyB, fyne.KeyC, fyne.KeyD, fyne.KeyE, fyne.KeyF, fyne.KeyG,
		fyne.KeyH, fyne.KeyI, fyne.KeyJ, fyne.KeyK, fyne.KeyM, fyne.KeyN, fyne.KeyO, fyne.KeyP, fyne.KeyR,
		fyne.KeyS, fyne.KeyT, fyne.KeyU, fyne.KeyV, fyne.KeyW, fyne.KeyX, fyne.KeyY, fyne.KeyZ} {
		s := &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
		if action, ok := u.shortcuts[s.ShortcutName()]; ok {
			guarded := u.unlessLocked(action)
			u.shortcuts[s.ShortcutName()] = guarded
			c.AddShortcut(s, func(fyne.Shortcut) { guarded() })
		}
	}
	lockKey := &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}
	u.shortcuts[lockKey.ShortcutName()] = u.lockNow
	c.AddShortcut(lockKey, func(fyne.Shortcut) { u.lockNow() })
	copyCurrent, paste := u.unlessLocked(u.copyCurrent), u.unlessLocked(u.paste)
	c.AddShortcut(&fyne.ShortcutCopy{}, func(fyne.Shortcut) { copyCurrent() })
	c.AddShortcut(&fyne.ShortcutPaste{}, func(fyne.Shortcut) { paste() })

	// Keys with nothing focused: input; while locked they go to the
	// passphrase field (typing) or unlock (Enter), never to the list or
	// a hidden request.
	typedRune, typedKey := c.OnTypedRune(), c.OnTypedKey()
	c.SetOnTypedRune(func(r rune) {
		u.noteInput()
		if u.isLocked() {
			c.Focus(ls.screen.pass)
			ls.screen.pass.TypedRune(r)
			return
		}
		if typedRune != nil {
			typedRune(r)
		}
	})
	c.SetOnTypedKey(func(e *fyne.KeyEvent) {
		u.noteInput()
		if u.isLocked() {
			if e.Name == fyne.KeyReturn || e.Name == fyne.KeyEnter {
				u.tryUnlock()
			} else {
				c.Focus(ls.screen.pass)
			}
			return
		}
		if typedKey != nil {
			typedKey(e)
		}
	})
	if dc, ok := c.(desktop.Canvas); ok {
		keyDown := dc.OnKeyDown()
		dc.SetOnKeyDown(func(e *fyne.KeyEvent) {
			u.noteInput()
			if keyDown != nil {
				keyDown(e)
			}
		})
	}
	ls.fingerprint = u.inputFingerprint()
	if ls.set {
		u.lockNow()
	}
}

// unlessLocked returns action, doing nothing while locked.
func (u *UI) unlessLocked(action func()) func() {
	return func() {
		if !u.isLocked() {
			action()
		}
	}
}

// noteInput restarts the idle time.
func (u *UI) noteInput() {
	if u.lock == nil {
		return
	}
	u.lock.idleTicks = 0
	u.lock.lastInput = u.opts.Now()
}

// inputFingerprint sums up what the user's input changes; see the top of
// this file. It holds no text typed, only lengths and positions.
func (u *UI) inputFingerprint() string {
	c := u.win.Canvas()
	fp := fmt.Sprintf("%p|%d|%d|%p|%d", c.Focused(), u.current, len(u.search.Text), c.Overlays().Top(), len(c.Overlays().List()))
	var e *widget.Entry
	switch f := c.Focused().(type) {
	case *widget.Entry:
		e = f
	case *searchEntry:
		e = &f.Entry
	case *numberEntry:
		e = &f.Entry
	case *lockEntry:
		e = &f.Entry
	}
	if e != nil {
		fp += fmt.Sprintf("|%d|%d|%d|%d", len(e.Text), e.CursorRow, e.CursorColumn, len(e.SelectedText()))
	}
	return fp
}

// tickLock runs every second (tick): it counts the idle time and locks
// when it reaches the chosen one; while locked, it keeps the wait after
// failed tries up to date.
func (u *UI) tickLock() {
	ls := u.lock
	if ls == nil {
		return
	}
	if fp := u.inputFingerprint(); fp != ls.fingerprint {
		ls.fingerprint = fp
		u.noteInput()
	} else {
		ls.idleTicks++
	}
	if ls.locked {
		u.showWait()
		return
	}
	mins := u.app.Preferences().IntWithFallback(prefLockIdleMinutes, 0)
	if !ls.set || mins <= 0 {
		return
	}
	idle := max(time.Duration(ls.idleTicks)*time.Second, u.opts.Now().Round(0).Sub(ls.lastInput.Round(0)))
	if idle >= time.Duration(mins)*time.Minute {
		u.lockNow()
	}
}

// lockNow locks the window (Ctrl+L, the tray menu, the idle time).
func (u *UI) lockNow() {
	ls := u.lock
	if ls == nil || ls.locked {
		return
	}
	if !ls.set {
		u.setStatus("Set a passphrase in Settings → App lock to lock Countersign.")
		return
	}
	ls.locked = true
	u.clip.clearNow()
	// The dialogs (settings, add, export, a request…) leave the canvas;
	// they come back on unlocking, but a request's, which the next one
	// replaces then.
	if d := u.push.dialog; d != nil {
		u.closeRequestDialog(d)
	}
	ov := u.win.Canvas().Overlays()
	ls.overlays = nil
	for top := ov.Top(); top != nil; top = ov.Top() {
		ls.overlays = append([]fyne.CanvasObject{top}, ls.overlays...)
		ov.Remove(top)
	}
	ls.content = ls.layer.content
	s := ls.screen
	s.pass.SetText("")
	s.message.SetText("")
	s.message.Hide()
	s.box.Refresh()
	ls.layer.setContent(s.root)
	u.showWait()
	u.win.Canvas().Focus(s.pass)
	u.refreshTray()
}

// unlock shows the accounts again, then the dialogs, then a request that
// waits.
func (u *UI) unlock() {
	ls := u.lock
	ls.locked = false
	ls.failures, ls.waitUntil = 0, time.Time{}
	ls.screen.pass.SetText("")
	u.win.Canvas().Unfocus()
	ls.layer.setContent(ls.content)
	ls.content = nil
	for _, o := range ls.overlays {
		if o.Visible() {
			u.win.Canvas().Overlays().Add(o)
		}
	}
	ls.overlays = nil
	u.noteInput()
	ls.fingerprint = u.inputFingerprint()
	u.filterKeepSelection()
	u.refreshTray()
	u.showNextRequest()
}

// lockDelay is the wait before the next try after failures wrong
// passphrases in a row: none for the first two, then 2 s, doubling, at
// most a minute.
func lockDelay(failures int) time.Duration {
	if failures < 3 {
		return 0
	}
	return min(time.Second<<(failures-2), time.Minute)
}

// tryUnlock checks the typed passphrase, off the UI goroutine: Argon2id
// takes a moment, and the keyring may take longer.
func (u *UI) tryUnlock() {
	ls := u.lock
	s := ls.screen
	if !ls.locked || ls.checking {
		return
	}
	if u.opts.Now().Before(ls.waitUntil) {
		u.showWait()
		return
	}
	if s.pass.Text == "" {
		u.lockMessage("Type your passphrase.")
		return
	}
	pass := []byte(s.pass.Text)
	ls.checking = true
	s.unlock.Disable()
	go func() {
		ok, err := u.vault.CheckLock(pass)
		clear(pass)
		u.do(func() { u.unlockChecked(ok, err) })
	}()
}

// unlockChecked acts on the check of a typed passphrase.
func (u *UI) unlockChecked(ok bool, err error) {
	ls := u.lock
	ls.checking = false
	ls.screen.unlock.Enable()
	if !ls.locked {
		return
	}
	switch {
	case errors.Is(err, vault.ErrLockNotSet):
		u.lockMessage("The passphrase is no longer in the keyring: restart Countersign.")
	case err != nil:
		u.lockMessage("Cannot check the passphrase: " + err.Error())
	case !ok:
		ls.failures++
		ls.waitUntil = u.opts.Now().Add(lockDelay(ls.failures))
		ls.screen.pass.SetText("")
		u.win.Canvas().Focus(ls.screen.pass)
		u.showWait()
	default:
		u.unlock()
	}
}

// showWait says that the passphrase was wrong, and how long to wait
// before the next try; Unlock is disabled until then.
func (u *UI) showWait() {
	ls := u.lock
	if ls.failures == 0 || ls.checking {
		return
	}
	left := ls.waitUntil.Sub(u.opts.Now())
	if left <= 0 {
		ls.screen.unlock.Enable()
		u.lockMessage("Wrong passphrase.")
		return
	}
	ls.screen.unlock.Disable()
	u.lockMessage(fmt.Sprintf("Wrong passphrase. Too many tries: wait %d s.", int((left+time.Second-1)/time.Second)))
}

func (u *UI) lockMessage(text string) {
	m := u.lock.screen.message
	if m.Text != text {
		m.SetText(text)
	}
	if !m.Visible() {
		m.Show()
		u.lock.screen.box.Refresh()
	}
}

// setLockSet records that a passphrase is set or not (the settings).
func (u *UI) setLockSet(set bool) {
	u.lock.set = set
	u.noteInput()
	u.refreshTray()
}

// newLockScreen builds the lock screen: the app's name, the passphrase
// field, the message under it, Unlock.
func (u *UI) newLockScreen() *lockScreen {
	s := &lockScreen{}
	s.pass = newLockEntry(u)
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.message.Importance = widget.DangerImportance
	s.message.Hide()
	s.unlock = widget.NewButtonWithIcon("Unlock", theme.LoginIcon(), u.tryUnlock)
	s.unlock.Importance = widget.HighImportance
	res := u.app.Icon()
	if res == nil {
		res = theme.AccountIcon()
	}
	icon := canvas.NewImageFromResource(res)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSize(64, 64))
	width := canvas.NewRectangle(color.Transparent)
	width.SetMinSize(fyne.NewSize(300, 0))
	intro := widget.NewLabelWithStyle("Locked. Type your passphrase to show your accounts.", fyne.TextAlignCenter, fyne.TextStyle{})
	intro.Wrapping = fyne.TextWrapWord // fits a phone-sized window
	s.box = container.NewVBox(
		container.NewCenter(icon),
		widget.NewLabelWithStyle("Countersign", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		intro,
		s.pass,
		s.message,
		s.unlock,
	)
	s.root = container.NewCenter(container.NewStack(width, s.box))
	return s
}

// lockEntry is the passphrase field: Enter unlocks; of the window's
// shortcuts, Ctrl+Q still quits.
type lockEntry struct {
	widget.Entry
	ui *UI
}

func newLockEntry(u *UI) *lockEntry {
	e := &lockEntry{ui: u}
	e.Password = true
	e.ExtendBaseWidget(e)
	e.SetPlaceHolder("Passphrase")
	e.OnSubmitted = func(string) { u.tryUnlock() }
	return e
}

// TypedShortcut passes the window's shortcuts on (they do nothing while
// locked, but quit).
func (e *lockEntry) TypedShortcut(s fyne.Shortcut) {
	if e.ui.windowShortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// activityLayer holds the window's content and notes pointer input over
// the parts of it that have no widget of their own.
type activityLayer struct {
	widget.BaseWidget
	ui      *UI
	content fyne.CanvasObject
	stack   *fyne.Container
}

func newActivityLayer(u *UI, content fyne.CanvasObject) *activityLayer {
	l := &activityLayer{ui: u, content: content, stack: container.NewStack(content)}
	l.ExtendBaseWidget(l)
	return l
}

func (l *activityLayer) setContent(o fyne.CanvasObject) {
	l.content = o
	l.stack.Objects = []fyne.CanvasObject{o}
	l.stack.Refresh()
}

func (l *activityLayer) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(l.stack)
}

// MouseIn notes input.
func (l *activityLayer) MouseIn(*desktop.MouseEvent) { l.ui.noteInput() }

// MouseMoved notes input.
func (l *activityLayer) MouseMoved(*desktop.MouseEvent) { l.ui.noteInput() }

// MouseOut does nothing: leaving is no input.
func (l *activityLayer) MouseOut() {}

// MouseDown notes input.
func (l *activityLayer) MouseDown(*desktop.MouseEvent) { l.ui.noteInput() }

// MouseUp notes input.
func (l *activityLayer) MouseUp(*desktop.MouseEvent) { l.ui.noteInput() }

// clearNow stops the clearing timer and clears the clipboard at once if
// it still holds the code copied last (the app locks).
func (c *clipboardClearer) clearNow() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if c.code != "" && c.clipboard.Content() == c.code {
		c.clipboard.SetContent("")
	}
	c.code = ""
}

// lockTrayItems are the tray menu's lock items: Lock when a passphrase is
// set.
func (u *UI) lockTrayItems() []*fyne.MenuItem {
	if u.lock == nil || !u.lock.set || u.lock.locked {
		return nil
	}
	return []*fyne.MenuItem{fyne.NewMenuItemSeparator(), fyne.NewMenuItem("Lock", u.lockNow)}
}

// lockedTrayMenu is the tray's menu while locked: no accounts.
func (u *UI) lockedTrayMenu() *fyne.Menu {
	items := []*fyne.MenuItem{fyne.NewMenuItem("Unlock Countersign…", u.showWindow)}
	if n := u.pendingCount(); n > 0 {
		items = append([]*fyne.MenuItem{fyne.NewMenuItem(fmt.Sprintf("%d sign-in request(s) waiting: unlock to answer", n), u.showWindow)}, items...)
	}
	quit := fyne.NewMenuItem("Quit", u.quit)
	quit.IsQuit = true
	return fyne.NewMenu("Countersign", append(items, fyne.NewMenuItemSeparator(), quit)...)
}
