package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/countersign/countersign/internal/instance"
	"github.com/countersign/countersign/internal/tray/traytest"
)

// runTimeout runs the binary with the test's environment and a fresh HOME
// (fresh Fyne preferences), killing it after d: a start that should hand
// over and exit must not hang the test.
func runTimeout(t *testing.T, d time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, countersignBinary(t), args...)
	cmd.Env = append(baseEnv(), "HOME="+t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("countersign %s did not exit within %v; stdout %q, stderr %q", strings.Join(args, " "), d, out.String(), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// closeWindow asks the window to close as a window manager's close button
// does: a WM_DELETE_WINDOW client message, which Fyne's close intercept gets.
func closeWindow(t *testing.T, window string) {
	t.Helper()
	id, err := strconv.ParseUint(window, 10, 32)
	if err != nil {
		t.Fatalf("window id %q: %v", window, err)
	}
	conn, err := xgb.NewConn()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	atom := func(name string) xproto.Atom {
		r, err := xproto.InternAtom(conn, false, uint16(len(name)), name).Reply()
		if err != nil {
			t.Fatal(err)
		}
		return r.Atom
	}
	ev := xproto.ClientMessageEvent{
		Format: 32, Window: xproto.Window(id), Type: atom("WM_PROTOCOLS"),
		Data: xproto.ClientMessageDataUnionData32New([]uint32{uint32(atom("WM_DELETE_WINDOW")), 0, 0, 0, 0}),
	}
	if err := xproto.SendEventChecked(conn, false, xproto.Window(id), xproto.EventMaskNoEvent, string(ev.Bytes())).Check(); err != nil {
		t.Fatal(err)
	}
}

// windowShown tells whether a window named Countersign is on show.
func windowShown(t *testing.T) bool {
	out, err := xtool(t, 5*time.Second, "xdotool", "search", "--onlyvisible", "--name", "^Countersign$")
	return err == nil && out != ""
}

// waitWindow waits up to 15 s for the window to be shown or hidden.
func (g *guiProc) waitWindow(t *testing.T, shown bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); windowShown(t) != shown; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: window shown %v after 15 s, want %v; app output:\n%s", what, !shown, shown, g.out.String())
		}
	}
}

// stillRunning fails the test if the app has exited.
func (g *guiProc) stillRunning(t *testing.T, what string) {
	t.Helper()
	select {
	case err := <-g.exited:
		g.waited = true
		t.Fatalf("%s: the app exited (%v); output:\n%s", what, err, g.out.String())
	case <-time.After(500 * time.Millisecond):
	}
}

// accountIDs returns the ids of the vault's accounts by label.
func accountIDs(t *testing.T, dir string) map[string]string {
	t.Helper()
	var list []struct{ ID, Issuer, Name string }
	if err := json.Unmarshal([]byte(ok(t, "--vault", dir, "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, a := range list {
		ids[a.Issuer+" ("+a.Name+")"] = a.ID
	}
	return ids
}

// waitAccount waits up to 15 s for the account to be in the vault, and
// deletes it (and its keyring item) when the test ends.
func (g *guiProc) waitAccount(t *testing.T, dir, label string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if id, ok := accountIDs(t, dir)[label]; ok {
			t.Cleanup(func() { runCS(t, "--vault", dir, "delete", id) })
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not added within 15 s; app output:\n%s", label, g.out.String())
		}
	}
}

// handedOver checks a start that handed over to the app of process pid.
func handedOver(t *testing.T, r result, dir string, pid int, did string) {
	t.Helper()
	want := fmt.Sprintf("Countersign is already running for the vault in %s (process %d): %s.\n", dir, pid, did)
	if r.code != 0 || r.stdout != want || strings.Contains(r.stderr, "countersign:") {
		t.Fatalf("second start: exit %d, stdout %q, stderr %q; want 0 and %q", r.code, r.stdout, r.stderr, want)
	}
}

// TestSecondStartHandsOver: with a tray (a StatusNotifierWatcher on the
// test's session bus, where Fyne's icon registers), closing the window
// hides it and the app keeps running. A second start of the real binary on
// the same vault hands over to it and exits 0 with a line saying so; the
// first shows its window again and adds the account of the URI it was
// given. Then --scan: the first scans the screen and adds the QR code shown
// there. The headless commands work alongside all along.
func TestSecondStartHandsOver(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("DISPLAY is unset: the GUI tests need an X display; make test runs them under Xvfb")
	}
	requireKeyring(t)
	watcher := traytest.Start(t)
	dir := t.TempDir()
	addKeyringAccounts(t, dir, [2]string{"Smoke", "first"})

	g := startGUI(t, dir)
	for deadline := time.Now().Add(15 * time.Second); len(watcher.Items()) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the tray icon did not register with the watcher within 15 s; output:\n%s", g.out.String())
		}
	}
	closeWindow(t, g.window)
	g.waitWindow(t, false, "closing the window with a tray")
	g.stillRunning(t, "closing the window with a tray")

	uri := "otpauth://totp/Handover:zoe?secret=" + rfcSHA1 + "&issuer=Handover"
	r := runTimeout(t, 30*time.Second, "--vault", dir, uri)
	handedOver(t, r, dir, g.cmd.Process.Pid, "showed its window and passed the URI on to it")
	g.waitWindow(t, true, "after the second start")
	g.waitAccount(t, dir, "Handover (zoe)")
	if strings.Contains(r.stdout+r.stderr, rfcSHA1) {
		t.Error("the second start printed the secret")
	}

	// --scan, with a QR code on the screen.
	viewer := exec.Command(lookPath(t, "display"), "-geometry", "+900+150", qrPNG(t, "otpauth://totp/Scanned:ann?secret="+rfcSHA1+"&issuer=Scanned"))
	if err := viewer.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		viewer.Process.Kill()
		viewer.Wait()
	}()
	if _, err := xtool(t, 30*time.Second, "xdotool", "search", "--sync", "--onlyvisible", "--name", "qr.png"); err != nil {
		t.Fatalf("ImageMagick's window did not appear: %v", err)
	}
	time.Sleep(500 * time.Millisecond) // let it paint
	r = runTimeout(t, 30*time.Second, "--scan", "--vault", dir)
	handedOver(t, r, dir, g.cmd.Process.Pid, "showed its window and asked it to scan the screen")
	g.waitAccount(t, dir, "Scanned (ann)")

	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	g.wantExit0(t, "SIGTERM")
	if _, err := os.Lstat(filepath.Join(dir, instance.SocketFileName)); err == nil {
		t.Error("the socket is still there after the app quit")
	}
}

// TestStartAfterKill: an app killed with SIGKILL leaves its socket file
// behind; a new start is not stopped by it, takes the vault over, and a
// start after that hands over to the new one.
func TestStartAfterKill(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("DISPLAY is unset: the GUI tests need an X display; make test runs them under Xvfb")
	}
	requireKeyring(t)
	dir := t.TempDir()
	addKeyringAccounts(t, dir, [2]string{"Smoke", "first"})

	g := startGUI(t, dir)
	g.cmd.Process.Signal(syscall.SIGKILL)
	<-g.exited
	g.waited = true
	sock := filepath.Join(dir, instance.SocketFileName)
	if fi, err := os.Lstat(sock); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("the killed app left no socket behind (%v): nothing to test", err)
	}

	g = startGUI(t, dir)
	r := runTimeout(t, 30*time.Second, "--vault", dir)
	handedOver(t, r, dir, g.cmd.Process.Pid, "showed its window")
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	g.wantExit0(t, "SIGTERM")
}

// TestCloseWithoutTrayQuits: on a desktop without a tray (no
// StatusNotifierWatcher: stock GNOME, this Xvfb), closing the window quits
// the app, though keeping running in the tray is the default choice.
func TestCloseWithoutTrayQuits(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("DISPLAY is unset: the GUI tests need an X display; make test runs them under Xvfb")
	}
	requireKeyring(t)
	dir := t.TempDir()
	addKeyringAccounts(t, dir, [2]string{"Smoke", "first"})
	g := startGUI(t, dir)
	closeWindow(t, g.window)
	g.wantExit0(t, "closing the window without a tray")
}

func TestGUIArguments(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--scan", "list"}, "--scan starts the app scanning the screen, and takes no command; to add the codes of an image file: countersign add --scan FILE"},
		{[]string{"--scan", "qr.png"}, "--scan takes no file: it scans the screen; to add the codes of an image file: countersign add --scan FILE"},
		{[]string{"otpauth://totp/x?secret=" + rfcSHA1, "list"}, `"list" is not an otpauth://, otpauth-migration:// or countersign://activate URI (see countersign --help)`},
		{[]string{"otpauth://totp/x?secret=" + rfcSHA1, "--bogus"}, "flag provided but not defined: -bogus (see countersign --help)"},
		{[]string{"--store", "nope", "otpauth://totp/x?secret=" + rfcSHA1}, `--store: "nope" is not a store; use keyring or file`},
	} {
		wantFail(t, runCS(t, append([]string{"--vault", dir}, tc.args...)...), 2, tc.want)
	}
	// Without a display the URI is not lost in silence.
	r := runEnv(t, []string{"DISPLAY=", "WAYLAND_DISPLAY="}, "--vault", dir, "--scan", "otpauth://totp/x?secret="+rfcSHA1)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "countersign: no display found") {
		t.Fatalf("no display: exit %d, stderr %q", r.code, r.stderr)
	}
	if out := ok(t, "--help"); !strings.Contains(out, "countersign [global flags] --scan") || !strings.Contains(out, "One app runs per vault") ||
		strings.Contains(out, "-scan\n") {
		t.Errorf("--help:\n%s", out)
	}
}
