package app

import (
	"strconv"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// TestCodeDigitsHaveOneWidth: the codes are drawn in the regular font, not
// a monospace one, so they must not change width as their digits change
// (the column would jiggle every period). In the default theme's font
// every digit is as wide as "0", and no pair of digits is kerned, with or
// without the space of a grouped code between them: then every code of a
// length is as wide as any other.
func TestCodeDigitsHaveOneWidth(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.DefaultTheme()) // the fonts the app ships with
	size := codeTextSize()
	style := newAccountRow(&UI{}).code.TextStyle
	width := func(s string) float32 { return fyne.MeasureText(s, size, style).Width }
	pair, spaced := width("00"), width("0 0")
	for i := range 100 {
		d := []byte(strconv.Itoa(100 + i)[1:]) // "00" to "99"
		if w := width(string(d)); w != pair {
			t.Errorf("%q is %v wide, %q is %v", d, w, "00", pair)
		}
		if s := string(d[0]) + " " + string(d[1]); width(s) != spaced {
			t.Errorf("%q is %v wide, %q is %v", s, width(s), "0 0", spaced)
		}
	}
	if a, b := width("000 000"), width("987 654"); a != b {
		t.Errorf("codes differ in width: %v and %v", a, b)
	}
}

// TestMainWindowUsesOneTextStyle: Fyne keeps a set of fonts in memory (its
// font, its emoji font and a system font) for each text style it has
// measured or drawn, so the main window with accounts shows text in the
// regular style only, and holds no widget.Button, which measures its
// label in bold even when it has none (iconButton instead). HOTP rows and
// the dialogs may use more.
func TestMainWindowUsesOneTextStyle(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI)
	f.rows()
	for _, o := range test.LaidOutObjects(f.ui.win.Content()) {
		switch o := o.(type) {
		case *canvas.Text:
			if o.TextStyle != (fyne.TextStyle{}) {
				t.Errorf("%q is drawn in style %+v", o.Text, o.TextStyle)
			}
		case *widget.Button:
			t.Errorf("a widget.Button (%q) is in the main window", o.Text)
		case *widget.Label:
			if o.TextStyle != (fyne.TextStyle{}) {
				t.Errorf("label %q is in style %+v", o.Text, o.TextStyle)
			}
		}
	}
}
