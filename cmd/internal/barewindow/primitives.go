package main

import (
	"image"
	"image/color"
	"image/draw"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
)

// primitiveSize is the side of the square each primitive is drawn in.
const primitiveSize = 30

// primitives make one of each kind of thing a window draws, by the name
// -draw takes. Fyne 2.7's OpenGL painter draws text, images and rasters
// with one texture program, and has one program each for plain
// rectangles, rounded rectangles (and circles), lines, polygons and arcs.
var primitives = map[string]func() fyne.CanvasObject{
	"rect": func() fyne.CanvasObject { return canvas.NewRectangle(theme.Color(theme.ColorNamePrimary)) },
	"roundrect": func() fyne.CanvasObject {
		r := canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))
		r.CornerRadius = 4
		return r
	},
	"strokerect": func() fyne.CanvasObject {
		r := canvas.NewRectangle(color.Transparent)
		r.StrokeColor, r.StrokeWidth, r.CornerRadius = theme.Color(theme.ColorNameForeground), 1, 4
		return r
	},
	"circle": func() fyne.CanvasObject { return canvas.NewCircle(theme.Color(theme.ColorNamePrimary)) },
	"arc": func() fyne.CanvasObject {
		return canvas.NewArc(0, 270, 0.78, theme.Color(theme.ColorNamePrimary))
	},
	"line": func() fyne.CanvasObject {
		l := canvas.NewLine(theme.Color(theme.ColorNameForeground))
		l.Position1, l.Position2 = fyne.NewPos(0, 0), fyne.NewPos(primitiveSize, primitiveSize)
		return l
	},
	"polygon": func() fyne.CanvasObject {
		return canvas.NewPolygon(6, theme.Color(theme.ColorNamePrimary))
	},
	// An SVG icon, as toolbar buttons show.
	"icon": func() fyne.CanvasObject { return canvas.NewImageFromResource(theme.MoreHorizontalIcon()) },
	// A solid image with rounded corners: drawn by the texture program.
	"roundimage": func() fyne.CanvasObject {
		img := image.NewNRGBA(image.Rect(0, 0, primitiveSize, primitiveSize))
		draw.Draw(img, img.Bounds(), image.NewUniform(theme.Color(theme.ColorNamePrimary)), image.Point{}, draw.Src)
		i := canvas.NewImageFromImage(img)
		i.CornerRadius = primitiveSize / 2
		return i
	},
}

// primitiveNames are the names -draw takes, sorted.
func primitiveNames() []string {
	var names []string
	for n := range primitives {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
