package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// errNoDisplay is returned on X11/Wayland systems without a display.
var errNoDisplay = errors.New("no display found (DISPLAY and WAYLAND_DISPLAY are unset); " +
	"run it in a desktop session, or try `xvfb-run make run`, or use the headless commands: countersign --help")

// checkDisplay tells, before Fyne starts, whether the GUI can open a window:
// without a reachable X server GLFW panics with a stack trace. macOS and
// Windows always have a display.
func checkDisplay() error {
	switch runtime.GOOS {
	case "darwin", "windows", "ios", "android", "js":
		return nil
	}
	display := os.Getenv("DISPLAY")
	if display == "" {
		if os.Getenv("WAYLAND_DISPLAY") == "" {
			return errNoDisplay
		}
		return errors.New("DISPLAY is unset: this build of countersign draws through X11; " +
			"enable XWayland in your Wayland session, or use the headless commands: countersign --help")
	}
	network, address, ok := xAddress(display)
	if !ok {
		return nil // a form we do not know; let the toolkit try it
	}
	conn, err := net.DialTimeout(network, address, 2*time.Second)
	if err != nil && network == "unix" && runtime.GOOS == "linux" {
		// Some X servers listen only on the abstract socket.
		conn, err = net.DialTimeout(network, "@"+address, 2*time.Second)
	}
	if err != nil {
		return fmt.Errorf("cannot connect to the X display %s (%v); check DISPLAY, or try `xvfb-run make run`, "+
			"or use the headless commands: countersign --help", display, err)
	}
	conn.Close()
	return nil
}

// xAddress returns where the X server of DISPLAY listens: [host]:number[.screen]
// is the Unix socket /tmp/.X11-unix/X<number> without a host (or with "unix"),
// else TCP port 6000+number on host.
func xAddress(display string) (network, address string, ok bool) {
	i := strings.LastIndexByte(display, ':')
	if i < 0 {
		return "", "", false
	}
	host, rest := display[:i], display[i+1:]
	number, _, _ := strings.Cut(rest, ".")
	n, err := strconv.Atoi(number)
	if err != nil || n < 0 || strings.HasPrefix(host, "/") {
		return "", "", false
	}
	if host == "" || host == "unix" {
		return "unix", "/tmp/.X11-unix/X" + number, true
	}
	return "tcp", net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(6000+n)), true
}
