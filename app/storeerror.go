package app

import (
	"crypto/subtle"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// StoreProblem is why the app cannot keep the vault's secrets where it
// was asked to, shown in a window instead of on standard error (which a
// desktop launcher hides).
type StoreProblem struct {
	// Dir is the vault directory.
	Dir string
	// NoKeyring: the OS keyring is missing or locked (Detail says how);
	// else the encrypted file store was chosen and needs its passphrase.
	NoKeyring bool
	Detail    string
	// FileExists: the encrypted file is there (its passphrase is asked
	// once); else it is created (asked twice).
	FileExists bool
	// OpenFile opens, or creates, the encrypted file store with pass and
	// the vault on it; its error (a wrong passphrase) is shown in place.
	OpenFile func(pass []byte) error
	// OnOpened runs on the UI goroutine once OpenFile succeeded.
	OnOpened func()
}

// storeWindow is the window of a StoreProblem.
type storeWindow struct {
	win     fyne.Window
	p       StoreProblem
	message *widget.Label
	useFile *widget.Button
	// The passphrase dialog, while open.
	pass, again *widget.Entry
	problem     *errorLabel
	dialog      *dialog.CustomDialog
}

// ShowStoreProblem shows a window that says what is missing to store the
// vault's secrets and offers the encrypted file store, asking for its
// passphrase. Once the store is open the window hides and p.OnOpened runs;
// Quit quits the app.
func ShowStoreProblem(a fyne.App, p StoreProblem) fyne.Window {
	s := newStoreWindow(a, p)
	s.win.Show()
	if !p.NoKeyring {
		s.askPassphrase()
	}
	return s.win
}

func newStoreWindow(a fyne.App, p StoreProblem) *storeWindow {
	s := &storeWindow{p: p, win: a.NewWindow("Countersign: where to keep the secrets")}
	s.win.SetIcon(a.Icon())
	var text string
	if p.NoKeyring {
		text = "Countersign keeps each account's secret in the desktop's keyring, and there is none it can use: " +
			"no keyring (Secret Service) is running on this desktop, or it is locked.\n\n" +
			"Install and unlock one (gnome-keyring, KWallet, KeePassXC), then start Countersign again; " +
			"or keep the secrets in an encrypted file in the vault folder (" + p.Dir + "), opened with a passphrase at each start."
		if p.Detail != "" {
			text += "\n\nThe keyring said: " + p.Detail
		}
	} else {
		text = "The secrets of the vault in " + p.Dir + " are kept in an encrypted file: type its passphrase to open it."
	}
	s.message = wrapped(text)
	label := "Use an encrypted file…"
	if p.FileExists {
		label = "Open the encrypted file…"
	}
	s.useFile = widget.NewButtonWithIcon(label, theme.DocumentIcon(), s.askPassphrase)
	s.useFile.Importance = widget.HighImportance
	quit := widget.NewButton("Quit", a.Quit)
	title := widget.NewLabelWithStyle("Countersign cannot store secrets yet", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.win.SetContent(container.NewPadded(container.NewBorder(title, container.NewHBox(quit, s.useFile), nil, nil,
		container.NewVScroll(s.message))))
	s.win.Resize(fyne.NewSize(520, 360))
	return s
}

// askPassphrase asks for the file's passphrase: twice for a new file.
func (s *storeWindow) askPassphrase() {
	s.pass, s.again = widget.NewPasswordEntry(), widget.NewPasswordEntry()
	s.problem = newErrorLabel()
	s.pass.OnChanged = func(string) { s.fail("") }
	s.again.OnChanged = func(string) { s.fail("") }
	intro := "Passphrase of the encrypted file in " + s.p.Dir + ":"
	items := []fyne.CanvasObject{}
	if !s.p.FileExists {
		intro = "Choose a passphrase for the new encrypted file in " + s.p.Dir +
			". It is asked at each start; without it the secrets cannot be read: keep it safe."
	}
	items = append(items, wrapped(intro), s.pass)
	if !s.p.FileExists {
		items = append(items, widget.NewLabel("The same passphrase again"), s.again)
	}
	items = append(items, s.problem)
	s.pass.OnSubmitted = func(string) { s.submit() }
	s.again.OnSubmitted = func(string) { s.submit() }
	ok := widget.NewButtonWithIcon("Open", theme.ConfirmIcon(), s.submit)
	if !s.p.FileExists {
		ok.SetText("Create")
	}
	ok.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { s.dialog.Hide() })
	s.dialog = dialog.NewCustomWithoutButtons("Encrypted file", container.NewVBox(items...), s.win)
	s.dialog.SetButtons([]fyne.CanvasObject{cancel, ok})
	s.dialog.Resize(dialogSize(s.win))
	s.dialog.Show()
	s.win.Canvas().Focus(s.pass)
}

// submit opens the store, or says in the dialog what is wrong.
func (s *storeWindow) submit() {
	switch {
	case s.pass.Text == "":
		s.fail("Type the passphrase.")
		return
	case !s.p.FileExists && len(s.pass.Text) < 8:
		s.fail("Use a passphrase of at least 8 characters.")
		return
	case !s.p.FileExists && subtle.ConstantTimeCompare([]byte(s.pass.Text), []byte(s.again.Text)) != 1: // a secret: constant time
		s.fail("The two passphrases differ.")
		return
	}
	if err := s.p.OpenFile([]byte(s.pass.Text)); err != nil {
		s.pass.SetText("")
		s.fail(err.Error())
		return
	}
	s.dialog.Hide()
	s.win.Hide()
	if s.p.OnOpened != nil {
		s.p.OnOpened()
	}
}

// fail shows msg under the fields (none: hides it), the dialog growing
// or shrinking to fit.
func (s *storeWindow) fail(msg string) {
	s.problem.show(msg)
	s.dialog.Resize(dialogSize(s.win))
}

// Show shows the main window and starts the refresh, in an app already
// running (after ShowStoreProblem); Stop ends the refresh.
func (u *UI) Show() {
	u.start()
	u.win.Show()
}

// Stop ends what Show started, once the app has quit.
func (u *UI) Stop() { u.stop() }
