package app

import (
	"image"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

func TestOffCentre(t *testing.T) {
	screen := image.Rect(0, 0, 1920, 1080)
	for _, c := range []struct {
		name string
		win  image.Rectangle
		to   image.Point
		move bool
	}{
		{"in the middle, right of centre", image.Rect(800, 200, 1220, 840), image.Pt(1920-420-placeMargin, 200), true},
		{"in the middle, left of centre", image.Rect(500, 200, 920, 840), image.Pt(placeMargin, 200), true},
		{"at the right edge already", image.Rect(1400, 100, 1820, 740), image.Pt(1400, 100), false},
		{"at the left edge already", image.Rect(0, 300, 420, 940), image.Pt(0, 300), false},
		{"above the middle", image.Rect(700, 0, 1120, 300), image.Pt(700, 0), false},
		{"too wide to clear it", image.Rect(200, 100, 1800, 900), image.Pt(1920-1600-placeMargin, 100), true},
		{"wider than the screen", image.Rect(-100, 100, 2100, 900), image.Pt(0, 100), true},
		{"taller than the screen", image.Rect(900, -50, 1320, 1200), image.Pt(1920-420-placeMargin, 0), true},
	} {
		to, move := offCentre(c.win, screen)
		if to != c.to || move != c.move {
			t.Errorf("%s: offCentre(%v) = %v, %v; want %v, %v", c.name, c.win, to, move, c.to, c.move)
		}
	}
	// On the second of two screens, its own middle counts.
	screens := []image.Rectangle{image.Rect(0, 0, 1920, 1080), image.Rect(1920, 0, 3840, 1080)}
	win := image.Rect(2700, 200, 3120, 840)
	if to, move := offCentre(win, screenOf(win, screens)); !move || to != image.Pt(3840-420-placeMargin, 200) {
		t.Errorf("on the second screen: %v, %v", to, move)
	}
}

// x11Window is a window whose native handle is an X11 window of the test's
// own (Fyne's test windows have none).
type x11Window struct {
	fyne.Window
	handle xproto.Window
}

func (w *x11Window) RunNative(f func(any)) {
	f(driver.X11WindowContext{WindowHandle: uintptr(w.handle)})
}

// TestClickMovesTheWindowOffCentre: on the X server of the tests (Xvfb,
// with no window manager), a click on a request's notification moves the
// window from the middle of the screen to its nearer edge.
func TestClickMovesTheWindowOffCentre(t *testing.T) {
	conn, err := xgb.NewConn()
	if err != nil {
		t.Skipf("no X server (the tests run under xvfb-run): %v", err)
	}
	defer conn.Close()
	screen := xproto.Setup(conn).DefaultScreen(conn)
	w, h := int16(420), int16(640)
	x, y := int16(screen.WidthInPixels)/2-w/2+10, int16(screen.HeightInPixels)/2-h/2
	win, err := xproto.NewWindowId(conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreateWindowChecked(conn, screen.RootDepth, win, screen.Root, x, y, uint16(w), uint16(h), 0,
		xproto.WindowClassInputOutput, screen.RootVisual, 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	if err := xproto.MapWindowChecked(conn, win).Check(); err != nil {
		t.Fatal(err)
	}

	f, _, r := rawFixture(t)
	f.ui.win = &x11Window{Window: f.ui.win, handle: win}
	f.ui.notificationClicked(requestKey(r.ID))
	want := int16(screen.WidthInPixels) - w - placeMargin
	deadline := time.Now().Add(10 * time.Second)
	for {
		g, err := xproto.GetGeometry(conn, xproto.Drawable(win)).Reply()
		if err != nil {
			t.Fatal(err)
		}
		if g.X == want && g.Y == y {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the window is at %d,%d; want %d,%d", g.X, g.Y, want, y)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if f.ui.push.dialog == nil || f.ui.win.Canvas().Focused() != fyne.Focusable(f.ui.push.dialog.number) {
		t.Fatal("the click did not bring the request's dialog with its number field focused")
	}
}
