//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package app

import "github.com/countersign/countersign/internal/tray"

// watchTray calls present at once where there is always a tray (Windows'
// notification area, macOS's menu bar); elsewhere there is none.
func watchTray(present func()) (stop func()) {
	if tray.Available() {
		present()
	}
	return func() {}
}
