package app

import (
	"fmt"
	"image/color"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
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
	u.rows = map[widget.ListItemID]*accountRow{}
	u.list.Length = func() int { return len(u.shown) }
	u.list.CreateItem = func() fyne.CanvasObject { return newAccountRow(u) }
	u.list.UpdateItem = func(id widget.ListItemID, o fyne.CanvasObject) {
		r := o.(*accountRow)
		u.rows[id] = r // a row on show, not a template the list measures
		if id < len(u.shown) {
			r.show(id, u.shown[id])
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

// refreshRows shows the codes of now on the rows the list made, as the
// once-a-second tick does. It updates the rows themselves rather than
// refreshing the list: widget.List.Refresh makes a template row to measure
// and lays the whole list out again, a cost for nothing when only the
// codes and countdowns change. A row shows only what changed (see show).
func (u *UI) refreshRows() {
	for id, r := range u.rows {
		switch {
		case r.index != id:
			delete(u.rows, id) // the row was reused for another item
		case id < len(u.shown) && r.account.ID == u.shown[id].ID:
			r.show(id, u.shown[id])
		}
	}
}

// accountRow shows one account on one compact row: a letter avatar, the
// issuer over the account name (smaller and dimmer), the code right after
// them (the next code under it near the end of a period), then a small
// countdown ring (TOTP) or a Next code button (HOTP), and the … menu at
// the end.
// Long names are cut with an ellipsis before the code is. Tapping the row
// copies the code.
type accountRow struct {
	widget.BaseWidget
	ui      *UI
	index   int
	account vault.Account

	avatar       *canvas.Circle
	letter       *canvas.Text
	issuer, name *canvas.Text // as shown: cut to fit
	code         *canvas.Text
	next         *canvas.Text // next code, HOTP counter or push state; cut to fit
	left         *countdown
	hotpNext     *widget.Button
	menu         *iconButton
	handle       *dragHandle // over the avatar: drags the row (reorder.go)

	// The texts in full; Layout cuts them to the widths it gives them.
	issuerText, nameText, nextText string
	codeErr                        bool
	laidOut                        rowLayout // what the row was last laid out for
	// hotpShown: the row has shown an HOTP account, so its Next code
	// button is one of its objects from then on.
	hotpShown bool
}

func newAccountRow(u *UI) *accountRow {
	r := &accountRow{ui: u}
	r.avatar = canvas.NewCircle(color.Transparent)
	// Every text of a row is in the regular style: Fyne keeps a set of
	// fonts in memory for each style it draws (its font, its emoji font
	// and a system font), and the main window shows no other. The issuer
	// stands out by its colour and size instead of bold, and the codes
	// need no monospace font: Noto Sans's digits all have the same width
	// (TestCodeDigitsHaveOneWidth), so a code does not shift as it changes.
	r.letter = canvas.NewText("", color.White)
	r.letter.Alignment = fyne.TextAlignCenter
	r.issuer = canvas.NewText("", color.Transparent)
	r.name = canvas.NewText("", color.Transparent)
	r.code = canvas.NewText("", color.Transparent)
	r.next = canvas.NewText("", color.Transparent)
	r.left = newCountdown()
	// The Next code button joins the row's objects only on an HOTP row
	// (show): a widget.Button loads the bold fonts as soon as it is drawn
	// or refreshed, hidden or not.
	r.hotpNext = widget.NewButtonWithIcon("Next code", theme.ViewRefreshIcon(), func() { u.nextHOTP(r.account) })
	r.hotpNext.Hide()
	r.menu = newIconButton(theme.MoreHorizontalIcon(), func() { u.showRowMenu(r) })
	r.handle = newDragHandle(r)
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer draws the row.
func (r *accountRow) CreateRenderer() fyne.WidgetRenderer {
	rr := &rowRenderer{r: r, objects: []fyne.CanvasObject{
		r.avatar, r.letter, r.issuer, r.name, r.code, r.next, r.left, r.menu, r.handle,
	}}
	rr.addHOTPButton()
	rr.style()
	return rr
}

// addHOTPButton makes the Next code button one of the row's objects once
// the row has shown an HOTP account (before the menu and the drag handle,
// as it was drawn).
func (rr *rowRenderer) addHOTPButton() {
	b := fyne.CanvasObject(rr.r.hotpNext)
	if rr.r.hotpShown && !slices.Contains(rr.objects, b) {
		rr.objects = slices.Insert(rr.objects, len(rr.objects)-2, b)
	}
}

// Tapped selects the row and copies its code.
func (r *accountRow) Tapped(*fyne.PointEvent) {
	r.ui.list.Select(r.index)
	r.ui.copyCode(r.account)
}

// show fills the row with account a (row index i) and its code now. On
// most ticks only the countdown changes, and only it is redrawn.
func (r *accountRow) show(i int, a vault.Account) {
	r.index, r.account = i, a
	r.issuerText, r.nameText = a.Issuer, a.Name
	if a.Issuer == "" {
		r.issuerText, r.nameText = a.Name, ""
	}
	now := r.ui.opts.Now()
	c, err := r.ui.vault.Code(a.ID, now)
	code := ""
	r.codeErr = err != nil
	switch {
	case err != nil:
		code, r.nextText = "error", "secret unavailable"
	case a.Type == vault.HOTP:
		code, r.nextText = vault.GroupCode(c.Value), fmt.Sprintf("counter %d", a.Counter)
	default:
		code = vault.GroupCode(c.Value)
		left := c.End.Sub(now)
		switch {
		case left <= nextCodeWindow:
			r.nextText = "next " + vault.GroupCode(c.Next)
		case a.Push != nil:
			r.nextText = r.ui.connectionLabel(a.ID)
		default:
			r.nextText = ""
		}
		r.left.set(left, a.Period)
	}
	// Redraw the texts and lay the row out again only when they changed:
	// once a period, or when the row is reused for another account.
	key := rowLayout{a.ID, a.Type, r.issuerText, r.nameText, code, r.nextText, r.codeErr}
	if key != r.laidOut {
		r.laidOut = key
		r.code.Text = code
		if a.Type == vault.HOTP || err != nil {
			r.left.Hide()
		} else {
			r.left.Show()
		}
		if a.Type == vault.HOTP {
			r.hotpNext.Show()
			r.hotpShown = true
		} else {
			r.hotpNext.Hide()
		}
		r.Refresh()
	}
}

// rowLayout is what a row's texts and layout depend on.
type rowLayout struct {
	id                 string
	typ                vault.Type
	issuer, name, code string
	next               string
	codeErr            bool
}

// rowRenderer lays out an account row.
type rowRenderer struct {
	r       *accountRow
	objects []fyne.CanvasObject
}

// Text sizes of a row.
func rowTextSize() float32  { return theme.TextSize() }
func codeTextSize() float32 { return theme.Size(theme.SizeNameSubHeadingText) }
func smallTextSize() float32 {
	return theme.CaptionTextSize() + 1
}

// style gives the texts their theme's sizes and colours.
func (rr *rowRenderer) style() {
	r := rr.r
	// The issuer a size up and in the text colour, the name a size down
	// and dimmer: the issuer leads without bold (see newAccountRow).
	r.issuer.TextSize, r.name.TextSize = rowTextSize()+1, smallTextSize()
	r.code.TextSize, r.next.TextSize = codeTextSize(), smallTextSize()
	r.letter.TextSize = rowTextSize() + 2
	fg, dim := theme.Color(theme.ColorNameForeground), theme.Color(theme.ColorNamePlaceHolder)
	r.issuer.Color, r.name.Color, r.next.Color = fg, dim, dim
	r.code.Color = fg
	if r.codeErr {
		r.code.Color = theme.Color(theme.ColorNameError)
	}
	r.avatar.FillColor = avatarColour(r.issuerText)
	r.letter.Text = avatarLetter(r.issuerText)
}

// Layout places, from the left: the avatar, the names (cut to what is
// left), the code right after them, and from the right end: the … menu
// and the countdown or Next code button.
func (rr *rowRenderer) Layout(size fyne.Size) {
	r := rr.r
	pad, inner := theme.Padding(), theme.InnerPadding()
	mid := size.Height / 2
	x := inner
	if r.avatar.Visible() {
		r.avatar.Move(fyne.NewPos(x, mid-avatarSize/2))
		r.avatar.Resize(fyne.NewSquareSize(avatarSize))
		lh := fyne.MeasureText("M", r.letter.TextSize, r.letter.TextStyle).Height
		r.letter.Move(fyne.NewPos(x, mid-lh/2))
		r.letter.Resize(fyne.NewSize(avatarSize, lh))
		// The drag handle: the avatar and the margins around it, the
		// row's full height.
		r.handle.Move(fyne.NewPos(0, 0))
		r.handle.Resize(fyne.NewSize(x+avatarSize+inner/2, size.Height))
		x += avatarSize + inner
	}

	ms := r.menu.MinSize()
	end := size.Width - ms.Width
	r.menu.Move(fyne.NewPos(end, mid-ms.Height/2))
	r.menu.Resize(ms)
	if r.hotpNext.Visible() {
		bs := r.hotpNext.MinSize()
		end -= pad + bs.Width
		r.hotpNext.Move(fyne.NewPos(end, mid-bs.Height/2))
		r.hotpNext.Resize(bs)
	}
	if r.left.Visible() {
		end -= pad + countdownSize
		r.left.Move(fyne.NewPos(end, mid-countdownSize/2))
		r.left.Resize(fyne.NewSquareSize(countdownSize))
	}
	end -= inner

	// The names take what they need, up to what the code leaves them.
	cs := fyne.MeasureText(r.code.Text, r.code.TextSize, r.code.TextStyle)
	is := fyne.MeasureText(r.issuerText, r.issuer.TextSize, r.issuer.TextStyle)
	ns := fyne.MeasureText(r.nameText, r.name.TextSize, r.name.TextStyle)
	// The code's column keeps room for the next code, shown or not, so
	// that the names do not move when it shows; longer notes (push
	// states) are cut instead.
	col := cs.Width
	if r.account.Type != vault.HOTP && !r.codeErr {
		col = max(col, fyne.MeasureText("next "+r.code.Text, r.next.TextSize, r.next.TextStyle).Width)
	}
	gap := 2 * inner
	w := max(0, min(max(is.Width, ns.Width), end-gap-col-x))
	r.issuer.Text = ellipsize(r.issuerText, r.issuer.TextSize, r.issuer.TextStyle, w)
	r.name.Text = ellipsize(r.nameText, r.name.TextSize, r.name.TextStyle, w)
	ih, nh := lineHeight(r.issuer), lineHeight(r.name)
	if r.nameText == "" {
		nh = 0
	}
	top := mid - (ih+nh)/2
	r.issuer.Move(fyne.NewPos(x, top))
	r.issuer.Resize(fyne.NewSize(w, ih))
	r.name.Move(fyne.NewPos(x, top+ih))
	r.name.Resize(fyne.NewSize(w, nh))

	// The code right after the names; under it the next code, which may
	// run on to the countdown.
	x += w + gap
	ch, xh := codeHeight(r.code), lineHeight(r.next)
	top = mid - (ch+xh)/2
	r.code.Move(fyne.NewPos(x, top))
	r.code.Resize(fyne.NewSize(cs.Width, ch))
	nw := max(0, end-x)
	r.next.Text = ellipsize(r.nextText, r.next.TextSize, r.next.TextStyle, nw)
	r.next.Move(fyne.NewPos(x, top+ch))
	r.next.Resize(fyne.NewSize(nw, xh))
}

// lineHeight is the height of a line of t's size and style.
func lineHeight(t *canvas.Text) float32 {
	return fyne.MeasureText("Mg", t.TextSize, t.TextStyle).Height
}

// codeHeight is the height a code takes: down to the baseline, as digits
// have no descenders. The line below it (the next code) starts there, so
// Noto Sans's tall line leaves the row no higher than a monospace code
// did. Fyne draws a text from the top of its box whole, even when the box
// is lower than the line.
func codeHeight(t *canvas.Text) float32 {
	_, ascent := fyne.CurrentApp().Driver().RenderedTextSize("0", t.TextSize, t.TextStyle, nil)
	return ascent
}

// MinSize is a row of the tallest of its parts, as narrow as a phone allows.
func (rr *rowRenderer) MinSize() fyne.Size {
	r := rr.r
	pad, inner := theme.Padding(), theme.InnerPadding()
	names := lineHeight(r.issuer) + lineHeight(r.name)
	codes := codeHeight(r.code) + lineHeight(r.next)
	ms := r.menu.MinSize()
	h := max(names, codes, ms.Height, avatarSize, countdownSize)
	code := fyne.MeasureText("000 000", r.code.TextSize, r.code.TextStyle).Width
	w := inner + avatarSize + inner + 4*inner + 2*inner + code + inner + countdownSize + pad + ms.Width
	return fyne.NewSize(w, h+2*pad)
}

// Refresh restyles the row (a theme change, or another account) and lays
// it out again.
func (rr *rowRenderer) Refresh() {
	rr.addHOTPButton()
	rr.style()
	rr.Layout(rr.r.Size())
	for _, o := range rr.objects {
		o.Refresh()
	}
}

func (rr *rowRenderer) Objects() []fyne.CanvasObject { return rr.objects }

func (rr *rowRenderer) Destroy() {}

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
	u.moveTo(a, pos+by)
}

// moveTo puts an account at position pos of the user's order (0 is
// first), saved in the vault, and keeps it selected.
func (u *UI) moveTo(a vault.Account, pos int) {
	if err := u.vault.Move(a.ID, pos); err != nil {
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
