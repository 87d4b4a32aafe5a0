package app

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/vault"
)

// clipboardChoices are the clipboard clearing times offered, in seconds.
var clipboardChoices = []int{0, 10, 30, 60, 120}

func clipboardChoiceLabel(secs int) string {
	if secs == 0 {
		return "Never"
	}
	return "After " + formatSeconds(secs)
}

var themeChoices = []struct{ key, label string }{
	{themeSystem, "Follow the system"},
	{themeLight, "Light"},
	{themeDark, "Dark"},
}

// settingsScreen is the settings dialog; every change applies at once.
type settingsScreen struct {
	clipboard *widget.Select
	theme     *widget.RadioGroup
	vaultDir  *widget.Entry
	vaultNote *widget.Label
	// onClose chooses what closing the window does; nil when there is no
	// tray, and closeNote says that closing quits.
	onClose   *widget.RadioGroup
	closeNote *widget.Label
	// The app lock: the idle time, the passphrase button, and what it says.
	lockIdle   *widget.Select
	lockButton *widget.Button
	lockNote   *widget.Label
	lockForm   *lockPassphraseForm // the open passphrase dialog, if any
	dialog     *dialog.CustomDialog
}

// The choices of "When the window is closed".
const (
	closeQuits  = "Quit"
	closeToTray = "Keep running in the system tray"
)

// showSettings opens the settings dialog.
func (u *UI) showSettings() {
	prefs := u.app.Preferences()
	s := &settingsScreen{}

	var labels []string
	for _, secs := range clipboardChoices {
		labels = append(labels, clipboardChoiceLabel(secs))
	}
	s.clipboard = widget.NewSelect(labels, nil)
	s.clipboard.SetSelected(clipboardChoiceLabel(prefs.IntWithFallback(prefClipboardSecs, defaultClipboardSecs)))
	s.clipboard.OnChanged = func(string) {
		prefs.SetInt(prefClipboardSecs, clipboardChoices[s.clipboard.SelectedIndex()])
	}

	var themeLabels []string
	for _, c := range themeChoices {
		themeLabels = append(themeLabels, c.label)
	}
	s.theme = widget.NewRadioGroup(themeLabels, nil)
	current := prefs.StringWithFallback(prefTheme, themeSystem)
	for _, c := range themeChoices {
		if c.key == current {
			s.theme.SetSelected(c.label)
		}
	}
	s.theme.OnChanged = func(label string) {
		for _, c := range themeChoices {
			if c.label == label {
				prefs.SetString(prefTheme, c.key)
				applyTheme(u.app, c.key)
			}
		}
	}

	s.vaultDir = widget.NewEntry()
	s.vaultDir.SetText(u.vault.Dir())
	s.vaultNote = widget.NewLabel("")
	s.vaultNote.Wrapping = fyne.TextWrapWord
	s.vaultNote.Hide()
	useDir := widget.NewButton("Use this folder", func() {
		dir := strings.TrimSpace(s.vaultDir.Text)
		if dir == "" {
			s.vaultNote.SetText("Give a folder for the vault.")
			s.vaultNote.Show()
			return
		}
		prefs.SetString(PrefVaultDir, dir)
		if u.opts.OnVaultDirChange != nil {
			u.opts.OnVaultDirChange(dir)
		}
		s.vaultNote.SetText(fmt.Sprintf("The vault in %s opens at the next start. Accounts are not moved: back them up and restore them there.", dir))
		s.vaultNote.Show()
	})

	// Keeping running in the tray is offered only with a tray to come back
	// from; the choice is kept for when there is one.
	var onClose fyne.CanvasObject
	if u.hasTray() {
		s.onClose = widget.NewRadioGroup([]string{closeQuits, closeToTray}, nil)
		s.onClose.Required = true
		s.onClose.SetSelected(closeQuits)
		if prefs.BoolWithFallback(prefCloseToTray, true) {
			s.onClose.SetSelected(closeToTray)
		}
		s.onClose.OnChanged = func(choice string) { prefs.SetBool(prefCloseToTray, choice == closeToTray) }
		onClose = s.onClose
	} else {
		s.closeNote = widget.NewLabel("Countersign quits. On a desktop that shows a system tray, it can " +
			"keep running there instead; this one shows none.")
		s.closeNote.Wrapping = fyne.TextWrapWord
		onClose = s.closeNote
	}

	content := container.NewVBox(
		widget.NewLabelWithStyle("Clear copied codes from the clipboard", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		s.clipboard,
		widget.NewLabelWithStyle("Theme", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		s.theme,
		widget.NewLabelWithStyle("Vault folder", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		s.vaultDir, useDir, s.vaultNote,
		widget.NewLabelWithStyle("When the window is closed", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		onClose,
		widget.NewLabelWithStyle("App lock", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		u.lockSettings(s),
		widget.NewLabelWithStyle("Backup", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(widget.NewButton("Back up…", u.showBackup), widget.NewButton("Import or restore…", u.showRestore)),
		widget.NewButton("Export to Google Authenticator…", u.showGoogleExport),
	)
	s.dialog = dialog.NewCustom("Settings", "Close", container.NewVScroll(content), u.win)
	size := u.win.Canvas().Size()
	s.dialog.Resize(fyne.NewSize(max(size.Width-40, 380), max(size.Height-40, 480)))
	u.settings = s
	s.dialog.SetOnClosed(func() { u.settings = nil })
	s.dialog.Show()
}

// lockSettings is the App lock section: the passphrase (set, change,
// remove: the last two need the current one) and the idle time.
func (u *UI) lockSettings(s *settingsScreen) fyne.CanvasObject {
	prefs := u.app.Preferences()
	var labels []string
	for _, mins := range lockIdleChoices {
		labels = append(labels, lockIdleLabel(mins))
	}
	s.lockIdle = widget.NewSelect(labels, nil)
	s.lockIdle.SetSelected(lockIdleLabel(prefs.IntWithFallback(prefLockIdleMinutes, 0)))
	s.lockIdle.OnChanged = func(string) {
		prefs.SetInt(prefLockIdleMinutes, lockIdleChoices[s.lockIdle.SelectedIndex()])
		u.noteInput()
	}
	s.lockNote = widget.NewLabel("")
	s.lockNote.Wrapping = fyne.TextWrapWord
	s.lockButton = widget.NewButton("", nil)
	lockNow := widget.NewButton("Lock now (Ctrl+L)", u.lockNow)
	update := func() {
		if u.lock.set {
			s.lockButton.SetText("Change or remove the passphrase…")
			s.lockNote.SetText("Ctrl+L locks the window; it also locks at the start and when idle:")
			lockNow.Enable()
		} else {
			s.lockButton.SetText("Set a passphrase…")
			s.lockNote.SetText("With a passphrase, Ctrl+L hides your accounts until it is typed again. Only a salted Argon2id hash of it is kept, in the keyring. Lock when idle:")
			lockNow.Disable()
		}
	}
	update()
	s.lockButton.OnTapped = func() { u.showLockPassphrase(s, update) }
	return container.NewVBox(container.NewHBox(s.lockButton, lockNow), s.lockNote, s.lockIdle)
}

// lockPassphraseForm is the dialog that sets, changes or removes the app
// lock's passphrase.
type lockPassphraseForm struct {
	current, next, repeat *widget.Entry
	message               *widget.Label
	save, remove          *widget.Button
	dialog                *dialog.CustomDialog
}

// showLockPassphrase opens the passphrase dialog; updated runs after a change.
func (u *UI) showLockPassphrase(s *settingsScreen, updated ...func()) {
	f := &lockPassphraseForm{current: widget.NewPasswordEntry(), next: widget.NewPasswordEntry(), repeat: widget.NewPasswordEntry()}
	s.lockForm = f
	f.current.SetPlaceHolder("Current passphrase")
	f.next.SetPlaceHolder("New passphrase")
	f.repeat.SetPlaceHolder("New passphrase again")
	f.message = widget.NewLabel("")
	f.message.Wrapping = fyne.TextWrapWord
	f.message.Importance = widget.DangerImportance
	f.message.Hide()
	say := func(text string) { f.message.SetText(text); f.message.Show() }
	busy := false
	run := func(current, next []byte, done string) {
		if busy {
			return
		}
		busy = true
		go func() {
			err := u.vault.SetLock(current, next)
			u.do(func() {
				busy = false
				switch {
				case errors.Is(err, vault.ErrWrongPassphrase):
					say("The current passphrase is wrong.")
				case err != nil:
					say(err.Error())
				default:
					u.setLockSet(len(next) > 0)
					for _, fn := range updated {
						fn()
					}
					f.dialog.Hide()
					u.setStatus(done)
				}
			})
		}()
	}
	f.save = widget.NewButton("Save", func() {
		switch {
		case f.next.Text == "":
			say("Type a new passphrase.")
		case f.next.Text != f.repeat.Text:
			say("The two new passphrases differ.")
		default:
			run([]byte(f.current.Text), []byte(f.next.Text), "The app lock passphrase is saved: Ctrl+L locks.")
		}
	})
	f.save.Importance = widget.HighImportance
	f.remove = widget.NewButton("Remove the lock", func() {
		run([]byte(f.current.Text), nil, "The app lock is removed.")
	})
	cancel := widget.NewButton("Cancel", func() { f.dialog.Hide() })
	items := []fyne.CanvasObject{}
	title := "Set a passphrase"
	if u.lock.set {
		title = "Change the passphrase"
		items = append(items, f.current)
	} else {
		f.remove.Hide()
	}
	items = append(items, f.next, f.repeat, f.message)
	f.dialog = dialog.NewCustomWithoutButtons(title, container.NewVBox(items...), u.win)
	f.dialog.SetButtons([]fyne.CanvasObject{cancel, f.remove, f.save})
	f.dialog.Resize(fyne.NewSize(360, 0))
	f.dialog.Show()
	if u.lock.set {
		u.win.Canvas().Focus(f.current)
	} else {
		u.win.Canvas().Focus(f.next)
	}
}
