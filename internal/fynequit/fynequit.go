// Package fynequit works around a race in Fyne 2.7.1 that can leave a
// desktop app running, windowless, after it was asked to quit.
package fynequit

import "fyne.io/fyne/v2"

// TakeStopHook works around a race in Fyne 2.7.1's desktop driver that
// can leave the app running, windowless, after it was asked to quit (seen
// twice in about 70 quits by SIGTERM here, on a busy machine): the driver's main
// loop, once it stops, queues the app's "stopped" lifecycle callback and
// then drains its queue of work for the main goroutine; the goroutine
// that runs lifecycle callbacks hands the callback to that queue and waits
// for it; when the hand-over lands after the drain looked, nobody runs it,
// and the main goroutine then waits for the lifecycle goroutine forever
// (fyne.io/fyne/v2/internal/driver/glfw/loop.go, runGL and
// runOnMainWithWait; internal/app/lifecycle.go, WaitForEvents). A hung
// countersign still holds the vault's single-instance socket, so a new
// launch hands over to it and no window appears.
//
// Fyne queues that callback only when there is one. The app must set none
// (fyne.Lifecycle's SetOnStopped would bring the race back), but Fyne
// sets its own, which saves the preferences at once (a change
// made less than 100 ms after the previous save is otherwise written
// later, by a goroutine that needs the main loop). TakeStopHook removes
// Fyne's callback, so nothing is queued at quit, and returns it: the
// caller runs it once the app's Run has returned, on the main goroutine,
// where it cannot race. If Fyne's lifecycle no longer has these methods,
// or has no callback, it changes nothing and returns a function that does
// nothing.
func TakeStopHook(a fyne.App) func() {
	lc, ok := a.Lifecycle().(interface {
		OnStopped() func()
		SetOnStoppedHookExecuted(func())
	})
	if !ok {
		return func() {}
	}
	hook := lc.OnStopped() // the app sets no OnStopped: this is Fyne's hook alone
	if hook == nil {
		return func() {}
	}
	lc.SetOnStoppedHookExecuted(nil)
	return hook
}
