//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package tray

import "runtime"

// available: Windows has a notification area and macOS a menu bar, where
// Fyne's tray icon always shows; elsewhere there is no tray.
func available() bool {
	return runtime.GOOS == "windows" || runtime.GOOS == "darwin"
}

// watch calls present at once where there is always a tray.
func watch(present func()) (stop func(), err error) {
	if available() {
		present()
	}
	return func() {}, nil
}
