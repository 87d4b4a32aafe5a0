package app

import (
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/vault"
)

// dragHandle is the part of a row that drags the account to another place
// in the list: the avatar, where the pointer becomes a vertical-move cursor.
// Only the handle drags, so that on a touch screen the rest of the row
// still scrolls the list. Tapping it copies the code, as the row does.
type dragHandle struct {
	widget.BaseWidget
	row *accountRow
}

func newDragHandle(r *accountRow) *dragHandle {
	h := &dragHandle{row: r}
	h.ExtendBaseWidget(h)
	return h
}

// CreateRenderer draws nothing: the avatar under the handle shows.
func (h *dragHandle) CreateRenderer() fyne.WidgetRenderer { return emptyRenderer{} }

// emptyRenderer is the renderer of a widget that draws nothing.
type emptyRenderer struct{}

func (emptyRenderer) Layout(fyne.Size)             {}
func (emptyRenderer) MinSize() fyne.Size           { return fyne.Size{} }
func (emptyRenderer) Refresh()                     {}
func (emptyRenderer) Objects() []fyne.CanvasObject { return nil }
func (emptyRenderer) Destroy()                     {}

// Cursor says, on the desktop, that the handle moves the row up or down.
func (h *dragHandle) Cursor() desktop.Cursor { return desktop.VResizeCursor }

// Tapped copies the code, as a tap anywhere on the row does.
func (h *dragHandle) Tapped(e *fyne.PointEvent) { h.row.Tapped(e) }

// Dragged follows the pointer: the drop line shows where the row goes.
func (h *dragHandle) Dragged(e *fyne.DragEvent) { h.row.ui.dragRow(h.row, e.Dragged.DY) }

// DragEnd puts the account where the drop line was.
func (h *dragHandle) DragEnd() { h.row.ui.dropRow() }

// rowDrag is a row being dragged.
type rowDrag struct {
	account vault.Account
	from    int     // its row when the drag began
	dy      float32 // how far the pointer moved, down positive
	to      int     // the row it would take if dropped now
}

// newDropLine is the line that shows, while a row is dragged, where it
// will go.
func newDropLine() *canvas.Rectangle {
	line := canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))
	line.Hide()
	return line
}

// rowPitch is the distance between the tops of two rows of the list.
func rowPitch(r *accountRow) float32 {
	return r.Size().Height + theme.Padding()
}

// dragRow moves the drag of row r on by dy: the target row is the one the
// pointer moved to, counted in whole rows (past half a row rounds up).
func (u *UI) dragRow(r *accountRow, dy float32) {
	if u.isLocked() || len(u.shown) < 2 {
		return
	}
	if u.drag == nil {
		if r.index < 0 || r.index >= len(u.shown) || u.shown[r.index].ID != r.account.ID {
			return
		}
		u.drag = &rowDrag{account: r.account, from: r.index, to: r.index}
	}
	d := u.drag
	d.dy += dy
	pitch := rowPitch(r)
	if pitch <= 0 {
		return
	}
	to := d.from + int(math.Round(float64(d.dy/pitch)))
	to = max(0, min(to, len(u.shown)-1))
	if to != d.to || !u.dropLine.Visible() {
		d.to = to
		u.list.ScrollTo(to)
		u.showDropLine(d, pitch)
	}
}

// showDropLine draws the drop line above the target row (moving up) or
// under it (moving down); none while the target is the row's own place.
func (u *UI) showDropLine(d *rowDrag, pitch float32) {
	if d.to == d.from {
		u.dropLine.Hide()
		return
	}
	y := float32(d.to) * pitch
	if d.to > d.from {
		y += pitch - theme.Padding()
	}
	y -= u.list.GetScrollOffset()
	h := max(2, theme.Padding()/2)
	u.dropLine.FillColor = theme.Color(theme.ColorNamePrimary)
	u.dropLine.Move(fyne.NewPos(0, y-h/2))
	u.dropLine.Resize(fyne.NewSize(u.list.Size().Width, h))
	u.dropLine.Show()
	u.dropLine.Refresh()
}

// dropRow ends a drag: the account takes the target row's place in the
// user's order, saved in the vault as Move up/down saves it.
func (u *UI) dropRow() {
	d := u.drag
	u.drag = nil
	u.dropLine.Hide()
	if d == nil || d.to == d.from || d.to >= len(u.shown) || u.isLocked() {
		return
	}
	target := u.shown[d.to].ID
	for i, a := range u.vault.Accounts() {
		if a.ID == target {
			u.moveTo(d.account, i)
			return
		}
	}
}
