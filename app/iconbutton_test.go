package app

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// TestIconButtonActsAndLooksLikeFynes: the icon button is as large as
// Fyne's low-importance icon button, runs its action on a tap and on
// Space when focused, and shows the hover and focus backgrounds Fyne's
// button shows.
func TestIconButtonActsAndLooksLikeFynes(t *testing.T) {
	test.NewTempApp(t)
	taps := 0
	b := newIconButton(theme.SettingsIcon(), func() { taps++ })
	fynes := widget.NewButtonWithIcon("", theme.SettingsIcon(), nil)
	fynes.Importance = widget.LowImportance
	if got, want := b.MinSize(), fynes.MinSize(); got != want {
		t.Errorf("size %v, Fyne's icon button is %v", got, want)
	}
	test.Tap(b)
	b.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	b.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	if taps != 2 {
		t.Errorf("%d actions after a tap, Return and Space, want 2 (tap and Space)", taps)
	}

	r := test.WidgetRenderer(b).(*iconButtonRenderer)
	if r.bg.FillColor != color.Transparent {
		t.Errorf("background %v at rest, want none", r.bg.FillColor)
	}
	b.MouseIn(nil)
	hover := blendColour(theme.Color(theme.ColorNameButton), theme.Color(theme.ColorNameHover))
	if r.bg.FillColor != hover {
		t.Errorf("background %v when hovered, want %v", r.bg.FillColor, hover)
	}
	b.MouseOut()
	b.FocusGained()
	focus := blendColour(theme.Color(theme.ColorNameButton), theme.Color(theme.ColorNameFocus))
	if r.bg.FillColor != focus || focus == hover {
		t.Errorf("background %v when focused, want %v (hover is %v)", r.bg.FillColor, focus, hover)
	}
	b.FocusLost()
	if r.bg.FillColor != color.Transparent {
		t.Errorf("background %v after focus and hover left, want none", r.bg.FillColor)
	}
}

// TestBlendColour: an opaque colour hides what is under it, a transparent
// one shows it, and half-transparent white over opaque black is opaque
// mid grey (alpha-premultiplied, as color.Color's RGBA is).
func TestBlendColour(t *testing.T) {
	black, white := color.NRGBA{A: 0xff}, color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	for _, c := range []struct {
		under, over color.Color
		want        color.RGBA64
	}{
		{black, white, color.RGBA64{R: 0xffff, G: 0xffff, B: 0xffff, A: 0xffff}},
		{black, color.Transparent, color.RGBA64{A: 0xffff}},
		{black, color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0x80}, color.RGBA64{R: 0x8080, G: 0x8080, B: 0x8080, A: 0xffff}},
	} {
		if got := blendColour(c.under, c.over); got != c.want {
			t.Errorf("%v over %v = %v, want %v", c.over, c.under, got, c.want)
		}
	}
}
