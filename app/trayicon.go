package app

import (
	"bytes"
	"image"
	"image/png"

	"fyne.io/fyne/v2"
	"golang.org/x/image/draw"
)

// trayIconSize is the side of the tray icon in pixels: a tray shows icons
// at 16 to 32 points, so 64 is sharp at twice that.
const trayIconSize = 64

// trayIcon is icon scaled down to trayIconSize. The tray keeps its icon
// as uncompressed pixels for as long as the app runs: 1 MiB for the
// 512-pixel app icon, 16 KiB at this size. No icon, an icon that cannot
// be decoded, or one that is small already, is returned as it is.
func trayIcon(icon fyne.Resource) fyne.Resource {
	if icon == nil {
		return nil
	}
	src, _, err := image.Decode(bytes.NewReader(icon.Content()))
	if err != nil || src.Bounds().Dx() <= trayIconSize {
		return icon
	}
	dst := image.NewNRGBA(image.Rect(0, 0, trayIconSize, trayIconSize))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	var out bytes.Buffer
	if err := png.Encode(&out, dst); err != nil {
		return icon
	}
	return fyne.NewStaticResource("tray-"+icon.Name(), out.Bytes())
}
