package scanner

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// startXvfb starts a private X server (never the user's own screen) with the
// given Xvfb arguments, points DISPLAY at it for the test, and stops it after.
func startXvfb(t *testing.T, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatal("Xvfb is missing: apt-get install -y xvfb (make test installs it)")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// -noreset: the server must keep the background set by xsetroot after it exits.
	cmd := exec.Command("Xvfb", append([]string{"-displayfd", "3", "-nolisten", "tcp", "-noreset"}, args...)...)
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal("Xvfb did not start")
		}
		t.Setenv("DISPLAY", ":"+n)
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not report its display within 20 s")
	}
}

// writeXBM writes img (black and white) as an X bitmap file.
func writeXBM(t *testing.T, img *image.Gray, path string) {
	t.Helper()
	b := img.Bounds()
	var sb strings.Builder
	fmt.Fprintf(&sb, "#define qr_width %d\n#define qr_height %d\nstatic unsigned char qr_bits[] = {\n", b.Dx(), b.Dy())
	for y := range b.Dy() {
		for x0 := 0; x0 < b.Dx(); x0 += 8 {
			var v byte
			for bit := range 8 {
				if x := x0 + bit; x < b.Dx() && img.GrayAt(x, y).Y < 128 {
					v |= 1 << bit
				}
			}
			fmt.Fprintf(&sb, "0x%02x,", v)
		}
		sb.WriteByte('\n')
	}
	sb.WriteString("};\n")
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestScanScreen shows a QR code on the background of a real (virtual) X
// server and scans it from a capture of the screen.
func TestScanScreen(t *testing.T) {
	startXvfb(t, "-screen", "0", "1920x1080x24")
	xbm := filepath.Join(t.TempDir(), "qr.xbm")
	writeXBM(t, qrImage(t, sampleURI, 240), xbm)
	if out, err := exec.Command("xsetroot", "-bitmap", xbm, "-fg", "black", "-bg", "white").CombinedOutput(); err != nil {
		t.Fatalf("xsetroot: %v: %s (apt-get install -y x11-xserver-utils)", err, out)
	}
	img, err := CaptureScreen()
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1920 || b.Dy() != 1080 {
		t.Fatalf("capture is %v, want the whole 1920×1080 screen", b)
	}
	codes, err := ScanScreen()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(codes, []string{sampleURI}) {
		t.Fatalf("got %q", codes)
	}
}

func TestCaptureScreenWithoutDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	_, err := CaptureScreen()
	if !errors.Is(err, ErrNoScreen) || !strings.Contains(err.Error(), "DISPLAY is not set") {
		t.Fatalf("got %v", err)
	}
}

// TestComposeDisplays checks how several monitors become one image. Xvfb
// cannot show two monitors side by side, so the captures here are images
// standing in for two real displays: the left one holds the left half of a
// code, the right one the other half.
func TestComposeDisplays(t *testing.T) {
	code := qrImage(t, sampleURI, 300)
	left, right := image.Rect(0, 0, 150, 300), image.Rect(150, 0, 300, 400)
	captured := map[image.Rectangle]int{}
	img, err := compose([]image.Rectangle{left, right}, func(r image.Rectangle) (image.Image, error) {
		captured[r]++
		sub := image.NewGray(r)
		draw.Draw(sub, r, image.White, image.Point{}, draw.Src)
		draw.Draw(sub, r.Intersect(code.Bounds()), code, r.Min, draw.Src)
		return sub, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 300, 400) || captured[left] != 1 || captured[right] != 1 {
		t.Fatalf("bounds %v, captures %v", img.Bounds(), captured)
	}
	codes, err := Decode(img)
	if err != nil || !reflect.DeepEqual(codes, []string{sampleURI}) {
		t.Fatalf("code across two displays: %q, %v", codes, err)
	}
	_, err = compose([]image.Rectangle{left, right}, func(image.Rectangle) (image.Image, error) { return nil, errors.New("denied") })
	if err == nil || err.Error() != "display 1: denied" {
		t.Fatalf("failed capture: %v", err)
	}
}
