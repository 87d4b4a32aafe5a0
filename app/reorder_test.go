package app

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/countersign/countersign/vault"
)

// order is the vault's accounts' labels, in the user's order.
func order(v *vault.Vault) []string {
	var out []string
	for _, a := range v.Accounts() {
		out = append(out, a.Label())
	}
	return out
}

// dragRowBy drags row i of the list by its handle, dy down (negative: up),
// as a mouse does on the window's canvas.
func dragRowBy(t *testing.T, f *fixture, i int, dy float32) {
	t.Helper()
	rows := f.rows()
	if i >= len(rows) {
		t.Fatalf("row %d of %d", i, len(rows))
	}
	h := rows[i].handle
	if h.Size().Width < avatarSize || h.Size().Height < avatarSize {
		t.Fatalf("the drag handle is %v, smaller than the avatar", h.Size())
	}
	// The middle of the handle of row i, on the window's canvas.
	list := fyne.CurrentApp().Driver().AbsolutePositionForObject(f.ui.list)
	y := float32(i)*rowPitch(rows[i]) - f.ui.list.GetScrollOffset() + h.Size().Height/2
	test.Drag(f.ui.win.Canvas(), list.Add(fyne.NewPos(h.Size().Width/2, y)), 0, dy)
}

// TestDragToReorder drags accounts by their avatar: two rows down, one
// up, less than half a row (no move), and past the end; the order is
// saved in the vault (a new process reads it) and the moved account stays
// selected. While the search filters the list, a drop takes the place of
// the account shown there.
func TestDragToReorder(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI, gitlabURI, hotpURI)
	pitch := rowPitch(f.rows()[0])
	if pitch < 40 || pitch > 80 {
		t.Fatalf("row pitch %v", pitch)
	}

	dragRowBy(t, f, 0, 2*pitch)
	if got, want := order(f.vault), []string{"GitHub (ada)", "GitLab (bob)", "RFC (sha1)", "Bank (card)"}; !slices.Equal(got, want) {
		t.Fatalf("after dragging RFC two rows down: %q, want %q", got, want)
	}
	if f.ui.current != 2 || f.ui.shown[2].Label() != "RFC (sha1)" {
		t.Fatalf("selected row %d, want RFC's, 2", f.ui.current)
	}
	if f.ui.dropLine.Visible() || f.ui.drag != nil {
		t.Fatal("the drop line or the drag outlived the drop")
	}

	dragRowBy(t, f, 3, -1*pitch)
	if got, want := order(f.vault), []string{"GitHub (ada)", "GitLab (bob)", "Bank (card)", "RFC (sha1)"}; !slices.Equal(got, want) {
		t.Fatalf("after dragging Bank one row up: %q, want %q", got, want)
	}

	dragRowBy(t, f, 0, 0.4*pitch)
	if got, want := order(f.vault), []string{"GitHub (ada)", "GitLab (bob)", "Bank (card)", "RFC (sha1)"}; !slices.Equal(got, want) {
		t.Fatalf("a drag of less than half a row moved: %q", got)
	}

	dragRowBy(t, f, 1, 20*pitch)
	want := []string{"GitHub (ada)", "Bank (card)", "RFC (sha1)", "GitLab (bob)"}
	if got := order(f.vault); !slices.Equal(got, want) {
		t.Fatalf("after dragging GitLab past the end: %q, want %q", got, want)
	}
	// Another process (the CLI, or the next start) reads the same order.
	if got := order(testVault(t, f.vault.Dir())); !slices.Equal(got, want) {
		t.Fatalf("the vault read again has %q, want %q", got, want)
	}

	// Filtered to GitHub and GitLab: dropping GitLab on GitHub's row puts
	// it where GitHub is in the whole order.
	test.Type(f.ui.search, "git")
	if len(f.ui.shown) != 2 {
		t.Fatalf("the search shows %d accounts", len(f.ui.shown))
	}
	dragRowBy(t, f, 1, -pitch)
	if got, want := order(f.vault), []string{"GitLab (bob)", "GitHub (ada)", "Bank (card)", "RFC (sha1)"}; !slices.Equal(got, want) {
		t.Fatalf("after a drag in the filtered list: %q, want %q", got, want)
	}
}

// TestDragShowsWhereTheRowGoes: during a drag the drop line is under the
// target row (moving down) or over it (moving up), and none while the
// pointer is back on the row's own place.
func TestDragShowsWhereTheRowGoes(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI, gitlabURI, hotpURI)
	rows := f.rows()
	pitch := rowPitch(rows[0])
	h := rows[1].handle
	h.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DY: pitch}})
	line := f.ui.dropLine
	centre := func() float32 { return line.Position().Y + line.Size().Height/2 }
	near := func(a, b float32) bool { return a-b < 0.01 && b-a < 0.01 }
	if want := 3*pitch - theme.Padding(); !line.Visible() || !near(centre(), want) || line.Size().Width != f.ui.list.Size().Width {
		t.Fatalf("moving down one row: line visible %v at %v, size %v; want under row 2 (y %v), as wide as the list", line.Visible(), line.Position(), line.Size(), want)
	}
	h.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DY: -2 * pitch}})
	if !line.Visible() || !near(centre(), 0) {
		t.Fatalf("moving up one row: line visible %v at %v, want over row 0 (y 0)", line.Visible(), line.Position())
	}
	h.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DY: pitch}})
	if line.Visible() {
		t.Fatal("the line shows with the row back on its place")
	}
	h.DragEnd()
	if got, want := order(f.vault), []string{"RFC (sha1)", "GitHub (ada)", "GitLab (bob)", "Bank (card)"}; !slices.Equal(got, want) {
		t.Fatalf("dropped on its own place: %q, want %q", got, want)
	}
}

// TestDragWhileLockedDoesNothing: a locked window moves nothing.
func TestDragWhileLockedDoesNothing(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI)
	rows := f.rows()
	f.ui.lock.locked = true // as lockNow sets it; the lock screen's own tests cover the rest
	rows[0].handle.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DY: 3 * rowPitch(rows[0])}})
	rows[0].handle.DragEnd()
	if got, want := order(f.vault), []string{"RFC (sha1)", "GitHub (ada)"}; !slices.Equal(got, want) || f.ui.dropLine.Visible() {
		t.Fatalf("a drag while locked: %q (want %q), line %v", got, want, f.ui.dropLine.Visible())
	}
}
