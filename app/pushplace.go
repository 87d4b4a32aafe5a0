package app

import (
	"fmt"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"
)

// placeMargin is the gap left between a window moved aside and the edge
// of its screen, in pixels.
const placeMargin = 24

// keepOffCentre moves the window aside when it covers the middle of its
// screen, where the browser shows the number that the user is to type.
// It is done when the user brings the window forward for a request (a
// click on its notification), never on a request's arrival.
//
// Fyne 2.7 cannot place a window (see the top of pushdialog.go). Under X11
// the window's own handle (driver.NativeWindow) lets the app ask the X
// server, and through it the window manager, to move it: most window
// managers grant it; tiling ones keep their layout. Under Wayland, and on
// Windows and macOS, nothing is done: the window stays where the user put
// it. Fyne remembers the window's position when it moves, so the window
// then comes back where it was moved to.
func (u *UI) keepOffCentre() {
	nw, ok := u.win.(driver.NativeWindow)
	if !ok {
		return
	}
	var handle uintptr
	nw.RunNative(func(ctx any) {
		if x11, ok := ctx.(driver.X11WindowContext); ok {
			handle = x11.WindowHandle
		}
	})
	if handle == 0 {
		return
	}
	// The X server's round trips are done away from the UI goroutine.
	go func() {
		if err := moveOffCentre(xproto.Window(handle)); err != nil {
			fyne.LogError("moving the window off the middle of the screen", err)
		}
	}()
}

// moveOffCentre moves the X11 window win off the middle of its screen, if
// it covers it.
func moveOffCentre(win xproto.Window) error {
	conn, err := xgb.NewConn()
	if err != nil {
		return err
	}
	defer conn.Close()
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	geom, err := xproto.GetGeometry(conn, xproto.Drawable(win)).Reply()
	if err != nil {
		return fmt.Errorf("the window's size: %w", err)
	}
	at, err := xproto.TranslateCoordinates(conn, win, root, 0, 0).Reply()
	if err != nil {
		return fmt.Errorf("the window's position: %w", err)
	}
	rect := image.Rect(int(at.DstX), int(at.DstY), int(at.DstX)+int(geom.Width), int(at.DstY)+int(geom.Height))
	screens, err := monitors(conn, root)
	if err != nil {
		return err
	}
	to, move := offCentre(rect, screenOf(rect, screens))
	if !move {
		return nil
	}
	return xproto.ConfigureWindowChecked(conn, win, xproto.ConfigWindowX|xproto.ConfigWindowY,
		[]uint32{uint32(int32(to.X)), uint32(int32(to.Y))}).Check()
}

// monitors are the screens' rectangles: Xinerama's monitors, or the whole
// root window where it is off.
func monitors(conn *xgb.Conn, root xproto.Window) ([]image.Rectangle, error) {
	if xinerama.Init(conn) == nil {
		if active, err := xinerama.IsActive(conn).Reply(); err == nil && active.State != 0 {
			if reply, err := xinerama.QueryScreens(conn).Reply(); err == nil && len(reply.ScreenInfo) > 0 {
				var out []image.Rectangle
				for _, s := range reply.ScreenInfo {
					out = append(out, image.Rect(int(s.XOrg), int(s.YOrg), int(s.XOrg)+int(s.Width), int(s.YOrg)+int(s.Height)))
				}
				return out, nil
			}
		}
	}
	geom, err := xproto.GetGeometry(conn, xproto.Drawable(root)).Reply()
	if err != nil {
		return nil, fmt.Errorf("the screen's size: %w", err)
	}
	return []image.Rectangle{image.Rect(0, 0, int(geom.Width), int(geom.Height))}, nil
}

// screenOf is the screen that holds the middle of win (the first if none).
func screenOf(win image.Rectangle, screens []image.Rectangle) image.Rectangle {
	mid := image.Pt((win.Min.X+win.Max.X)/2, (win.Min.Y+win.Max.Y)/2)
	for _, s := range screens {
		if mid.In(s) {
			return s
		}
	}
	return screens[0]
}

// offCentre says where to move the window win so that it leaves the middle
// third of screen alone, and whether it must move: to the nearer side
// edge, at the same height (kept on the screen). A window too wide to
// clear the middle goes to the edge all the same, covering less of it.
func offCentre(win, screen image.Rectangle) (image.Point, bool) {
	middle := image.Rect(screen.Min.X+screen.Dx()/3, screen.Min.Y+screen.Dy()/3,
		screen.Max.X-screen.Dx()/3, screen.Max.Y-screen.Dy()/3)
	if !win.Overlaps(middle) {
		return win.Min, false
	}
	x := screen.Max.X - win.Dx() - placeMargin
	if (win.Min.X+win.Max.X)/2 < (screen.Min.X+screen.Max.X)/2 {
		x = screen.Min.X + placeMargin
	}
	x = max(screen.Min.X, x)
	y := max(screen.Min.Y, min(win.Min.Y, screen.Max.Y-win.Dy()))
	return image.Pt(x, y), true
}
