// Command quitprobe is a Fyne app that quits on SIGTERM, for
// TestQuitRace: built with Fyne's quit race made certain (an overlay),
// it hangs at quit unless started with -take, which uses TakeStopHook as
// the app does. It prints "started" once its window runs.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/internal/fynequit"
)

func main() {
	take := flag.Bool("take", false, "take Fyne's stop hook (fynequit.TakeStopHook) and run it after Run")
	flag.Parse()
	a := app.NewWithID("dev.countersign.quitprobe")
	savePreferences := func() {}
	if *take {
		savePreferences = fynequit.TakeStopHook(a)
	}
	a.Lifecycle().SetOnStarted(func() { fmt.Println("started") })
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	go func() {
		<-stop
		fyne.Do(a.Quit)
	}()
	w := a.NewWindow("quitprobe")
	w.SetContent(widget.NewLabel("quit probe"))
	w.ShowAndRun()
	savePreferences()
	fmt.Println("stopped")
}
