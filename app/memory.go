package app

import "runtime/debug"

// startupTicks is how many ticks after the start the memory that building
// the window left behind is given back to the system: by then the window
// is drawn and every font it shows is loaded.
const startupTicks = 3

// releaseStartupMemory runs on each tick and, once, startupTicks after the
// start, collects and returns to the system the memory left free by the
// start. Loading the fonts (Fyne parses a font and its fallbacks for each
// text style) leaves tens of MiB of garbage that Go would otherwise keep
// mapped for a long while, and an authenticator mostly sits idle.
func (u *UI) releaseStartupMemory() {
	if u.ticks++; u.ticks == startupTicks {
		debug.FreeOSMemory()
	}
}
