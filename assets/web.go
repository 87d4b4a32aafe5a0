package assets

import "embed"

// Web holds the server's web pages (enrollment and demo) under web/.
//
//go:embed web
var Web embed.FS
