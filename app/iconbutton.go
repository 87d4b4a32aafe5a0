package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// iconButton is an icon-only button that looks like Fyne's low-importance
// icon button (as in a toolbar): no background until hovered or focused,
// the same size. The main window uses it instead of widget.Button because
// a widget.Button always measures its (empty) label in bold, and Fyne
// loads a whole set of fonts for each text style it measures: the theme's
// font, its emoji font and a system font, several MiB of memory that the
// main window, which shows no bold text, would otherwise keep all day.
type iconButton struct {
	widget.BaseWidget
	icon     fyne.Resource
	onTapped func()

	hovered, focused bool
}

func newIconButton(icon fyne.Resource, tapped func()) *iconButton {
	b := &iconButton{icon: icon, onTapped: tapped}
	b.ExtendBaseWidget(b)
	return b
}

// Tapped runs the button's action.
func (b *iconButton) Tapped(*fyne.PointEvent) {
	if b.onTapped != nil {
		b.onTapped()
	}
}

// MouseIn shows the hover background.
func (b *iconButton) MouseIn(*desktop.MouseEvent) { b.hovered = true; b.Refresh() }

// MouseMoved does nothing: the hover state is set on entering.
func (b *iconButton) MouseMoved(*desktop.MouseEvent) {}

// MouseOut hides the hover background.
func (b *iconButton) MouseOut() { b.hovered = false; b.Refresh() }

// FocusGained shows the focus background.
func (b *iconButton) FocusGained() { b.focused = true; b.Refresh() }

// FocusLost hides the focus background.
func (b *iconButton) FocusLost() { b.focused = false; b.Refresh() }

// TypedRune ignores typed text.
func (b *iconButton) TypedRune(rune) {}

// TypedKey taps the button on Space, as a widget.Button does.
func (b *iconButton) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeySpace {
		b.Tapped(nil)
	}
}

// CreateRenderer draws the background and the icon.
func (b *iconButton) CreateRenderer() fyne.WidgetRenderer {
	r := &iconButtonRenderer{b: b, bg: canvas.NewRectangle(color.Transparent), img: canvas.NewImageFromResource(b.icon)}
	r.img.FillMode = canvas.ImageFillContain
	r.Refresh()
	return r
}

type iconButtonRenderer struct {
	b   *iconButton
	bg  *canvas.Rectangle
	img *canvas.Image
	// drawn is the icon and the text colour the image was last drawn
	// with: refreshing a canvas.Image parses its SVG again, and a row
	// refreshes all its parts once a period.
	drawn struct {
		icon fyne.Resource
		fg   color.Color
	}
}

// MinSize is the inline icon with the inner padding around it: 36×36 in
// the default theme, as Fyne's icon buttons.
func (r *iconButtonRenderer) MinSize() fyne.Size {
	return fyne.NewSquareSize(theme.IconInlineSize() + 2*theme.InnerPadding())
}

func (r *iconButtonRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	icon := theme.IconInlineSize()
	r.img.Move(fyne.NewPos((size.Width-icon)/2, (size.Height-icon)/2))
	r.img.Resize(fyne.NewSquareSize(icon))
}

// Refresh colours the background as Fyne does for a low-importance
// button: the button colour blended with the focus or hover colour.
func (r *iconButtonRenderer) Refresh() {
	r.bg.FillColor = color.Transparent
	if blend := r.blendName(); blend != "" {
		r.bg.FillColor = blendColour(theme.Color(theme.ColorNameButton), theme.Color(blend))
	}
	r.bg.CornerRadius = theme.InputRadiusSize()
	r.bg.Refresh()
	if fg := theme.Color(theme.ColorNameForeground); r.drawn.icon != r.b.icon || r.drawn.fg != fg {
		r.drawn.icon, r.drawn.fg = r.b.icon, fg
		r.img.Resource = r.b.icon
		r.img.Refresh()
	}
}

func (r *iconButtonRenderer) blendName() fyne.ThemeColorName {
	switch {
	case r.b.focused:
		return theme.ColorNameFocus
	case r.b.hovered:
		return theme.ColorNameHover
	}
	return ""
}

func (r *iconButtonRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.bg, r.img} }

func (r *iconButtonRenderer) Destroy() {}

// blendColour lays over on top of under (the "over" operator on
// alpha-premultiplied colours), as Fyne's buttons blend their hover and
// focus colours.
func blendColour(under, over color.Color) color.Color {
	ur, ug, ub, ua := under.RGBA()
	or, og, ob, oa := over.RGBA()
	keep := 1 - float64(oa)/0xffff
	mix := func(u, o uint32) uint16 { return uint16(float64(o) + float64(u)*keep) }
	return color.RGBA64{R: mix(ur, or), G: mix(ug, og), B: mix(ub, ob), A: mix(ua, oa)}
}
