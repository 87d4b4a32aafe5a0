package main

import "testing"

func TestXAddress(t *testing.T) {
	cases := []struct {
		display, network, address string
		ok                        bool
	}{
		{":0", "unix", "/tmp/.X11-unix/X0", true},
		{":99.0", "unix", "/tmp/.X11-unix/X99", true},
		{"unix:1", "unix", "/tmp/.X11-unix/X1", true},
		{"localhost:10.0", "tcp", "localhost:6010", true},
		{"[::1]:2", "tcp", "[::1]:6002", true},
		{"/private/tmp/com.apple.launchd.x/org.xquartz:0", "", "", false},
		{"nonsense", "", "", false},
		{":x", "", "", false},
	}
	for _, c := range cases {
		network, address, ok := xAddress(c.display)
		if network != c.network || address != c.address || ok != c.ok {
			t.Errorf("xAddress(%q) = %q, %q, %v; want %q, %q, %v", c.display, network, address, ok, c.network, c.address, c.ok)
		}
	}
}

func TestGUIUnreachableDisplay(t *testing.T) {
	r := runEnv(t, []string{"DISPLAY=:987", "WAYLAND_DISPLAY="}, "--vault", t.TempDir())
	wantFail(t, r, 1, "cannot connect to the X display :987 (dial unix @/tmp/.X11-unix/X987: connect: connection refused); "+
		"check DISPLAY, or try `xvfb-run make run`, or use the headless commands: countersign --help")
}

func TestGUIWaylandOnly(t *testing.T) {
	r := runEnv(t, []string{"DISPLAY=", "WAYLAND_DISPLAY=wayland-0"}, "--vault", t.TempDir())
	wantFail(t, r, 1, "DISPLAY is unset: this build of countersign draws through X11; "+
		"enable XWayland in your Wayland session, or use the headless commands: countersign --help")
}
