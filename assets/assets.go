// Package assets holds the files embedded in the Countersign binaries: the
// application icon, and later the companion server's web pages. It does not
// import Fyne; the app wraps the bytes in a fyne.StaticResource.
package assets

import _ "embed"

// IconPNG is the application icon: a 512×512 PNG of a shield with a check mark.
//
//go:embed icon.png
var IconPNG []byte

// IconName is the file name under which the icon is embedded.
const IconName = "icon.png"
