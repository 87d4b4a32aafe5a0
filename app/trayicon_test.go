package app

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/countersign/countersign/assets"
)

// TestTrayIconIsSmall: the tray gets the app icon at 64×64 (it keeps it
// as raw pixels: 16 KiB, not the 1 MiB of the 512×512 icon), still
// as opaque or clear as the big one where they match; no icon, an icon
// that is not an image, or one small already goes to the tray unchanged.
func TestTrayIconIsSmall(t *testing.T) {
	big := fyne.NewStaticResource(assets.IconName, assets.IconPNG)
	small := trayIcon(big)
	img, err := png.Decode(bytes.NewReader(small.Content()))
	if err != nil {
		t.Fatalf("the tray icon is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 64 {
		t.Fatalf("the tray icon is %v, want 64x64", b)
	}
	orig, err := png.Decode(bytes.NewReader(assets.IconPNG))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []image.Point{{0, 0}, {32, 32}} {
		_, _, _, got := img.At(p.X, p.Y).RGBA()
		_, _, _, want := orig.At(p.X*8, p.Y*8).RGBA()
		if (got > 0x8000) != (want > 0x8000) {
			t.Errorf("alpha at %v is %#x, the 512-pixel icon has %#x at %v", p, got, want, p.Mul(8))
		}
	}

	if trayIcon(nil) != nil {
		t.Error("no icon became one")
	}
	notImage := fyne.NewStaticResource("notes.txt", []byte("not an image"))
	if trayIcon(notImage) != notImage {
		t.Error("a resource that is not an image was changed")
	}
	var tiny bytes.Buffer
	if err := png.Encode(&tiny, image.NewNRGBA(image.Rect(0, 0, 32, 32))); err != nil {
		t.Fatal(err)
	}
	small32 := fyne.NewStaticResource("tiny.png", tiny.Bytes())
	if trayIcon(small32) != small32 {
		t.Error("a 32-pixel icon was scaled")
	}
}
