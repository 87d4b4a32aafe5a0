package app

import (
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
)

// screenURIs are the accounts of every screen: a dozen, HOTP and Steam among
// them, and a name too long for a phone.
func screenURIs() []string {
	return append([]string{rfcURI, hotpURI, longURI,
		"otpauth://totp/Steam:gabe?secret=BASE32SECRET3232&encoder=steam"}, manyURIs(8)...)
}

// screenSizes are the default window and a phone's.
var screenSizes = []fyne.Size{{Width: defaultWidth, Height: defaultHeight}, {Width: 360, Height: 740}}

// screen is one screen of the app, built on a fixture whose window has its
// size and theme.
type screen struct {
	name  string
	build func(t *testing.T, f *fixture)
}

var screens = []screen{
	{"list", func(t *testing.T, f *fixture) {}},
	{"add-scan", func(t *testing.T, f *fixture) { f.ui.showAdd(); f.ui.adding.tabs.SelectIndex(0) }},
	{"add-key", func(t *testing.T, f *fixture) { f.ui.showAdd(); f.ui.adding.tabs.SelectIndex(1) }},
	{"request", func(t *testing.T, f *fixture) {
		fakeNotifications(f)
		r := push.Request{ID: "r1", User: "ada", Application: "payroll", Kind: push.KindSignIn, Nonce: "n",
			Context:   push.Context{App: "Payroll", IP: "203.0.113.7", Location: "Lyon, FR", UserAgent: firefoxOnWindows},
			CreatedAt: f.now, ExpiresAt: f.now.Add(2 * time.Minute)}
		f.ui.onPushEvent(f.vault.Accounts()[0].ID, device.Event{Kind: device.EventRequest, Request: r})
		requestDialogShown(t, f)
	}},
	{"locked", func(t *testing.T, f *fixture) { f.setLock(t); f.ui.lockNow() }},
	{"settings", func(t *testing.T, f *fixture) { f.ui.showSettings() }},
	{"import", func(t *testing.T, f *fixture) { f.ui.importFile(sampleExport("aegis_plain.json")); topOverlay(t, f.ui) }},
}

// screenFixture builds screen s in a new window of the given size and theme.
func screenFixture(t *testing.T, s screen, size fyne.Size, variant string) *fixture {
	t.Helper()
	f := newFixture(t, nil, Options{}, screenURIs()...)
	f.now = time.Unix(56, 0) // the next code shows too
	applyTheme(f.app, variant)
	f.ui.win.Resize(size)
	f.ui.tick()
	s.build(t, f)
	f.runUI()
	f.rows()
	return f
}

// textChecker walks a window and its dialogs for text that does not show
// whole.
type textChecker struct {
	win  fyne.Size
	th   fyne.Theme
	pad  float32 // a text's inner padding in its label
	cut  []string
	past []string // widgets whose box, not their text, reaches past the window
}

// cutText reports every text of the window and its dialogs that does not
// show whole: a label, rich text, button, check or choice narrower or lower
// than its text needs, or whose text reaches past the window's edge. Labels
// cut with an ellipsis on purpose (names), and what scrolls (entries,
// scrolled content, which may leave the window), are not cut. past lists
// the widgets whose box, though not their text, reaches past the window.
func cutText(w fyne.Window) (cut, past []string) {
	c := &textChecker{win: w.Canvas().Size(), th: fyne.CurrentApp().Settings().Theme()}
	c.pad = c.th.Size(theme.SizeNameInnerPadding)
	all := bounds{0, 0, c.win.Width, c.win.Height}
	c.walk(w.Canvas().Content(), fyne.Position{}, all)
	for _, o := range w.Canvas().Overlays().List() {
		c.walk(o, fyne.Position{}, all)
	}
	return c.cut, c.past
}

func (c *textChecker) report(kind, text, why string) {
	c.cut = append(c.cut, fmt.Sprintf("%s %q: %s", kind, text, why))
}

// bounds is where text shows: the window, less what a scroll container
// cuts in the direction it does not scroll (what it scrolls out of sight
// can be scrolled to).
type bounds struct{ x0, y0, x1, y1 float32 }

// outside tells whether the rectangle from p0 to p1 leaves b.
func (b bounds) outside(p0, p1 fyne.Position) bool {
	return p0.X < b.x0-0.5 || p0.Y < b.y0-0.5 || p1.X > b.x1+0.5 || p1.Y > b.y1+0.5
}

func (b bounds) String() string {
	return fmt.Sprintf("(%.1f,%.1f)-(%.1f,%.1f)", b.x0, b.y0, b.x1, b.y1)
}

// scrolled are the bounds inside scroll s at pos.
func (b bounds) scrolled(s *container.Scroll, pos fyne.Position) bounds {
	size := s.Size()
	if s.Direction == container.ScrollVerticalOnly || s.Direction == container.ScrollNone {
		b.x0, b.x1 = max(b.x0, pos.X), min(b.x1, pos.X+size.Width)
	} else {
		b.x0, b.x1 = float32(math.Inf(-1)), float32(math.Inf(1))
	}
	if s.Direction == container.ScrollHorizontalOnly || s.Direction == container.ScrollNone {
		b.y0, b.y1 = max(b.y0, pos.Y), min(b.y1, pos.Y+size.Height)
	} else {
		b.y0, b.y1 = float32(math.Inf(-1)), float32(math.Inf(1))
	}
	return b
}

// place reports text whose ink, centred in the box at pos of size (less
// the padding) and inkW wide, leaves the window, and notes a box that does.
func (c *textChecker) place(kind, text string, pos fyne.Position, size fyne.Size, inkW float32, in bounds) {
	inkW = min(inkW, size.Width-2*c.pad)
	x0 := pos.X + (size.Width-inkW)/2
	p0, p1 := fyne.NewPos(x0, pos.Y+c.pad), fyne.NewPos(x0+inkW, pos.Y+max(size.Height-c.pad, c.pad))
	if text != "" && in.outside(p0, p1) {
		c.report(kind, text, fmt.Sprintf("its text from (%.1f,%.1f) to (%.1f,%.1f) leaves the %vx%v window or its scroll's %v", p0.X, p0.Y, p1.X, p1.Y, c.win.Width, c.win.Height, in))
	} else if in.outside(pos, pos.Add(fyne.NewPos(size.Width, size.Height))) {
		c.past = append(c.past, fmt.Sprintf("%s %q at (%.1f,%.1f) size %vx%v, outside %v", kind, text, pos.X, pos.Y, size.Width, size.Height, in))
	}
}

func (c *textChecker) walk(o fyne.CanvasObject, pos fyne.Position, in bounds) {
	if o == nil || !o.Visible() {
		return
	}
	pos = pos.Add(o.Position())
	size := o.Size()
	var children []fyne.CanvasObject
	switch o := o.(type) {
	case *widget.Label:
		c.label(o, size, pos, in)
		return
	case *errorLabel:
		c.label(&o.Label, size, pos, in)
		return
	case *widget.RichText:
		text := o.String()
		if text == "" || o.Truncation != fyne.TextTruncateOff {
			return
		}
		min := o.MinSize()
		if o.Wrapping == fyne.TextWrapOff && size.Width+0.5 < min.Width {
			c.report("rich text", text, fmt.Sprintf("%v wide, needs %v", size.Width, min.Width))
		}
		if size.Height+0.5 < min.Height {
			c.report("rich text", text, fmt.Sprintf("%v high, needs %v", size.Height, min.Height))
		}
		c.place("rich text", text, pos, size, size.Width, in)
		return
	case *widget.Button:
		min := o.MinSize()
		if o.Text != "" && (size.Width+0.5 < min.Width || size.Height+0.5 < min.Height) {
			c.report("button", o.Text, fmt.Sprintf("%vx%v, needs %vx%v", size.Width, size.Height, min.Width, min.Height))
		}
		c.place("button", o.Text, pos, size, min.Width-2*c.pad, in)
		return
	case *widget.Check:
		min := o.MinSize()
		if o.Text != "" && size.Width+0.5 < min.Width {
			c.report("check", o.Text, fmt.Sprintf("%v wide, needs %v", size.Width, min.Width))
		}
		c.place("check", o.Text, pos, size, size.Width, in)
		return
	case *widget.Select:
		if min := o.MinSize(); size.Width+0.5 < min.Width {
			c.report("choice", o.Selected, fmt.Sprintf("%v wide, needs %v", size.Width, min.Width))
		}
		c.place("choice", o.Selected, pos, size, size.Width, in)
		return
	case *widget.Entry, *lockEntry:
		c.place("entry", "", pos, size, 0, in)
		return // its text scrolls inside it
	case *container.Scroll:
		c.place("scroll", "", pos, size, 0, in)
		in = in.scrolled(o, pos)
		children = test.WidgetRenderer(o).Objects()
	case *fyne.Container:
		children = o.Objects
		if fmt.Sprintf("%T", o.Layout) == "*dialog.dialogLayout" && len(children) == 5 {
			// Fyne's dialogs draw their title from a label they never
			// size (it is not cut): check only its place.
			if l, ok := children[4].(*widget.Label); ok {
				min := l.MinSize()
				c.place("dialog title", l.Text, pos.Add(l.Position()), min, min.Width, in)
				children = children[:4]
			}
		}
	case fyne.Widget:
		children = test.WidgetRenderer(o).Objects()
	}
	for _, ch := range children {
		c.walk(ch, pos, in)
	}
}

// label reports a label whose text does not fit: one that neither wraps
// nor is cut on purpose must be as wide as its widest line (measured in
// its size and style) and as high as its lines; a wrapped one must be as
// high as its lines at its width.
func (c *textChecker) label(l *widget.Label, size fyne.Size, pos fyne.Position, in bounds) {
	if l.Text == "" || l.Truncation != fyne.TextTruncateOff {
		return
	}
	sizeName := l.SizeName
	if sizeName == "" {
		sizeName = theme.SizeNameText
	}
	min := l.MinSize()
	inkW := size.Width - 2*c.pad
	if l.Wrapping == fyne.TextWrapOff {
		var textW float32
		for _, line := range strings.Split(l.Text, "\n") {
			textW = max(textW, fyne.MeasureText(line, c.th.Size(sizeName), l.TextStyle).Width)
		}
		if size.Width+0.5 < textW+2*c.pad {
			c.report("label", l.Text, fmt.Sprintf("%v wide, its text needs %v", size.Width, textW+2*c.pad))
		}
		// Where the text is drawn in the label: as placed by its alignment.
		switch l.Alignment {
		case fyne.TextAlignLeading:
			size.Width = min.Width
		case fyne.TextAlignTrailing:
			pos.X += size.Width - min.Width
			size.Width = min.Width
		}
		inkW = textW
	}
	if size.Height+0.5 < min.Height {
		c.report("label", l.Text, fmt.Sprintf("%v high, its lines need %v", size.Height, min.Height))
	}
	c.place("label", l.Text, pos, size, inkW, in)
}

// TestNoScreenCutsText builds every screen at the default window size and
// a phone's and fails on any text that does not show whole.
func TestNoScreenCutsText(t *testing.T) {
	for _, s := range screens {
		for _, size := range screenSizes {
			f := screenFixture(t, s, size, themeLight)
			cut, past := cutText(f.ui.win)
			for _, c := range cut {
				t.Errorf("%s at %vx%v: %s", s.name, size.Width, size.Height, c)
			}
			for _, p := range past {
				t.Logf("%s at %vx%v: the box (not the text) of %s reaches past the window", s.name, size.Width, size.Height, p)
			}
		}
	}
}

// TestScreenshots writes every screen, in the light and dark themes, at
// the default window size and a phone's, to $COUNTERSIGN_SCREENSHOTS as
// SCREEN-THEME-WxH.png (make screenshots).
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("COUNTERSIGN_SCREENSHOTS")
	if dir == "" {
		t.Skip("COUNTERSIGN_SCREENSHOTS is not set")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range screens {
		for _, variant := range []string{themeLight, themeDark} {
			for _, size := range screenSizes {
				f := screenFixture(t, s, size, variant)
				name := filepath.Join(dir, fmt.Sprintf("%s-%s-%vx%v.png", s.name, variant, size.Width, size.Height))
				out, err := os.Create(name)
				if err != nil {
					t.Fatal(err)
				}
				if err := png.Encode(out, f.ui.win.Canvas().Capture()); err != nil {
					t.Fatal(err)
				}
				if err := out.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestCutTextFindsCutLabels: the check finds a label narrower than its
// text, a wrapped one lower than its lines, a button narrower than its
// text and a label that leaves the window; it passes a name cut with an
// ellipsis on purpose and labels that fit.
func TestCutTextFindsCutLabels(t *testing.T) {
	a := test.NewTempApp(t)
	w := a.NewWindow("cut")
	w.Resize(fyne.NewSize(300, 300))
	narrow := widget.NewLabel("A label much wider than its box")
	low := widget.NewLabel("A wrapped label with more lines than its height holds, by far")
	low.Wrapping = fyne.TextWrapWord
	name := widget.NewLabel("A long name cut with an ellipsis on purpose")
	name.Truncation = fyne.TextTruncateEllipsis
	fits := widget.NewLabel("Fits")
	button := widget.NewButton("A button too narrow", nil)
	away := widget.NewLabel("Beyond the edge")
	place := func(o fyne.CanvasObject, x, y, width, height float32) {
		o.Move(fyne.NewPos(x, y))
		o.Resize(fyne.NewSize(width, height))
	}
	box := container.NewWithoutLayout(narrow, low, name, fits, button, away)
	w.SetContent(box)
	place(narrow, 0, 0, 80, 40)
	place(low, 0, 40, 120, 40)
	place(name, 0, 100, 80, 40)
	place(fits, 0, 140, 80, 40)
	place(button, 0, 180, 60, 40)
	place(away, 250, 220, 120, 40)
	cut, _ := cutText(w)
	got := strings.Join(cut, "\n")
	for _, want := range []string{`label "A label much wider than its box": 80 wide`, `label "A wrapped label with more lines`,
		`button "A button too narrow"`, `label "Beyond the edge": its text from`} {
		if !strings.Contains(got, want) {
			t.Errorf("not reported: %s\nreported:\n%s", want, got)
		}
	}
	for _, never := range []string{"A long name", `"Fits"`} {
		if strings.Contains(got, never) {
			t.Errorf("reported though not cut: %s\nreported:\n%s", never, got)
		}
	}
}
