package app

import (
	"crypto/subtle"
	"fmt"
	"os"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/internal/authenticator"
	"github.com/countersign/countersign/internal/qr"
	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/vault"
	"github.com/countersign/countersign/vault/transfer"
)

// prefBackedUpIDs remembers which accounts the last backup held, for the
// reminder.
const prefBackedUpIDs = "backed_up_ids"

// backupTo writes an encrypted Countersign backup of every account to path.
func (u *UI) backupTo(path string, passphrase []byte) error {
	return u.backupAccountsTo(u.vault.Accounts(), path, passphrase)
}

// backupAccountsTo writes an encrypted Countersign backup of accounts to
// path.
func (u *UI) backupAccountsTo(accounts []vault.Account, path string, passphrase []byte) error {
	e, err := authenticator.CollectExport(u.vault, accounts, transfer.Countersign)
	if err != nil {
		return err
	}
	keys := e.Keys
	var ids []string
	for _, a := range accounts {
		ids = append(ids, a.ID)
	}
	data, err := transfer.Encode(transfer.Countersign, keys, passphrase)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing the backup: %w", err)
	}
	u.app.Preferences().SetStringList(prefBackedUpIDs, ids)
	u.setStatus(fmt.Sprintf("Backed up %d accounts to %s.", len(keys), path))
	return nil
}

// exportChoice is the checklist of accounts shown before an export's
// format or password step: every account, all ticked.
type exportChoice struct {
	accounts []vault.Account
	checks   []*widget.Check
	next     *widget.Button
	dialog   *dialog.CustomDialog
}

// chosen returns the ticked accounts.
func (c *exportChoice) chosen() []vault.Account {
	var out []vault.Account
	for i, a := range c.accounts {
		if c.checks[i].Checked {
			out = append(out, a)
		}
	}
	return out
}

// refresh counts the ticked accounts on the Next button.
func (c *exportChoice) refresh() {
	n := len(c.chosen())
	c.next.SetText(fmt.Sprintf("Next: %d account(s)", n))
	if n == 0 {
		c.next.Disable()
	} else {
		c.next.Enable()
	}
}

// chooseExport shows the checklist of the accounts to export, titled
// title; Next goes on to then with the ticked ones.
func (u *UI) chooseExport(title string, then func([]vault.Account)) *exportChoice {
	c := &exportChoice{accounts: u.vault.Accounts()}
	list := container.NewVBox()
	for _, a := range c.accounts {
		check := widget.NewCheck(textsafe.Clean(a.Label()), func(bool) { c.refresh() })
		check.Checked = true
		c.checks = append(c.checks, check)
		list.Add(check)
	}
	c.next = widget.NewButton("", func() {
		chosen := c.chosen()
		c.dialog.Hide()
		then(chosen)
	})
	c.next.Importance = widget.HighImportance
	all := widget.NewButton("All", func() { c.tickAll(true) })
	none := widget.NewButton("None", func() { c.tickAll(false) })
	c.refresh()
	scroll := container.NewVScroll(list)
	scroll.SetMinSize(fyne.NewSize(0, 260))
	c.dialog = dialog.NewCustomWithoutButtons(title, container.NewBorder(
		container.NewVBox(wrapped("Choose the accounts to export:"), container.NewHBox(all, none)),
		container.NewHBox(widget.NewButton("Cancel", func() { c.dialog.Hide() }), c.next), nil, nil, scroll), u.win)
	c.dialog.Resize(dialogSize(u.win))
	c.dialog.Show()
	return c
}

// tickAll ticks or unticks every account.
func (c *exportChoice) tickAll(on bool) {
	for _, check := range c.checks {
		check.Checked = on
		check.Refresh()
	}
	c.refresh()
}

// notBackedUp counts the accounts added since the last backup.
func (u *UI) notBackedUp() int {
	done := u.app.Preferences().StringList(prefBackedUpIDs)
	n := 0
	for _, a := range u.vault.Accounts() {
		if !slices.Contains(done, a.ID) {
			n++
		}
	}
	return n
}

// remindBackup says, gently, when accounts were added since the last backup.
func (u *UI) remindBackup() {
	if n := u.notBackedUp(); n > 0 && u.status.Text == "" {
		// Short enough to show whole in a phone-sized window (360 px).
		accounts := "accounts"
		if n == 1 {
			accounts = "account"
		}
		u.setStatus(fmt.Sprintf("%d %s not backed up: Settings → Back up…", n, accounts))
	}
}

// restorePlan is what an import (or a restore) would do, shown before it
// is done (see authenticator.ImportPlan).
type restorePlan struct {
	authenticator.ImportPlan
}

// add returns the new accounts.
func (p restorePlan) add() []vault.Key { return p.New() }

// duplicateLabel names a duplicate entry: the account of the file, and
// the one already here when it is named otherwise.
func duplicateLabel(e authenticator.ImportEntry) string {
	l := e.Key.Label()
	switch {
	case e.TwiceInFile:
		l += " (twice in the file)"
	case e.InVault.Label() != l:
		l += " = " + e.InVault.Label()
	}
	return l
}

// describe sums the plan up in text.
func (p restorePlan) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d account(s) to add", len(p.add()))
	for _, e := range p.Entries {
		if !e.Duplicate {
			b.WriteString("\n  + " + textsafe.Clean(e.Key.Label()))
		}
	}
	for _, e := range p.Entries {
		if e.Duplicate {
			b.WriteString("\n  = " + textsafe.Clean(duplicateLabel(e)) + " (already here)")
		}
	}
	for _, s := range p.Skipped {
		b.WriteString("\n  – " + textsafe.Clean(s.Label) + ": " + textsafe.Clean(s.Reason))
	}
	return b.String()
}

// readImportFile reads a file to import: its bytes, or, for an image, the
// text of its QR codes of accounts (a Google Authenticator export).
func (u *UI) readImportFile(path string) ([]byte, error) {
	return authenticator.ReadImport(path, func(name string, _ []byte) ([]string, error) { return u.opts.DecodeFile(name) })
}

// planRestore reads an export of any format Countersign knows (detected)
// and says what importing it would add. password opens an encrypted file.
func (u *UI) planRestore(data, password []byte) (restorePlan, error) {
	p, err := authenticator.DecodeImport(u.vault, "", data, password)
	return restorePlan{p}, err
}

// applyRestore adds the accounts chosen among the plan's new ones: all or
// none.
func (u *UI) applyRestore(chosen []vault.Key, p restorePlan) error {
	if _, err := authenticator.ApplyImport(u.vault, chosen); err != nil {
		return err
	}
	u.accountsAdded()
	u.setStatus(fmt.Sprintf("Imported %d account(s); %d already here.", len(chosen), p.Duplicates()))
	return nil
}

// showBackup asks which accounts to back up, then for a passphrase
// (twice) and a file, then backs them up.
func (u *UI) showBackup() { u.chooseBackup() }

// chooseBackup is showBackup's first step, the checklist of accounts.
func (u *UI) chooseBackup() *exportChoice { return u.chooseExport("Back up", u.showBackupOf) }

// showBackupOf asks for a passphrase (twice) and a file, then backs up
// accounts.
func (u *UI) showBackupOf(accounts []vault.Account) {
	pass, again := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	problem := newErrorLabel()
	pass.OnChanged = func(string) { problem.show("") }
	again.OnChanged = func(string) { problem.show("") }
	form := container.NewVBox(
		wrapped(fmt.Sprintf("The backup holds the secrets of %d account(s), encrypted with this passphrase. Without the passphrase it cannot be restored: keep it safe.", len(accounts))),
		widget.NewLabel("Passphrase"), pass, widget.NewLabel("The same passphrase again"), again, problem)
	var d *dialog.CustomDialog
	save := widget.NewButton("Choose where to save…", func() {
		if len(pass.Text) < 8 {
			problem.show("Use a passphrase of at least 8 characters.")
			d.Resize(dialogSize(u.win)) // room for the message
			return
		}
		if subtle.ConstantTimeCompare([]byte(pass.Text), []byte(again.Text)) != 1 { // a secret: constant time
			problem.show("The two passphrases differ.")
			d.Resize(dialogSize(u.win))
			return
		}
		fd := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return
			}
			path := w.URI().Path()
			w.Close()
			if err := u.backupAccountsTo(accounts, path, []byte(pass.Text)); err != nil {
				problem.show(err.Error())
				return
			}
			d.Hide()
		}, u.win)
		fd.SetFileName("countersign-backup.json")
		fd.Show()
	})
	save.Importance = widget.HighImportance
	d = dialog.NewCustom("Back up", "Cancel", container.NewVBox(form, save), u.win)
	d.Resize(dialogSize(u.win))
	d.Show()
}

// googleExport is the "Export to Google Authenticator" screen: the export's
// QR codes, one batch at a time, to scan with a phone.
type googleExport struct {
	uris  []string
	index int
	image *canvas.Image
	label *widget.Label
	// leftOut names the accounts Google Authenticator cannot hold.
	leftOut *widget.Label
	dialog  *dialog.CustomDialog
}

// showGoogleExport asks which accounts to export, then shows them as
// Google Authenticator export QR codes; accounts Google cannot hold are
// left out and named.
func (u *UI) showGoogleExport() { u.chooseGoogleExport() }

// chooseGoogleExport is showGoogleExport's first step, the checklist of
// accounts.
func (u *UI) chooseGoogleExport() *exportChoice {
	return u.chooseExport("Export to Google Authenticator", u.showGoogleExportOf)
}

// leftOutText names the accounts Google Authenticator cannot hold.
func leftOutText(left []transfer.Skipped) string {
	var b strings.Builder
	for _, s := range left {
		b.WriteString("\n  – " + textsafe.Clean(s.Label) + ": " + textsafe.Clean(s.Reason))
	}
	return b.String()
}

// showGoogleExportOf shows accounts as Google Authenticator export QR
// codes.
func (u *UI) showGoogleExportOf(accounts []vault.Account) {
	e, err := authenticator.CollectExport(u.vault, accounts, transfer.Google)
	if err != nil {
		dialog.ShowError(err, u.win)
		return
	}
	keys, left := e.Keys, e.LeftOut
	if len(keys) == 0 {
		d := dialog.NewCustom("Export to Google Authenticator", "Close",
			wrapped("Google Authenticator cannot hold any of these accounts:"+leftOutText(left)), u.win)
		d.Resize(dialogSize(u.win))
		d.Show()
		return
	}
	uris, err := transfer.GoogleBatches(keys, transfer.GoogleBatchSize)
	if err != nil {
		dialog.ShowError(err, u.win)
		return
	}
	g := &googleExport{uris: uris, label: widget.NewLabel(""), leftOut: wrapped("")}
	if len(left) > 0 {
		g.leftOut.SetText(fmt.Sprintf("%d account(s) left out, as Google Authenticator cannot hold them:", len(left)) + leftOutText(left))
	} else {
		g.leftOut.Hide()
	}
	g.image = canvas.NewImageFromImage(nil)
	g.image.FillMode = canvas.ImageFillContain
	g.image.ScaleMode = canvas.ImageScalePixels
	g.image.SetMinSize(fyne.NewSize(320, 320))
	prev := widget.NewButton("Previous", func() { g.show(g.index - 1) })
	next := widget.NewButton("Next", func() { g.show(g.index + 1) })
	g.show(0)
	content := container.NewVBox(
		wrapped("In Google Authenticator: Transfer accounts → Import accounts, then scan:"),
		g.image, g.label, container.NewHBox(prev, next),
		wrapped("These codes hold your secrets: close this when done."), g.leftOut,
	)
	g.dialog = dialog.NewCustom("Export to Google Authenticator", "Done", content, u.win)
	u.googleExport = g
	g.dialog.Resize(dialogSize(u.win))
	g.dialog.SetOnClosed(func() { u.googleExport = nil })
	g.dialog.Show()
}

// show displays batch i.
func (g *googleExport) show(i int) {
	g.index = max(0, min(i, len(g.uris)-1))
	img, err := qr.Image(g.uris[g.index], 600)
	if err != nil {
		g.label.SetText(err.Error())
		return
	}
	g.image.Image = img
	g.image.Refresh()
	g.label.SetText(fmt.Sprintf("QR code %d of %d", g.index+1, len(g.uris)))
}
