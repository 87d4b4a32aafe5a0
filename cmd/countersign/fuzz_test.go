package main

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseAt: --at never panics, and what it accepts is a whole number of
// seconds from 0 to maxUnix that prints back as given (spaces aside).
func FuzzParseAt(f *testing.F) {
	for _, s := range []string{"0", "59", "1111111109", "253402300799", "253402300800", "-1", " 42 ", "1e9", "0x10", "", "9223372036854775808"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, err := parseAt(s)
		if s == "" || err != nil {
			return
		}
		n := at.Unix()
		if n < 0 || n > maxUnix {
			t.Fatalf("parseAt(%q) accepted %d, out of range", s, n)
		}
		if back, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64); back != n {
			t.Fatalf("parseAt(%q) = %d", s, n)
		}
	})
}

// FuzzXAddress: any DISPLAY value is parsed without a panic into a Unix
// socket path or a TCP address with a port of 6000 or more.
func FuzzXAddress(f *testing.F) {
	for _, s := range []string{":0", ":99.0", "unix:1", "localhost:10.0", "[::1]:2", "/tmp/x:0", "nonsense", ":", "a:b:c", ":-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, display string) {
		network, address, ok := xAddress(display)
		if !ok {
			if network != "" || address != "" {
				t.Fatalf("xAddress(%q) not ok but returned %q %q", display, network, address)
			}
			return
		}
		switch network {
		case "unix":
			if !strings.HasPrefix(address, "/tmp/.X11-unix/X") {
				t.Fatalf("xAddress(%q) = unix %q", display, address)
			}
		case "tcp":
			_, port, found := strings.Cut(address[strings.LastIndexByte(address, ']')+1:], ":")
			if p, err := strconv.Atoi(strings.TrimPrefix(port, ":")); !found || err != nil || p < 6000 {
				t.Fatalf("xAddress(%q) = tcp %q", display, address)
			}
		default:
			t.Fatalf("xAddress(%q) = network %q", display, network)
		}
	})
}
