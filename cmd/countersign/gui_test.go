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

// TestGUISmoke starts the real GUI binary on the X display (Xvfb under make
// test) with a vault of two accounts in the real keyring, waits for its
// window, copies the selected account's code with Ctrl+C, checks it against
// oathtool, and asks the app to quit with SIGTERM: it must exit 0 within 10 s.
func TestGUISmoke(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("DISPLAY is unset: the GUI smoke test needs an X display; make test runs it under Xvfb")
	}
	requireKeyring(t)
	dir := t.TempDir()
	_, seeds := addKeyringAccounts(t, dir, [2]string{"Smoke", "first"}, [2]string{"Smoke", "second"})

	cmd := exec.Command(binary, "--vault", dir)
	cmd.Env = append(baseEnv(), "HOME="+t.TempDir()) // fresh Fyne preferences (window size)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waited := false
	defer func() {
		if !waited {
			cmd.Process.Kill()
			<-exited
		}
	}()

	win, err := xtool(t, 30*time.Second, "xdotool", "search", "--sync", "--onlyvisible", "--name", "^Countersign$")
	if err != nil || win == "" {
		t.Fatalf("no window named Countersign within 30 s (%v); app output:\n%s", err, stderr.String())
	}
	win = strings.Fields(win)[0]
	if _, err := xtool(t, 10*time.Second, "xdotool", "windowfocus", "--sync", win); err != nil {
		t.Fatalf("focusing the window: %v", err)
	}
	var clip string
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := xtool(t, 5*time.Second, "xdotool", "key", "--clearmodifiers", "ctrl+c"); err != nil {
			t.Fatalf("pressing Ctrl+C: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
		// Fyne offers UTF8_STRING, not STRING, xclip's default.
		clip, _ = xtool(t, 5*time.Second, "xclip", "-o", "-selection", "clipboard", "-t", "UTF8_STRING")
		if clip != "" {
			break
		}
	}
	now := time.Now().Unix()
	want := map[string]bool{}
	for _, at := range []int64{now, now - 30} {
		want[strings.TrimSpace(oathtoolTOTP(t, vault.EncodeSecret(seeds[0]), at))] = true
	}
	if !want[clip] {
		t.Errorf("clipboard after Ctrl+C is %q; want the first account's code, one of %v (oathtool)", clip, want)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		waited = true
		if err != nil {
			t.Errorf("after SIGTERM the app exited with %v, want status 0; output:\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Errorf("the app did not exit within 10 s of SIGTERM; output:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), "panic") || strings.Contains(stderr.String(), "goroutine ") {
		t.Errorf("the app's output shows a panic:\n%s", stderr.String())
	}
}
