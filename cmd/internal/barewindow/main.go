// Command barewindow opens an empty Fyne window of the app's default size,
// titled by its first argument (default "Bare Fyne window"): the reference
// scripts/idle.sh measures the app's idle cost against. With -label it
// shows one line of text instead, the least a real window shows: drawing
// text makes Fyne load a set of fonts and llvmpipe compile the shaders
// that draw textures, a cost every Fyne app pays that the empty window
// does not.
package main

import (
	"flag"
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	label := flag.Bool("label", false, "show one line of text in the window")
	flag.Parse()
	title := "Bare Fyne window"
	if flag.NArg() > 0 {
		title = flag.Arg(0)
	}
	a := app.NewWithID("org.countersign.barewindow")
	w := a.NewWindow(title)
	content := container.NewStack()
	if *label {
		content.Add(widget.NewLabel("One line of text"))
	}
	w.SetContent(content)
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
