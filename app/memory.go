package app

import (
	"os"
	"runtime/debug"
)

// startupTicks is how many ticks after the start the memory that building
// the window left behind is given back to the system: by then the window
// is drawn and every font it shows is loaded.
const startupTicks = 3

// idleGCPercent is the Go garbage collector's target once the window is
// up (GOGC; Go's default is 100): the heap may grow by 20 % of what is
// live before a collection, not 100 %. Idle, the app allocates a few KB a
// second, so collecting sooner costs no measurable CPU, and Go keeps up
// to its heap target mapped: the default let the heap grow back by up to
// 10 MiB within a minute of the start (scripts/idle.sh).
const idleGCPercent = 20

// releaseStartupMemory runs on each tick and, once, startupTicks after the
// start, lowers the collector's target to idleGCPercent (unless GOGC is
// set), then collects and returns to the system the memory left free by
// the start. Loading
// the fonts (Fyne parses a font and its fallbacks for each text style)
// leaves tens of MiB of garbage that Go would otherwise keep mapped for a
// long while, and an authenticator mostly sits idle.
func (u *UI) releaseStartupMemory() {
	if u.ticks++; u.ticks == startupTicks {
		if os.Getenv("GOGC") == "" { // one set by the user wins
			debug.SetGCPercent(idleGCPercent)
		}
		debug.FreeOSMemory()
	}
}
