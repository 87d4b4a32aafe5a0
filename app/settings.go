package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
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
	dialog    *dialog.CustomDialog
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
