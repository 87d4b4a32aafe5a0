package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/vault"
)

// buildList makes the accounts list. widget.List creates only the rows on
// screen, so 500 accounts cost what a screenful does.
func (u *UI) buildList() {
	u.list = &accountList{ui: u}
	u.list.Length = func() int { return len(u.shown) }
	u.list.CreateItem = func() fyne.CanvasObject { return newAccountRow(u) }
	u.list.UpdateItem = func(id widget.ListItemID, o fyne.CanvasObject) {
		if id < len(u.shown) {
			o.(*accountRow).show(id, u.shown[id])
		}
	}
	u.list.ExtendBaseWidget(u.list)
	u.list.OnSelected = func(id widget.ListItemID) { u.current = id }
	u.list.OnUnselected = func(id widget.ListItemID) {
		if u.current == id {
			u.current = -1
		}
	}
}

// accountRow shows one account: issuer and name, the code, the time left,
// the next code near the end of a period, and its actions. Tapping it
// copies the code.
type accountRow struct {
	widget.BaseWidget
	ui      *UI
	index   int
	account vault.Account

	issuer, name *widget.Label
	code         *widget.Label
	next         *widget.Label
	left         *widget.ProgressBar
	hotpNext     *widget.Button
	hotpBox      *fyne.Container // hotpNext, centred; hidden for TOTP rows
	menu         *widget.Button
	content      *fyne.Container
	laidOut      rowLayout // what the row was last laid out for
}

func newAccountRow(u *UI) *accountRow {
	r := &accountRow{ui: u}
	r.issuer = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.issuer.Truncation = fyne.TextTruncateEllipsis
	r.name = widget.NewLabel("")
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.code = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true, Monospace: true})
	r.code.SizeName = theme.SizeNameHeadingText
	r.next = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true})
	r.next.SizeName = theme.SizeNameCaptionText
	r.left = widget.NewProgressBar()
	r.left.TextFormatter = func() string { return "" }
	r.hotpNext = widget.NewButtonWithIcon("Next code", theme.ViewRefreshIcon(), func() { u.nextHOTP(r.account) })
	r.menu = widget.NewButtonWithIcon("", theme.MoreHorizontalIcon(), func() { u.showRowMenu(r) })
	r.menu.Importance = widget.LowImportance
	labels := container.NewVBox(r.issuer, r.name)
	codes := container.NewVBox(r.code, r.next)
	r.hotpBox = container.NewCenter(r.hotpNext)
	right := container.NewHBox(codes, r.hotpBox, container.NewCenter(r.menu))
	r.content = container.NewBorder(nil, r.left, nil, right, labels)
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer draws the row's content.
func (r *accountRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.content)
}

// Tapped selects the row and copies its code.
func (r *accountRow) Tapped(*fyne.PointEvent) {
	r.ui.list.Select(r.index)
	r.ui.copyCode(r.account)
}

// show fills the row with account a (row index i) and its code now.
func (r *accountRow) show(i int, a vault.Account) {
	r.index, r.account = i, a
	r.issuer.SetText(a.Issuer)
	r.name.SetText(a.Name)
	if a.Issuer == "" {
		r.issuer.SetText(a.Name)
		r.name.SetText("")
	}
	now := r.ui.opts.Now()
	c, err := r.ui.vault.Code(a.ID, now)
	switch {
	case err != nil:
		r.code.SetText("error")
		r.next.SetText("secret unavailable")
	case a.Type == vault.HOTP:
		r.code.SetText(vault.GroupCode(c.Value))
		r.next.SetText(fmt.Sprintf("counter %d", a.Counter))
	default:
		r.code.SetText(vault.GroupCode(c.Value))
		left := c.End.Sub(now)
		switch {
		case left <= nextCodeWindow:
			r.next.SetText("next " + vault.GroupCode(c.Next))
		case a.Push != nil:
			r.next.SetText(r.ui.connectionLabel(a.ID))
		default:
			r.next.SetText("")
		}
		r.left.Max = float64(a.Period)
		r.left.SetValue(left.Seconds())
	}
	if a.Type == vault.HOTP {
		r.hotpBox.Show()
		r.left.Hide()
	} else {
		r.hotpBox.Hide()
		r.left.Show()
	}
	// Rows are reused for other accounts: refresh the whole row when what
	// decides its widths changed (not on every tick), so that its texts are
	// redrawn where the new widths put them. (Fyne's test painter, at least,
	// otherwise draws a reused row's code at its old place.)
	key := rowLayout{a.ID, a.Type, len(r.code.Text), len(r.next.Text)}
	if key != r.laidOut {
		r.laidOut = key
		r.content.Refresh()
	}
}

// rowLayout is what a row's layout depends on.
type rowLayout struct {
	id         string
	typ        vault.Type
	code, next int
}

// nextHOTP advances an HOTP account and copies its new code.
func (u *UI) nextHOTP(a vault.Account) {
	if _, err := u.vault.NextHOTP(a.ID); err != nil {
		u.setStatus(err.Error())
		return
	}
	u.filterKeepSelection()
	if acc, ok := u.vault.Account(a.ID); ok {
		u.copyCode(acc)
	}
}

// filterKeepSelection refreshes the shown accounts, keeping the selected
// account selected where it is still shown, else the same row.
func (u *UI) filterKeepSelection() {
	keep, id := u.current, ""
	if keep >= 0 && keep < len(u.shown) {
		id = u.shown[keep].ID
	}
	u.filter()
	u.selectAccount(id, keep)
}

// selectAccount selects the row of account id, or row i if it is not shown.
func (u *UI) selectAccount(id string, i int) {
	for j, acc := range u.shown {
		if acc.ID == id {
			u.selectRow(j)
			return
		}
	}
	if i >= 0 {
		u.selectRow(i)
	}
}

// showRowMenu offers rename, move and delete for one account.
func (u *UI) showRowMenu(r *accountRow) {
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(r.menu)
	widget.ShowPopUpMenuAtPosition(u.rowMenu(r.account), u.win.Canvas(), pos.Add(fyne.NewPos(0, r.menu.Size().Height)))
}

// rowMenu is the menu of one account's "…" button.
func (u *UI) rowMenu(a vault.Account) *fyne.Menu {
	return fyne.NewMenu("",
		fyne.NewMenuItem("Copy code", func() { u.copyCode(a) }),
		fyne.NewMenuItem("Rename…", func() { u.showRename(a) }),
		fyne.NewMenuItem("Move up", func() { u.move(a, -1) }),
		fyne.NewMenuItem("Move down", func() { u.move(a, +1) }),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Delete…", func() { u.confirmDelete(a) }),
	)
}

// move shifts an account one place up (-1) or down (+1) in the order.
func (u *UI) move(a vault.Account, by int) {
	pos := -1
	for i, acc := range u.vault.Accounts() {
		if acc.ID == a.ID {
			pos = i
		}
	}
	if pos < 0 {
		return
	}
	if err := u.vault.Move(a.ID, pos+by); err != nil {
		u.setStatus(err.Error())
		return
	}
	u.filter()
	u.selectAccount(a.ID, -1)
	u.refreshTray()
}

// showRename asks for a new issuer and name; a bad entry is explained in place.
func (u *UI) showRename(a vault.Account) {
	issuer := widget.NewEntry()
	issuer.SetText(a.Issuer)
	name := widget.NewEntry()
	name.SetText(a.Name)
	problem := newErrorLabel()
	issuer.OnChanged = func(string) { problem.show("") }
	name.OnChanged = func(string) { problem.show("") }
	form := container.NewVBox(
		widget.NewLabel("Issuer"), issuer,
		widget.NewLabel("Account name"), name,
		problem,
	)
	var d *dialog.CustomDialog
	save := widget.NewButtonWithIcon("Save", theme.ConfirmIcon(), func() {
		if err := u.vault.Rename(a.ID, issuer.Text, name.Text); err != nil {
			problem.show(describe(err))
			return
		}
		d.Hide()
		u.filterKeepSelection()
		u.refreshTray()
		u.setStatus("Renamed to " + labelOf(issuer.Text, name.Text))
	})
	save.Importance = widget.HighImportance
	issuer.OnSubmitted = func(string) { save.OnTapped() }
	name.OnSubmitted = func(string) { save.OnTapped() }
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons("Rename "+a.Label(), form, u.win)
	d.SetButtons([]fyne.CanvasObject{cancel, save})
	d.Resize(fyne.NewSize(360, 0))
	d.Show()
	u.win.Canvas().Focus(name)
}

func labelOf(issuer, name string) string {
	return vault.Params{Issuer: issuer, Name: name}.Label()
}

// confirmDelete asks before deleting, naming the account and the risk.
func (u *UI) confirmDelete(a vault.Account) {
	msg := wrapped("Delete " + a.Label() + "?\n\nIts secret is removed from this device. Without a backup " +
		"or another device, you cannot get its codes back, and you may be locked out of that account.")
	d := dialog.NewCustomConfirm("Delete account", "Delete", "Keep", msg, func(ok bool) {
		if !ok {
			return
		}
		if err := u.vault.Delete(a.ID); err != nil {
			u.setStatus(err.Error())
			return
		}
		u.filterKeepSelection()
		u.refreshTray()
		u.setStatus("Deleted " + a.Label())
	}, u.win)
	d.SetConfirmImportance(widget.DangerImportance)
	d.Resize(dialogSize(u.win))
	d.Show()
}

func formatSeconds(secs int) string { return fmt.Sprintf("%d s", secs) }
