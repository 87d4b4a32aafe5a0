package scanner

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"io"
	"log"
	"os"

	"github.com/jezek/xgb"
	"github.com/kbinani/screenshot"
)

func init() {
	// xgb, under the screenshot package, logs every connection attempt.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// ErrNoScreen is wrapped by CaptureScreen's error when there is no screen to capture.
var ErrNoScreen = errors.New("no screen to capture")

// CaptureScreen captures every active display and returns them composed in
// one image, placed as the displays are arranged.
func CaptureScreen() (img image.Image, err error) {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" && isX11Platform {
		return nil, fmt.Errorf("%w: DISPLAY is not set (run in a desktop session)", ErrNoScreen)
	}
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("%w: the capture failed: %v", ErrNoScreen, r)
		}
	}()
	n := screenshot.NumActiveDisplays()
	if n == 0 {
		return nil, fmt.Errorf("%w: no active display was found", ErrNoScreen)
	}
	displays := make([]image.Rectangle, n)
	for i := range displays {
		displays[i] = screenshot.GetDisplayBounds(i)
	}
	img, err = compose(displays, func(r image.Rectangle) (image.Image, error) { return screenshot.CaptureRect(r) })
	if err != nil {
		return nil, fmt.Errorf("capturing the screen: %w (on Wayland, open the QR image as a file instead)", err)
	}
	return img, nil
}

// compose captures each display with capture and draws it at its place in
// one image spanning them all; gaps between displays are white.
func compose(displays []image.Rectangle, capture func(image.Rectangle) (image.Image, error)) (image.Image, error) {
	var all image.Rectangle
	for _, d := range displays {
		all = all.Union(d)
	}
	if all.Dx()*all.Dy() > MaxPixels {
		return nil, fmt.Errorf("the screens together are too large to scan (%d×%d)", all.Dx(), all.Dy())
	}
	if len(displays) == 1 {
		return capture(all)
	}
	canvas := image.NewRGBA(all)
	draw.Draw(canvas, all, image.White, image.Point{}, draw.Src)
	for i, d := range displays {
		shot, err := capture(d)
		if err != nil {
			return nil, fmt.Errorf("display %d: %w", i+1, err)
		}
		draw.Draw(canvas, d, shot, shot.Bounds().Min, draw.Src)
	}
	return canvas, nil
}

// ScanScreen captures every display and returns the text of every QR code
// shown on them.
func ScanScreen() ([]string, error) {
	img, err := CaptureScreen()
	if err != nil {
		return nil, err
	}
	codes, err := Decode(img)
	if err != nil {
		return nil, fmt.Errorf("scanning the screen: %w", err)
	}
	return codes, nil
}
