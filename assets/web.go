package assets

import "embed"

// Web holds the server's web pages (enrollment, self-service and demo)
// under web/, and their scripts and styles under web/static/: the pages
// have no inline script or style, so the server's Content-Security-Policy
// can forbid both.
//
//go:embed web
var Web embed.FS
