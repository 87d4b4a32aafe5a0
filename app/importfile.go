package app

import (
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/vault"
	"github.com/countersign/countersign/vault/transfer"
)

// showRestore picks a file of any format Countersign imports (a backup,
// another authenticator's export, an image of export QR codes), asks for
// its password if it is encrypted, shows what it would add, and adds the
// accounts the user keeps ticked.
func (u *UI) showRestore() {
	fd := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		u.importFile(path)
	}, u.win)
	fd.Show()
}

// importFile reads path and goes on with the password, if needed, and the
// preview.
func (u *UI) importFile(path string) {
	data, err := u.readImportFile(path)
	if err != nil {
		dialog.ShowError(err, u.win)
		return
	}
	d, err := transfer.Detect(data)
	if err != nil {
		dialog.ShowError(fmt.Errorf("%s: %w", path, err), u.win)
		return
	}
	if !transfer.Encrypted(d.Format, data) {
		plan, err := u.planRestore(data, nil)
		if err != nil {
			dialog.ShowError(err, u.win)
			return
		}
		u.showImportPreview(path, plan)
		return
	}
	u.askImportPassword(path, d.Format, data)
}

// importPassword is the dialog that asks for an encrypted file's password.
// A wrong password keeps it open, with the error under the field.
type importPassword struct {
	entry   *widget.Entry
	problem *errorLabel
	open    *widget.Button
	dialog  *dialog.CustomDialog
}

// say shows a problem under the field, and lays the dialog out again to
// make room for it.
func (p *importPassword) say(msg string) {
	p.problem.show(msg)
	p.dialog.Resize(fyne.NewSize(460, 0))
}

// askImportPassword asks for the password of an encrypted file, naming
// the file and its app so that it is not taken for the vault's passphrase.
func (u *UI) askImportPassword(path string, format transfer.Format, data []byte) *importPassword {
	p := &importPassword{entry: widget.NewPasswordEntry(), problem: newErrorLabel()}
	intro := widget.NewLabel(fmt.Sprintf("%s is encrypted (%s). Type the password it was exported with: the file's password, not this app's.", path, format.AppName()))
	intro.Wrapping = fyne.TextWrapWord
	try := func() {
		plan, err := u.planRestore(data, []byte(p.entry.Text))
		if errors.Is(err, transfer.ErrWrongPassphrase) {
			p.say("That password does not open the file; try again.")
			u.win.Canvas().Focus(p.entry)
			return
		}
		if err != nil {
			p.say(err.Error())
			return
		}
		p.dialog.Hide()
		u.showImportPreview(path, plan)
	}
	p.entry.OnSubmitted = func(string) { try() }
	p.entry.OnChanged = func(string) { p.problem.Hide() }
	p.open = widget.NewButton("Open", try)
	p.open.Importance = widget.HighImportance
	p.dialog = dialog.NewCustomWithoutButtons("Password of the file", container.NewVBox(intro, p.entry, p.problem,
		container.NewHBox(widget.NewButton("Cancel", func() { p.dialog.Hide() }), p.open)), u.win)
	p.dialog.Resize(fyne.NewSize(460, 0))
	p.dialog.Show()
	u.win.Canvas().Focus(p.entry)
	return p
}

// importPreview is the table of what an import would add: one row per
// account of the file, new ones ticked (untick to leave one out),
// duplicates shown but not added.
type importPreview struct {
	plan   restorePlan
	checks []*widget.Check // per entry; nil for a duplicate
	add    *widget.Button
	dialog *dialog.CustomDialog
}

// chosen returns the ticked accounts.
func (p *importPreview) chosen() []vault.Key {
	var out []vault.Key
	for i, e := range p.plan.Entries {
		if p.checks[i] != nil && p.checks[i].Checked {
			out = append(out, e.Key)
		}
	}
	return out
}

// refresh names the count on the Add button.
func (p *importPreview) refresh() {
	n := len(p.chosen())
	p.add.SetText(fmt.Sprintf("Add %d account(s)", n))
	if n == 0 {
		p.add.Disable()
	} else {
		p.add.Enable()
	}
}

// showImportPreview shows the plan as a table to choose from.
func (u *UI) showImportPreview(path string, plan restorePlan) *importPreview {
	p := &importPreview{plan: plan, checks: make([]*widget.Check, len(plan.Entries))}
	// Each row: the tick, in a column as wide as a check box, then issuer,
	// account and state in equal columns.
	tickWidth := widget.NewCheck("", nil).MinSize().Width
	row := func(tick fyne.CanvasObject, cells ...fyne.CanvasObject) fyne.CanvasObject {
		slot := container.NewGridWrap(fyne.NewSize(tickWidth, tick.MinSize().Height), tick)
		return container.NewBorder(nil, nil, slot, nil, container.NewGridWithColumns(len(cells), cells...))
	}
	grid := container.NewVBox(row(widget.NewLabel(""), bold("Issuer"), bold("Account"), bold("")))
	for i, e := range plan.Entries {
		var tick fyne.CanvasObject = widget.NewLabel("")
		state := "new"
		if !e.Duplicate {
			c := widget.NewCheck("", nil)
			c.SetChecked(true)
			c.OnChanged = func(bool) { p.refresh() }
			p.checks[i], tick = c, c
		} else {
			state = "already here"
		}
		issuer, name := widget.NewLabel(textsafe.Clean(e.Key.Issuer)), widget.NewLabel(textsafe.Clean(e.Key.Name))
		issuer.Truncation, name.Truncation = fyne.TextTruncateEllipsis, fyne.TextTruncateEllipsis
		grid.Add(row(tick, issuer, name, widget.NewLabel(state)))
	}
	parts := []fyne.CanvasObject{}
	summary := widget.NewLabel(fmt.Sprintf("%s (%s): %d account(s), %d new.", path, plan.Format.AppName(), len(plan.Entries), len(plan.add())))
	summary.Wrapping = fyne.TextWrapWord
	parts = append(parts, summary)
	for _, s := range plan.Skipped {
		l := widget.NewLabel("Not kept: " + textsafe.Clean(s.Label) + ": " + textsafe.Clean(s.Reason))
		l.Wrapping = fyne.TextWrapWord
		parts = append(parts, l)
	}
	p.add = widget.NewButton("", func() {
		if err := u.applyRestore(p.chosen(), plan); err != nil {
			dialog.ShowError(err, u.win)
			return
		}
		p.dialog.Hide()
	})
	p.add.Importance = widget.HighImportance
	p.refresh()
	scroll := container.NewVScroll(grid)
	scroll.SetMinSize(fyne.NewSize(520, 260))
	p.dialog = dialog.NewCustomWithoutButtons("Import", container.NewBorder(container.NewVBox(parts...),
		container.NewHBox(widget.NewButton("Cancel", func() { p.dialog.Hide() }), p.add), nil, nil, scroll), u.win)
	p.dialog.Resize(fyne.NewSize(600, 460))
	p.dialog.Show()
	return p
}

// bold is a bold label, for table headings.
func bold(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}
