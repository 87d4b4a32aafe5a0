package main

import (
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/countersign/countersign/app"
	"github.com/countersign/countersign/assets"
)

// AppID is the application id, as in FyneApp.toml.
const AppID = "dev.countersign.app"

// runGUI starts the desktop app and returns when its window is closed, when
// it is quit from its menu, or on SIGINT or SIGTERM.
func runGUI(c *cli) error {
	// Check before Fyne initializes: without a display GLFW panics.
	if err := checkDisplay(); err != nil {
		return err
	}
	// Creating the app opens no window yet: the toolkit starts with the first one.
	a := fyneapp.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource(assets.IconName, assets.IconPNG))
	// The vault directory chosen in the settings applies unless --vault or
	// COUNTERSIGN_VAULT says otherwise.
	if c.g.vaultDir == "" && os.Getenv("COUNTERSIGN_VAULT") == "" {
		c.g.vaultDir = a.Preferences().String(app.PrefVaultDir)
	}
	v, err := c.openVault()
	if err != nil {
		return err
	}
	defer v.Close()
	ui := app.New(a, v, app.Options{}) // zero options: the real scanner and clock

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		<-signals
		fyne.Do(a.Quit)
	}()

	ui.ShowAndRun()
	return nil
}
