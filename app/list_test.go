package app

import (
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// longURI is an 8-digit account whose issuer and name cannot fit a phone.
const longURI = "otpauth://totp/A%20very%20long%20issuer%20name%20Incorporated:someone.with.a.long.name@example.com?secret=MFRGGZDFMZTWQ2LKMFRG&digits=8"

// manyURIs are n TOTP accounts of different issuers.
func manyURIs(n int) []string {
	issuers := []string{"GitHub", "GitLab", "Google", "Microsoft", "Amazon%20Web%20Services", "Dropbox", "Proton", "Mastodon", "Cloudflare", "npm", "PyPI", "Fastmail", "Bitwarden", "Slack"}
	uris := make([]string, n)
	for i := range uris {
		uris[i] = fmt.Sprintf("otpauth://totp/%s:user%d@example.com?secret=JBSWY3DPEHPK3PXP", issuers[i%len(issuers)], i)
	}
	return uris
}

// absRect is a rectangle on the window.
type absRect struct{ x0, y0, x1, y1 float32 }

// rectOf is where o, a part of a row, is in its row.
func rectOf(o fyne.CanvasObject) absRect {
	p, s := o.Position(), o.Size()
	return absRect{p.X, p.Y, p.X + s.Width, p.Y + s.Height}
}

// rowsIn finds the account rows under root and tells where they are in it.
func rowsIn(root fyne.CanvasObject, pos fyne.Position, found map[*accountRow]fyne.Position) {
	if root == nil || !root.Visible() {
		return
	}
	pos = pos.Add(root.Position())
	var children []fyne.CanvasObject
	switch r := root.(type) {
	case *accountRow:
		found[r] = pos
		return
	case *fyne.Container:
		children = r.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(r).Objects()
	}
	for _, c := range children {
		rowsIn(c, pos, found)
	}
}

// inkOf is the rectangle a text's shown characters take.
func inkOf(t *canvas.Text) absRect {
	r := rectOf(t)
	r.x1 = r.x0 + fyne.MeasureText(t.Text, t.TextSize, t.TextStyle).Width
	return r
}

func (a absRect) overlaps(b absRect) bool {
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

func (a absRect) String() string { return fmt.Sprintf("(%v,%v)-(%v,%v)", a.x0, a.y0, a.x1, a.y1) }

// TestCompactRowsFitTheDefaultWindow: at the default window size, ten or
// more of twelve accounts are wholly in sight.
func TestCompactRowsFitTheDefaultWindow(t *testing.T) {
	f := newFixture(t, nil, Options{}, manyURIs(12)...)
	f.ui.win.Resize(fyne.NewSize(defaultWidth, defaultHeight))
	f.ui.list.Refresh()
	rows := map[*accountRow]fyne.Position{}
	rowsIn(f.ui.list, fyne.Position{}, rows)
	height, seen := f.ui.list.Size().Height, 0
	for r, at := range rows {
		// f.ui.list's own position is counted in: take it off.
		if y := at.Y - f.ui.list.Position().Y; y >= 0 && y+r.Size().Height <= height {
			seen++
		}
	}
	t.Logf("%d of 12 rows in sight, %v high each", seen, f.rows()[0].Size().Height)
	if seen < 10 {
		t.Fatalf("%d rows in sight in a %vx%v window (list %v high), want 10 or more", seen, defaultWidth, defaultHeight, height)
	}
}

// TestCountdownShowsSecondsLeftAndWarns: the ring shows the whole seconds
// left, in the theme's warning colour in the last five.
func TestCountdownShowsSecondsLeftAndWarns(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI)
	f.now = time.Unix(48, 0)
	f.ui.tick()
	c := f.rows()[0].left
	if !c.Visible() || c.label.Text != "12" {
		t.Fatalf("countdown shows %q (visible %v), want 12", c.label.Text, c.Visible())
	}
	if c.label.Color == theme.Color(theme.ColorNameWarning) || c.arc.FillColor == theme.Color(theme.ColorNameWarning) {
		t.Error("12 s left is no warning")
	}
	if got := c.arc.EndAngle; got != 360*12/30 {
		t.Errorf("the ring goes to %v°, want %v°", got, 360*12/30)
	}
	f.now = time.Unix(56, 500_000_000)
	f.ui.tick()
	c = f.rows()[0].left
	if c.label.Text != "4" {
		t.Fatalf("countdown shows %q, want 4", c.label.Text)
	}
	if c.label.Color != theme.Color(theme.ColorNameWarning) || c.arc.FillColor != theme.Color(theme.ColorNameWarning) {
		t.Errorf("4 s left: colours %v and %v, want the warning colour %v", c.label.Color, c.arc.FillColor, theme.Color(theme.ColorNameWarning))
	}
	if got := f.shown()[0]; got != "RFC|sha1|287 082|next 359 152" {
		t.Errorf("at 56.5 s: %q", got)
	}
}

// TestCodeSitsRightAfterTheName: in a wide window the code follows the
// names, not the far edge; the … menu stays at the end.
func TestCodeSitsRightAfterTheName(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI, hotpURI)
	f.ui.win.Resize(fyne.NewSize(1600, 700))
	for _, r := range f.rows() {
		names := max(inkOf(r.issuer).x1, inkOf(r.name).x1)
		code := rectOf(r.code)
		if code.x0 < names || code.x0 > names+3*theme.InnerPadding() {
			t.Errorf("%s: the code starts at %v, the names end at %v", r.issuer.Text, code.x0, names)
		}
		if code.x0 > 300 {
			t.Errorf("%s: the code is at %v in a 1600-px window", r.issuer.Text, code.x0)
		}
		if menu, row := rectOf(r.menu), rectOf(r); row.x1-menu.x1 > theme.Padding() {
			t.Errorf("%s: the … menu ends at %v, the row at %v", r.issuer.Text, menu.x1, row.x1)
		}
	}
}

// TestPhoneSizedRows: at 360×740 long names are cut with an ellipsis and
// nothing in a row overlaps; the HOTP row keeps its Next code button.
func TestPhoneSizedRows(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, hotpURI, longURI, githubURI)
	f.ui.win.Resize(fyne.NewSize(360, 740))
	f.now = time.Unix(57, 0) // the next codes show
	f.ui.tick()
	rows := f.rows()
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		row := rectOf(r)
		parts := map[string]absRect{
			"issuer": inkOf(r.issuer), "name": inkOf(r.name), "code": inkOf(r.code), "next": inkOf(r.next),
			"menu": rectOf(r.menu), "avatar": rectOf(r.avatar),
		}
		if r.left.Visible() {
			parts["countdown"] = rectOf(r.left)
		}
		if r.hotpNext.Visible() {
			parts["next code button"] = rectOf(r.hotpNext)
		}
		for n, p := range parts {
			if p.x0 < row.x0 || p.x1 > row.x1 || p.y0 < row.y0 || p.y1 > row.y1 {
				t.Errorf("%s: the %s %v is out of the row %v", r.issuerText, n, p, row)
			}
			for m, q := range parts {
				if n < m && p.x1 > p.x0 && q.x1 > q.x0 && p.overlaps(q) {
					t.Errorf("%s: the %s %v overlaps the %s %v", r.issuerText, n, p, m, q)
				}
			}
		}
	}
	long := rows[2]
	if long.code.Text != "2418 8501" || !strings.HasSuffix(long.issuer.Text, "…") || !strings.HasSuffix(long.name.Text, "…") {
		t.Errorf("long row shows %q, %q, %q", long.issuer.Text, long.name.Text, long.code.Text)
	}
	if !rows[1].hotpNext.Visible() || rows[1].left.Visible() {
		t.Error("the HOTP row has no Next code button, or a countdown")
	}
	if got := rows[0].next.Text; got != "next 359 152" {
		t.Errorf("the next code shows as %q", got)
	}
}

// TestListScreenshots writes the list at the default and a phone size, in
// the dark and light themes, to $COUNTERSIGN_SCREENSHOTS (if set) to look at.
func TestListScreenshots(t *testing.T) {
	dir := os.Getenv("COUNTERSIGN_SCREENSHOTS")
	if dir == "" {
		t.Skip("COUNTERSIGN_SCREENSHOTS is not set")
	}
	uris := append([]string{rfcURI, hotpURI, longURI}, manyURIs(10)...)
	for _, variant := range []string{themeDark, themeLight} {
		for _, size := range []fyne.Size{{Width: defaultWidth, Height: defaultHeight}, {Width: 360, Height: 740}, {Width: 1000, Height: 400}} {
			// A new window each time: the test driver's list can keep rows
			// laid out for the previous size.
			f := newFixture(t, nil, Options{}, uris...)
			f.now = time.Unix(56, 0)
			applyTheme(f.app, variant)
			f.ui.win.Resize(size)
			f.ui.tick()
			f.rows()
			img := f.ui.win.Canvas().Capture()
			name := filepath.Join(dir, fmt.Sprintf("list-%s-%vx%v.png", variant, size.Width, size.Height))
			out, err := os.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(out, img); err != nil {
				t.Fatal(err)
			}
			out.Close()
		}
	}
}
