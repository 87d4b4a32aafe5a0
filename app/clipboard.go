package app

import (
	"time"

	"fyne.io/fyne/v2"
)

// clipboardClearer copies codes to the clipboard and clears them after a
// timeout, but only if the clipboard still holds the code it put there.
type clipboardClearer struct {
	clipboard fyne.Clipboard
	// after schedules f after d (time.AfterFunc; tests run it by hand).
	after func(d time.Duration, f func()) *time.Timer
	// do runs the clearing on the UI goroutine.
	do    func(func())
	timer *time.Timer
	code  string // the code copied last, for clearNow (lock.go)
}

// copy puts code on the clipboard; a timeout of 0 never clears it.
// cleared, if not nil, runs on the UI goroutine after the clearing.
func (c *clipboardClearer) copy(code string, timeout time.Duration, cleared func()) {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.clipboard.SetContent(code)
	c.code = code
	if timeout <= 0 {
		return
	}
	c.timer = c.after(timeout, func() {
		c.do(func() {
			if c.clipboard.Content() == code {
				c.clipboard.SetContent("")
				if cleared != nil {
					cleared()
				}
			}
		})
	})
}
