package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// dialogWidth is the width of a dialog of text: a sentence of a dozen
// words a line. On a narrower window the dialog takes the window's width.
const dialogWidth = 400

// wrapped is a label for a dialog: its text wraps at word boundaries
// instead of running off the dialog's edge.
func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// dialogSize is the size of a dialog of text on win: dialogWidth, or the
// window's width less a margin; the height is the content's.
func dialogSize(win fyne.Window) fyne.Size {
	w := float32(dialogWidth)
	if c := win.Canvas().Size().Width - 24; c > 0 && c < w {
		w = max(c, 260)
	}
	return fyne.NewSize(w, 0)
}
