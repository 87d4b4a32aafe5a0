package app

import (
	"hash/fnv"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// countdownSize is the diameter of a row's countdown ring.
const countdownSize = 28

// countdown is a small ring that empties as a TOTP period runs out, with
// the whole seconds left in its middle. It turns to the theme's warning
// colour in the last seconds (nextCodeWindow). It has no animation of its
// own: the once-a-second ticker sets it, and set redraws it only when the
// second shown changes.
type countdown struct {
	widget.BaseWidget
	track *canvas.Arc  // the whole ring, faint
	arc   *canvas.Arc  // the part of the period left
	label *canvas.Text // the seconds left

	secs, period int
	warn         bool
}

func newCountdown() *countdown {
	c := &countdown{
		track: canvas.NewArc(0, 360, 0.78, color.Transparent),
		arc:   canvas.NewArc(0, 360, 0.78, color.Transparent),
		label: canvas.NewText("", color.Transparent),
	}
	c.label.TextSize = theme.CaptionTextSize()
	c.label.Alignment = fyne.TextAlignCenter
	c.ExtendBaseWidget(c)
	return c
}

// set shows left of a period. The ring and number change once a second.
func (c *countdown) set(left time.Duration, period int) {
	secs := int(math.Ceil(left.Seconds()))
	if secs == c.secs && period == c.period {
		return
	}
	c.secs, c.period = secs, period
	c.warn = left <= nextCodeWindow
	c.label.Text = strconv.Itoa(secs)
	frac := float32(0)
	if period > 0 {
		frac = float32(secs) / float32(period)
	}
	c.arc.EndAngle = 360 * min(1, max(0, frac))
	c.colour()
	c.arc.Refresh()
	c.label.Refresh()
}

// colour gives the ring and number the theme's colours.
func (c *countdown) colour() {
	fg, ring := theme.Color(theme.ColorNameForeground), theme.Color(theme.ColorNamePrimary)
	if c.warn {
		fg, ring = theme.Color(theme.ColorNameWarning), theme.Color(theme.ColorNameWarning)
	}
	c.label.Color, c.arc.FillColor = fg, ring
	c.track.FillColor = theme.Color(theme.ColorNameInputBorder)
}

// CreateRenderer draws the ring.
func (c *countdown) CreateRenderer() fyne.WidgetRenderer {
	c.colour()
	return &countdownRenderer{c: c, objects: []fyne.CanvasObject{c.track, c.arc, c.label}}
}

type countdownRenderer struct {
	c       *countdown
	objects []fyne.CanvasObject
}

func (r *countdownRenderer) Layout(size fyne.Size) {
	d := min(size.Width, size.Height)
	pos := fyne.NewPos((size.Width-d)/2, (size.Height-d)/2)
	for _, a := range []*canvas.Arc{r.c.track, r.c.arc} {
		a.Move(pos)
		a.Resize(fyne.NewSquareSize(d))
	}
	r.c.label.Move(fyne.NewPos(0, 0))
	r.c.label.Resize(size)
}

func (r *countdownRenderer) MinSize() fyne.Size { return fyne.NewSquareSize(countdownSize) }

func (r *countdownRenderer) Refresh() {
	r.c.colour()
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (r *countdownRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *countdownRenderer) Destroy() {}

// avatarSize is the diameter of a row's letter avatar.
const avatarSize = 30

// avatarColours are mid tones that carry a white letter on light and dark
// backgrounds alike.
var avatarColours = []color.NRGBA{
	{0xc6, 0x28, 0x28, 0xff}, // red
	{0xad, 0x14, 0x57, 0xff}, // pink
	{0x6a, 0x1b, 0x9a, 0xff}, // purple
	{0x45, 0x27, 0xa0, 0xff}, // deep purple
	{0x28, 0x35, 0x93, 0xff}, // indigo
	{0x15, 0x65, 0xc0, 0xff}, // blue
	{0x00, 0x83, 0x8f, 0xff}, // cyan
	{0x00, 0x69, 0x5c, 0xff}, // teal
	{0x2e, 0x7d, 0x32, 0xff}, // green
	{0x8d, 0x6e, 0x00, 0xff}, // olive
	{0xd8, 0x43, 0x15, 0xff}, // deep orange
	{0x5d, 0x40, 0x37, 0xff}, // brown
	{0x54, 0x6e, 0x7a, 0xff}, // blue grey
}

// avatarColour is the colour of an issuer's avatar: the same name (in any
// case) always gets the same colour.
func avatarColour(issuer string) color.NRGBA {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(strings.TrimSpace(issuer))))
	return avatarColours[h.Sum32()%uint32(len(avatarColours))]
}

// avatarLetter is the first letter or digit of an issuer, upper case, or
// "?" if it has none.
func avatarLetter(issuer string) string {
	for _, r := range issuer {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return string(unicode.ToUpper(r))
		}
	}
	return "?"
}

// ellipsize shortens text to fit width, ending it with "…" if it was cut.
func ellipsize(text string, size float32, style fyne.TextStyle, width float32) string {
	if text == "" || fyne.MeasureText(text, size, style).Width <= width {
		return text
	}
	// The longest prefix (in runes) that fits with the ellipsis.
	n := utf8.RuneCountInString(text)
	runes := []rune(text)
	lo, hi := 0, n
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fyne.MeasureText(string(runes[:mid])+"…", size, style).Width <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		if fyne.MeasureText("…", size, style).Width <= width {
			return "…"
		}
		return ""
	}
	return strings.TrimRight(string(runes[:lo]), " ") + "…"
}
