package app

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/internal/authenticator"
	"github.com/countersign/countersign/vault"
)

// imageExtensions are the image files the scanner reads.
var imageExtensions = []string{".png", ".jpg", ".jpeg", ".gif", ".webp"}

// addScreen is the "Add account" dialog: scan the screen, open or drop an
// image, or type the key in.
type addScreen struct {
	ui     *UI
	dialog *dialog.CustomDialog
	result *widget.Label
	form   *manualForm
	tabs   *container.AppTabs
}

// showAdd opens the "Add account" dialog.
func (u *UI) showAdd() {
	s := &addScreen{ui: u}
	s.result = widget.NewLabel("")
	s.result.Wrapping = fyne.TextWrapWord
	scanScreen := widget.NewButtonWithIcon("Scan the screen", theme.ComputerIcon(), s.scanScreen)
	scanScreen.Importance = widget.HighImportance
	openImage := widget.NewButtonWithIcon("Open an image…", theme.FolderOpenIcon(), s.openImage)
	intro := widget.NewLabel("Show the QR code on screen (for example on the sign-up page), then:")
	intro.Wrapping = fyne.TextWrapWord
	scan := container.NewVBox(
		intro,
		scanScreen,
		openImage,
		widget.NewLabel("Or drop an image file on the window."),
		s.result,
	)
	s.form = newManualForm(s.addManual)
	s.tabs = container.NewAppTabs(
		container.NewTabItem("Scan QR code", scan),
		container.NewTabItem("Enter key", s.form.content),
	)
	s.dialog = dialog.NewCustom("Add account", "Close", s.tabs, u.win)
	// As tall as the window allows: the typed-in form scrolls, and should
	// show as much of itself as it can.
	size := u.win.Canvas().Size()
	s.dialog.Resize(fyne.NewSize(max(size.Width-40, 380), max(size.Height-40, 480)))
	u.adding = s
	s.dialog.SetOnClosed(func() { u.adding = nil })
	s.dialog.Show()
}

// scanScreen hides the window so it does not cover the code, captures the
// screen, shows the window again and adds what it found.
func (s *addScreen) scanScreen() {
	u := s.ui
	u.win.Hide()
	go func() {
		time.Sleep(300 * time.Millisecond) // let the window manager hide the window
		texts, err := u.opts.ScanScreen()
		u.do(func() {
			u.win.Show()
			s.report(texts, err)
		})
	}()
}

// openImage lets the user pick an image file and adds the codes in it.
func (s *addScreen) openImage() {
	d := dialog.NewFileOpen(s.imageChosen, s.ui.win)
	d.SetFilter(storage.NewExtensionFileFilter(imageExtensions))
	d.Show()
}

// imageChosen adds the codes in the image picked in the open dialog.
func (s *addScreen) imageChosen(r fyne.URIReadCloser, err error) {
	if err != nil {
		s.report(nil, err)
		return
	}
	if r == nil {
		return // cancelled
	}
	path := r.URI().Path()
	r.Close()
	texts, err := s.ui.opts.DecodeFile(path)
	s.report(texts, err)
}

// report adds the scanned texts and shows what happened.
func (s *addScreen) report(texts []string, err error) {
	if err != nil {
		s.result.SetText(describeScanError(err))
		return
	}
	msg, added := s.ui.addTexts(texts)
	s.result.SetText(msg)
	if added > 0 {
		s.dialog.Hide()
		s.ui.setStatus(strings.ReplaceAll(msg, "\n", " "))
	}
}

// dropped handles files dropped on the window: every QR code in them is added.
func (u *UI) dropped(_ fyne.Position, uris []fyne.URI) {
	var texts []string
	var problems []string
	for _, uri := range uris {
		found, err := u.opts.DecodeFile(uri.Path())
		if err != nil {
			problems = append(problems, describeScanError(err))
			continue
		}
		texts = append(texts, found...)
	}
	msg, _ := u.addTexts(texts)
	if len(texts) == 0 {
		msg = ""
	}
	msg = strings.TrimSpace(strings.Join(append(problems, msg), "\n"))
	if u.adding != nil {
		u.adding.result.SetText(msg)
		if len(texts) > 0 && len(problems) == 0 {
			u.adding.dialog.Hide()
		}
	}
	u.setStatus(strings.ReplaceAll(msg, "\n", " "))
}

// countAccounts says "1 account" or "n accounts".
func countAccounts(n int) string {
	if n == 1 {
		return "1 account"
	}
	return fmt.Sprintf("%d accounts", n)
}

func describeScanError(err error) string {
	return "Could not read a QR code: " + err.Error()
}

// addTexts adds the accounts found in scanned QR texts and returns a
// sentence saying what happened, and how many accounts were added.
func (u *UI) addTexts(texts []string) (string, int) {
	if len(texts) == 0 {
		return "No QR code found.", 0
	}
	var lines []string
	added := 0
	for _, text := range texts {
		line, n := u.addText(text)
		lines = append(lines, line)
		added += n
	}
	if added > 0 {
		u.accountsAdded()
	}
	return strings.Join(lines, "\n"), added
}

func (u *UI) addText(text string) (string, int) {
	t, err := authenticator.Read(text)
	switch t.Kind {
	case authenticator.Migration:
		if err != nil {
			return err.Error(), 0
		}
		m := t.Migration
		accounts, err := u.vault.AddAll(m.Keys)
		if err != nil {
			return "Nothing added from the Google Authenticator export: " + describe(err), 0
		}
		if len(accounts) > 0 {
			u.lastAdded = accounts[0].ID
		}
		batch := ""
		if m.BatchSize > 1 {
			batch = fmt.Sprintf(" (code %d of %d: scan the others too)", m.BatchIndex+1, m.BatchSize)
		}
		return fmt.Sprintf("Added %s from Google Authenticator%s.", countAccounts(len(accounts)), batch), len(accounts)
	case authenticator.Activation:
		if err != nil {
			return err.Error(), 0
		}
		go u.activate(text)
		return "Activating " + t.Activation.Account + " with " + t.Activation.URL + "…", 0
	case authenticator.OTPAuth:
		if err != nil {
			return "This QR code's key is not valid: " + describe(err), 0
		}
		k := t.Key
		a, err := u.vault.Add(k)
		if err != nil {
			return k.Label() + ": " + describe(err), 0
		}
		u.lastAdded = a.ID
		return "Added " + a.Label() + ".", 1
	}
	return "This QR code is not an authenticator code (it does not start with otpauth://).", 0
}

// activate runs an activation off the UI goroutine and reports on it.
func (u *UI) activate(uri string) {
	res, err := authenticator.ActivateAccount(u.push.ctx, u.vault, uri, authenticator.DeviceName())
	a := res.Account
	u.do(func() {
		if err != nil {
			u.setStatus("Activation failed: " + err.Error())
			if u.adding != nil {
				u.adding.result.SetText("Activation failed: " + err.Error())
			}
			return
		}
		if u.adding != nil {
			u.adding.dialog.Hide()
		}
		u.lastAdded = a.ID
		u.accountsAdded()
		if res.Pending {
			u.showApprovalWait(res)
			u.setStatus("Activated " + a.Label() + ": it waits for approval on your other device.")
		} else {
			u.setStatus("Activated " + a.Label() + ": sign-in requests will appear here.")
		}
		u.startPush()
	})
}

// showApprovalWait tells the user of a device that waits for an approval
// what to do on their other device, the number to type in large; the
// dialog closes by itself once the device is approved or turned away.
func (u *UI) showApprovalWait(res authenticator.Activated) {
	msg := widget.NewLabel(res.ApprovalMessage())
	msg.Wrapping = fyne.TextWrapWord
	number := widget.NewLabelWithStyle(res.ApprovalNumber, fyne.TextAlignCenter, fyne.TextStyle{Bold: true, Monospace: true})
	number.SizeName = theme.SizeNameHeadingText
	hint := widget.NewLabel("This closes by itself once the device is approved.")
	hint.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("Waiting for approval", "Close", container.NewVBox(msg, number, hint), u.win)
	u.push.approvals[res.Account.ID] = d
	d.Resize(fyne.NewSize(380, 0))
	d.Show()
}

// addManual adds the key typed in the form, or shows what is wrong.
func (s *addScreen) addManual(k vault.Key) {
	a, err := s.ui.vault.Add(k)
	if err != nil {
		s.form.showError(err)
		return
	}
	s.dialog.Hide()
	s.ui.lastAdded = a.ID
	s.ui.accountsAdded()
	s.ui.setStatus("Added " + a.Label() + ".")
}

// accountsAdded shows the accounts just added: the search is cleared so
// that they are not hidden by it, the one added last is selected and
// scrolled to, and the tray menu follows.
func (u *UI) accountsAdded() {
	u.search.SetText("")
	u.filter()
	if u.lastAdded != "" {
		u.selectAccount(u.lastAdded, -1)
		u.lastAdded = ""
	}
	u.refreshTray()
}

// forgetPasted clears the clipboard after an account was added from the
// link pasted from it (text): the link holds the secret. Only if it still
// holds that link: something copied since stays.
func forgetPasted(c fyne.Clipboard, text string, added int) {
	if added > 0 && strings.TrimSpace(c.Content()) == text {
		c.SetContent("")
	}
}

// manualForm is the "Enter key" form, with its advanced fields.
type manualForm struct {
	issuer, name, secret *widget.Entry
	typ, algorithm       *widget.Select
	digits               *widget.Select
	period, counter      *widget.Entry
	advanced             *widget.Accordion
	errors               map[string]*errorLabel
	general              *errorLabel
	content              fyne.CanvasObject
	scroll               *container.Scroll
	submit               *widget.Button
}

func newManualForm(onSubmit func(vault.Key)) *manualForm {
	f := &manualForm{errors: map[string]*errorLabel{}, general: newErrorLabel()}
	f.issuer = widget.NewEntry()
	f.issuer.SetPlaceHolder("e.g. GitHub")
	f.name = widget.NewEntry()
	f.name.SetPlaceHolder("e.g. ada@example.com")
	f.secret = widget.NewEntry()
	f.secret.SetPlaceHolder("base32, e.g. JBSW Y3DP EHPK 3PXP")
	f.typ = widget.NewSelect([]string{"Time-based (TOTP)", "Counter-based (HOTP)", "Steam Guard"}, nil)
	f.typ.SetSelectedIndex(0)
	f.algorithm = widget.NewSelect([]string{"SHA1", "SHA256", "SHA512"}, nil)
	f.algorithm.SetSelected("SHA1")
	f.digits = widget.NewSelect([]string{"6", "7", "8", "9", "10"}, nil)
	f.digits.SetSelected("6")
	f.period = widget.NewEntry()
	f.period.SetText("30")
	f.counter = widget.NewEntry()
	f.counter.SetText("0")
	for _, field := range []string{"issuer", "name", "secret", "type", "algorithm", "digits", "period", "counter"} {
		f.errors[field] = newErrorLabel()
	}
	row := func(label string, field string, w fyne.CanvasObject) fyne.CanvasObject {
		return container.NewVBox(widget.NewLabel(label), w, f.errors[field])
	}
	advanced := container.NewVBox(
		row("Type", "type", f.typ),
		row("Algorithm", "algorithm", f.algorithm),
		row("Digits", "digits", f.digits),
		row("Period (seconds)", "period", f.period),
		row("Counter", "counter", f.counter),
	)
	f.advanced = widget.NewAccordion(widget.NewAccordionItem("Advanced", advanced))
	submit := func() {
		f.showError(nil)
		k, err := f.key()
		if err != nil {
			f.showError(err)
			return
		}
		onSubmit(k)
	}
	f.submit = widget.NewButtonWithIcon("Add account", theme.ContentAddIcon(), submit)
	// Enter in a field adds; a change hides the errors it fixed.
	for field, e := range map[string]*widget.Entry{"issuer": f.issuer, "name": f.name, "secret": f.secret, "period": f.period, "counter": f.counter} {
		e.OnSubmitted = func(string) { submit() }
		e.OnChanged = func(string) { f.recheck(field) }
	}
	for field, s := range map[string]*widget.Select{"type": f.typ, "algorithm": f.algorithm, "digits": f.digits} {
		s.OnChanged = func(string) { f.recheck(field) }
	}
	f.submit.Importance = widget.HighImportance
	f.scroll = container.NewVScroll(container.NewVBox(
		row("Issuer", "issuer", f.issuer),
		row("Account name", "name", f.name),
		row("Secret key", "secret", f.secret),
		f.advanced,
	))
	// The button and a problem with the whole key stay in sight below the
	// fields, which scroll.
	f.content = container.NewBorder(nil, container.NewVBox(f.general, f.submit), nil, nil, f.scroll)
	return f
}

// recheck hides the error under field once the field is fixed (the form
// no longer finds it wrong), and the problem with the whole key on any
// change; no new error shows until the user adds again.
func (f *manualForm) recheck(field string) {
	f.general.show("")
	l := f.errors[field]
	if l == nil || !l.Visible() {
		return
	}
	_, err := f.key()
	var fe *vault.FieldError
	if !errors.As(err, &fe) || fe.Field != field {
		l.show("")
	}
}

// key builds the key from the form, checking every field.
func (f *manualForm) key() (vault.Key, error) {
	var k vault.Key
	k.Issuer, k.Name = f.issuer.Text, f.name.Text
	switch f.typ.SelectedIndex() {
	case 1:
		k.Type = vault.HOTP
	case 2:
		k.Type = vault.Steam
	default:
		k.Type = vault.TOTP
	}
	k.Algorithm = vault.Algorithm(f.algorithm.Selected)
	k.Digits, _ = strconv.Atoi(f.digits.Selected)
	if k.Type != vault.HOTP {
		p, err := strconv.Atoi(strings.TrimSpace(f.period.Text))
		if err != nil || p < 1 || p > vault.MaxPeriod {
			return k, &vault.FieldError{Field: "period", Problem: fmt.Sprintf("must be a whole number of seconds from 1 to %d (usually 30)", vault.MaxPeriod)}
		}
		k.Period = p
	} else {
		c, err := strconv.ParseUint(strings.TrimSpace(f.counter.Text), 10, 64)
		if err != nil {
			return k, &vault.FieldError{Field: "counter", Problem: "must be a whole number, 0 or more"}
		}
		k.Counter = c
	}
	secret, err := vault.DecodeSecret(f.secret.Text)
	if err != nil {
		return k, err
	}
	k.Secret = secret
	k.Normalize()
	return k, k.Validate()
}

// showError shows err under the field it names, or under the form; nil clears all.
func (f *manualForm) showError(err error) {
	for _, l := range f.errors {
		l.show("")
	}
	f.general.show("")
	if err == nil {
		return
	}
	var fe *vault.FieldError
	if errors.As(err, &fe) {
		if l, ok := f.errors[fe.Field]; ok {
			l.show(fieldTitle(fe.Field) + " " + fe.Problem + ".")
			if !slices.Contains([]string{"issuer", "name", "secret"}, fe.Field) {
				f.advanced.Open(0) // the field is among the advanced ones
			}
			f.scrollTo(l)
			return
		}
	}
	f.general.show(describe(err))
}

// scrollTo scrolls the fields so that o (an error under a field) is in sight.
func (f *manualForm) scrollTo(o fyne.CanvasObject) {
	f.scroll.Refresh() // lay out the error just shown
	d := fyne.CurrentApp().Driver()
	top := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(f.scroll).Y
	bottom := top + o.Size().Height
	switch view := f.scroll.Size().Height; {
	case top < 0:
		f.scroll.ScrollToOffset(fyne.NewPos(0, f.scroll.Offset.Y+top))
	case bottom > view:
		f.scroll.ScrollToOffset(fyne.NewPos(0, f.scroll.Offset.Y+bottom-view))
	}
}
