package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/countersign/countersign/app"
	"github.com/countersign/countersign/assets"
	"github.com/countersign/countersign/internal/fynequit"
	"github.com/countersign/countersign/internal/instance"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/vault"
)

// AppID is the application id, as in FyneApp.toml.
const AppID = "dev.countersign.app"

// handOverTimeout bounds the wait for the running app to answer.
const handOverTimeout = 10 * time.Second

// handOverActTimeout bounds the running app's wait for its window to show
// what a later start asked (instance.Server.AwaitDone).
const handOverActTimeout = 4 * time.Second

// isLaunchURI tells whether an argument is a URI the app takes at start:
// otpauth://, otpauth-migration:// or countersign://activate.
func isLaunchURI(arg string) bool {
	lower := strings.ToLower(arg)
	return strings.HasPrefix(lower, "otpauth://") || strings.HasPrefix(lower, "otpauth-migration://") ||
		push.IsActivationURI(arg)
}

// runGUI starts the desktop app and returns when its window is closed, when
// it is quit from its menu, or on SIGINT or SIGTERM. One app runs per
// vault: when one already runs on the vault, runGUI hands launch over to it
// (it shows its window and does what launch asks) and returns.
func runGUI(c *cli, launch app.Launch) error {
	// Check before Fyne initializes: without a display GLFW panics.
	if err := checkDisplay(); err != nil {
		return err
	}
	// Creating the app opens no window yet: the toolkit starts with the first one.
	a := fyneapp.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource(assets.IconName, assets.IconPNG))
	// Run by hand once the app has stopped: Fyne's own could hang the quit (internal/fynequit).
	savePreferences := fynequit.TakeStopHook(a)
	// The vault directory chosen in the settings applies unless --vault or
	// COUNTERSIGN_VAULT says otherwise.
	if c.g.vaultDir == "" && os.Getenv("COUNTERSIGN_VAULT") == "" {
		c.g.vaultDir = a.Preferences().String(app.PrefVaultDir)
	}
	dir, err := c.vaultDir()
	if err != nil {
		return err
	}
	// Before the vault opens: a later start asks for no passphrase.
	srv, err := instance.Claim(dir)
	var running *instance.RunningError
	if errors.As(err, &running) {
		return c.handOver(running, launch)
	}
	if err != nil {
		return err
	}
	defer srv.Close()

	step, store, keyErr := decideStore(c.storeAsked(), a.Preferences().String(prefStoreFor(dir)), c.hasPassphraseSource(),
		func() error { return vault.NewKeyringStore(vault.KeyringService).Check() })
	if step != storeOpen {
		// No terminal to ask on, or no keyring: a window says so (a
		// desktop launcher hides standard error) and opens the file store.
		return c.runStoreProblem(a, srv, dir, step, keyErr, launch, savePreferences)
	}
	c.g.store = store
	// A later start waits until the window showed what it asked: if this
	// app could not show it (stuck), that start says so instead of exiting
	// as if it had. (The store problem's window takes requests only once
	// the vault is open, so there a later start is answered at once.)
	srv.AwaitDone(handOverActTimeout)
	v, err := c.openVault()
	if err != nil {
		return err
	}
	defer v.Close()
	ui := app.New(a, v, app.Options{}) // zero options: the real scanner, clock and tray

	a.Lifecycle().SetOnStarted(func() {
		if launch.Scan || len(launch.URIs) > 0 {
			ui.Launch(launch)
		}
		// Later starts, handed over; queued by srv until now.
		go func() {
			for req := range srv.Requests() {
				l := app.Launch{Scan: req.Scan, URIs: req.URIs}
				fyne.Do(func() {
					ui.Launch(l)
					req.Done()
				})
			}
		}()
	})

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		<-signals
		fyne.Do(a.Quit)
	}()

	ui.ShowAndRun()
	savePreferences()
	return nil
}

// runStoreProblem shows the window of a store that cannot be opened as
// asked (step), opens the encrypted file store from it, remembers that
// choice for the vault, then runs the app as runGUI does (savePreferences,
// from fynequit.TakeStopHook, runs once the app has stopped).
func (c *cli) runStoreProblem(a fyne.App, srv *instance.Server, dir string, step storeStep, keyErr error, launch app.Launch, savePreferences func()) error {
	path := filepath.Join(dir, secretsFileName)
	_, statErr := os.Stat(path)
	var v *vault.Vault
	var ui *app.UI
	p := app.StoreProblem{Dir: dir, NoKeyring: step == storeNoKeyring, FileExists: statErr == nil}
	if keyErr != nil {
		p.Detail = keyErr.Error()
	}
	p.OpenFile = func(pass []byte) error {
		if err := vault.PrivateDir(dir); err != nil {
			return fmt.Errorf("creating the vault directory: %w", err)
		}
		s, err := vault.OpenFileStore(path, pass)
		if err != nil {
			return err
		}
		if v, err = vault.Open(dir, s); err != nil {
			return fmt.Errorf("opening the vault in %s: %w", dir, err)
		}
		a.Preferences().SetString(prefStoreFor(dir), "file")
		return nil
	}
	p.OnOpened = func() {
		ui = app.New(a, v, app.Options{})
		ui.Show()
		if launch.Scan || len(launch.URIs) > 0 {
			ui.Launch(launch)
		}
		go func() {
			for req := range srv.Requests() {
				l := app.Launch{Scan: req.Scan, URIs: req.URIs}
				fyne.Do(func() {
					ui.Launch(l)
					req.Done()
				})
			}
		}()
	}
	app.ShowStoreProblem(a, p)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		<-signals
		fyne.Do(a.Quit)
	}()
	a.Run()
	if ui != nil {
		ui.Stop()
	}
	savePreferences()
	if v != nil {
		v.Close()
	}
	return nil
}

// handOver passes launch to the app running on the vault and says so.
// URIs go through the running app's private socket, never to the screen.
func (c *cli) handOver(running *instance.RunningError, launch app.Launch) error {
	reply, err := instance.Send(running.Dir, instance.Request{Scan: launch.Scan, URIs: launch.URIs}, handOverTimeout)
	if err != nil {
		return fmt.Errorf("%v, but it did not take over: %w", running, err)
	}
	did := "showed its window"
	switch n := len(launch.URIs); {
	case n == 1 && launch.Scan:
		did += ", passed the URI on to it and asked it to scan the screen"
	case n > 1 && launch.Scan:
		did += fmt.Sprintf(", passed the %d URIs on to it and asked it to scan the screen", n)
	case n == 1:
		did += " and passed the URI on to it"
	case n > 1:
		did += fmt.Sprintf(" and passed the %d URIs on to it", n)
	case launch.Scan:
		did += " and asked it to scan the screen"
	}
	fmt.Fprintf(c.stdout, "Countersign is already running for the vault in %s (process %d): %s.\n", running.Dir, reply.PID, did)
	return nil
}
