package assets

import (
	"bytes"
	"image/png"
	"os"
	"strings"
	"testing"
)

func TestIconIsA512PNGWithTransparentCorners(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(IconPNG))
	if err != nil {
		t.Fatalf("IconPNG is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 512 || b.Dy() != 512 {
		t.Fatalf("icon is %dx%d, want 512x512", b.Dx(), b.Dy())
	}
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("corner alpha %d, want 0 (the shield stands on transparency)", a)
	}
	if _, _, _, a := img.At(256, 256).RGBA(); a != 0xffff {
		t.Errorf("centre alpha %d, want opaque", a)
	}
}

func TestFyneAppTomlNamesTheIcon(t *testing.T) {
	b, err := os.ReadFile("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Icon = "assets/` + IconName + `"`, `ID = "dev.countersign.app"`, `Name = "Countersign"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("FyneApp.toml has no %s", want)
		}
	}
}
