// Command barewindow opens an empty Fyne window of the app's default size,
// titled by its first argument (default "Bare Fyne window"): the reference
// scripts/idle.sh measures the app's idle cost against. With -label it
// shows one line of text instead, the least a real window shows: drawing
// text makes Fyne load a set of fonts and llvmpipe compile the shaders
// that draw textures, a cost every Fyne app pays that the empty window
// does not.
//
// With -draw it also shows one of each canvas primitive named (see
// primitives), under the label if there is one, so that
// scripts/idle-primitives.sh can measure what each kind of thing drawn
// costs: Fyne draws each kind with its own OpenGL program, and llvmpipe
// compiles each program the first time it draws with it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/internal/fynequit"
)

func main() {
	label := flag.Bool("label", false, "show one line of text in the window")
	draw := flag.String("draw", "", "also show one of each of these primitives, comma-separated: "+strings.Join(primitiveNames(), ", "))
	flag.Parse()
	title := "Bare Fyne window"
	if flag.NArg() > 0 {
		title = flag.Arg(0)
	}
	a := app.NewWithID("org.countersign.barewindow")
	// As the app does: without it, a quit now and then hangs (and
	// scripts/idle.sh with it).
	savePreferences := fynequit.TakeStopHook(a)
	var shapes []fyne.CanvasObject
	if *draw != "" {
		for _, name := range strings.Split(*draw, ",") {
			mk, ok := primitives[strings.TrimSpace(name)]
			if !ok {
				fmt.Fprintf(os.Stderr, "barewindow: no primitive %q; use one of %s\n", name, strings.Join(primitiveNames(), ", "))
				os.Exit(2)
			}
			shapes = append(shapes, mk())
		}
	}
	w := a.NewWindow(title)
	content := container.NewStack()
	if *label {
		content.Add(widget.NewLabel("One line of text"))
	}
	if len(shapes) > 0 {
		content = container.NewStack(container.NewVBox(content, container.NewGridWrap(fyne.NewSquareSize(primitiveSize), shapes...)))
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
	savePreferences()
}
