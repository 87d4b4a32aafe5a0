// Command barewindow opens an empty Fyne window of the app's default size,
// titled by its first argument (default "Bare Fyne window"): the reference
// scripts/idle.sh measures the app's idle cost against.
package main

import (
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
)

func main() {
	title := "Bare Fyne window"
	if len(os.Args) > 1 {
		title = os.Args[1]
	}
	a := app.NewWithID("org.countersign.barewindow")
	w := a.NewWindow(title)
	w.SetContent(container.NewStack())
	w.Resize(fyne.NewSize(420, 640)) // the app's default window size
	// SIGTERM quits cleanly, as the app does.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-stop
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
}
