package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/countersign/countersign/vault"
)

func TestGUINoDisplay(t *testing.T) {
	dir := t.TempDir()
	r := runEnv(t, []string{"DISPLAY=", "WAYLAND_DISPLAY="}, "--vault", dir)
	wantFail(t, r, 1, "no display found (DISPLAY and WAYLAND_DISPLAY are unset); run it in a desktop session, "+
		"or try `xvfb-run make run`, or use the headless commands: countersign --help")
}

// xtool runs an X tool with a timeout and returns its trimmed output.
func xtool(t *testing.T, timeout time.Duration, name string, arg ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, lookPath(t, name), arg...).Output()
	return strings.TrimSpace(string(out)), err
}

// fyneThreadError starts the line Fyne logs when a UI call is made off its
// main goroutine (fyne.io/fyne/v2/internal/async).
const fyneThreadError = "*** Error in Fyne call thread"

// guiProc is a running GUI binary and its window.
type guiProc struct {
	cmd    *exec.Cmd
	out    *bytes.Buffer
	exited chan error
	waited bool
	window string
}

// startGUI starts the GUI on the vault in dir and waits for its window.
func startGUI(t *testing.T, dir string) *guiProc {
	t.Helper()
	g := &guiProc{cmd: exec.Command(countersignBinary(t), "--vault", dir), out: new(bytes.Buffer), exited: make(chan error, 1)}
	g.cmd.Env = append(baseEnv(), "HOME="+t.TempDir()) // fresh Fyne preferences
	g.cmd.Stdout, g.cmd.Stderr = g.out, g.out
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.exited <- g.cmd.Wait() }()
	t.Cleanup(func() {
		if !g.waited {
			g.cmd.Process.Kill()
			<-g.exited
		}
		// Fyne logs a UI change made off its main goroutine (and makes
		// it on the main goroutine itself); the app must make every one
		// through fyne.Do, so one logged fails the test.
		if out := g.out.String(); strings.Contains(out, fyneThreadError) {
			t.Errorf("the app changed its UI off Fyne's main goroutine (it must go through fyne.Do); output:\n%s", out)
		}
	})
	win, err := xtool(t, 30*time.Second, "xdotool", "search", "--sync", "--onlyvisible", "--name", "^Countersign$")
	if err != nil || win == "" {
		t.Fatalf("no window named Countersign within 30 s (%v); app output:\n%s", err, g.out.String())
	}
	g.window = strings.Fields(win)[0]
	if _, err := xtool(t, 10*time.Second, "xdotool", "windowfocus", "--sync", g.window); err != nil {
		t.Fatalf("focusing the window: %v", err)
	}
	return g
}

// keys types keys into the window (XTEST, to the focused window).
func (g *guiProc) keys(t *testing.T, keys ...string) {
	t.Helper()
	if _, err := xtool(t, 5*time.Second, "xdotool", append([]string{"key", "--clearmodifiers"}, keys...)...); err != nil {
		t.Fatalf("xdotool key %v: %v", keys, err)
	}
}

// copyCode presses Ctrl+C until the clipboard changes from before, and
// returns what it holds.
func (g *guiProc) copyCode(t *testing.T, before string) string {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		g.keys(t, "ctrl+c")
		time.Sleep(300 * time.Millisecond)
		// Fyne offers UTF8_STRING, not STRING, xclip's default.
		clip, _ := xtool(t, 5*time.Second, "xclip", "-o", "-selection", "clipboard", "-t", "UTF8_STRING")
		if clip != "" && clip != before {
			return clip
		}
	}
	t.Fatalf("Ctrl+C put nothing new on the clipboard within 15 s; app output:\n%s", g.out.String())
	return ""
}

// wantExit0 waits up to 10 s for the app to exit, with status 0 and no panic.
func (g *guiProc) wantExit0(t *testing.T, how string) {
	t.Helper()
	select {
	case err := <-g.exited:
		g.waited = true
		if err != nil {
			t.Errorf("after %s the app exited with %v, want status 0; output:\n%s", how, err, g.out.String())
		}
	case <-time.After(10 * time.Second):
		t.Errorf("the app did not exit within 10 s of %s; output:\n%s", how, g.out.String())
	}
	if out := g.out.String(); strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
		t.Errorf("the app's output shows a panic:\n%s", out)
	}
}

// wantCode checks a code against oathtool's for seed now or one step before.
func wantCode(t *testing.T, what, got string, seed []byte) {
	t.Helper()
	now := time.Now().Unix()
	want := map[string]bool{}
	for _, at := range []int64{now, now - 30} {
		want[strings.TrimSpace(oathtoolTOTP(t, vault.EncodeSecret(seed), at))] = true
	}
	if !want[got] {
		t.Errorf("%s: clipboard holds %q; want one of %v (oathtool)", what, got, want)
	}
}

// TestGUISmoke starts the real GUI binary on the X display (Xvfb under make
// test) with a vault of two accounts in the real keyring. First run: the
// window appears, Ctrl+C copies the first (selected) account's code, which
// oathtool agrees with, and SIGTERM makes it exit 0 within 10 s. Second run:
// Down then Ctrl+C copies the second account's code, and Ctrl+Q quits with 0.
func TestGUISmoke(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("DISPLAY is unset: the GUI smoke test needs an X display; make test runs it under Xvfb")
	}
	requireKeyring(t)
	lookPath(t, "xclip")
	dir := t.TempDir()
	_, seeds := addKeyringAccounts(t, dir, [2]string{"Smoke", "first"}, [2]string{"Smoke", "second"})

	g := startGUI(t, dir)
	first := g.copyCode(t, "")
	wantCode(t, "Ctrl+C on start", first, seeds[0])
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	g.wantExit0(t, "SIGTERM")

	g = startGUI(t, dir)
	g.keys(t, "Down")
	wantCode(t, "Down, Ctrl+C", g.copyCode(t, first), seeds[1])
	g.keys(t, "ctrl+q")
	g.wantExit0(t, "Ctrl+Q")
}

// TestAddScreen shows a QR code on the X display with ImageMagick's display
// and adds its account with add --screen, as a newcomer adds one from a web page.
func TestAddScreen(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("DISPLAY is unset: add --screen needs an X display; make test runs it under Xvfb")
	}
	uri := "otpauth://totp/Screen:zoe?secret=" + rfcSHA1 + "&issuer=Screen"
	viewer := exec.Command(lookPath(t, "display"), "-geometry", "+200+150", qrPNG(t, uri))
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
	_, g := fileStore(t)
	addOK(t, []string{"Screen (zoe)"}, args(g, []string{"add", "--screen"})...)
	if got := ok(t, args(g, []string{"code", "zoe", "--at", "59"})...); got != "Screen (zoe)  287082  1s\n" {
		t.Errorf("code after add --screen: %q", got)
	}
}
