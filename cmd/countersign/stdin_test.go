package main

import (
	"strings"
	"testing"
)

// TestAddFromStdin: `add -` reads the one URI from standard input (a pipe,
// as in `countersign add - < uri.txt`), so the secret is never in argv.
func TestAddFromStdin(t *testing.T) {
	_, g := fileStore(t)
	r := runStdin(t, "  "+aliceURI+" \r\n\n", args(g, []string{"add", "-"})...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("add -: exit %d, stderr %q", r.code, r.stderr)
	}
	m := addedLine.FindStringSubmatch(strings.TrimSuffix(r.stdout, "\n"))
	if m == nil || m[2] != "Example (alice)" || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("add - printed %q, want \"added  ID  Example (alice)\"", r.stdout)
	}
	if got := ok(t, args(g, []string{"code", "--at", "59"})...); got != "Example (alice)  94287082  1s\n" {
		t.Errorf("code after add -: %q", got)
	}
	// "-" and URIs on the command line together: all or nothing, as ever.
	r = runStdin(t, bobURI, args(g, []string{"add", "-", "otpauth://totp/Git:carol?secret=JBSWY3DPEHPK3PXP"})...)
	lines := strings.Split(r.stdout, "\n")
	if r.code != 0 || r.stderr != "" || len(lines) != 3 || !strings.HasSuffix(lines[0], "  Bank (bob)") || !strings.HasSuffix(lines[1], "  Git (carol)") {
		t.Fatalf("add - URI: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	bob := addedLine.FindStringSubmatch(lines[0])[1]
	wantFail(t, runStdin(t, bobURI, args(g, []string{"add", "-"})...), 1, "Bank (bob) is already in the vault (id "+bob+"); nothing was added")

	for _, c := range []struct{ name, stdin, reason string }{
		{"empty", "", "add -: standard input is empty; give the URI on it, e.g. countersign add - < uri.txt"},
		{"blank", " \n\t\n", "add -: standard input is empty; give the URI on it, e.g. countersign add - < uri.txt"},
		{"two lines", aliceURI + "\n" + bobURI + "\n", "add -: standard input holds more than one line; give one URI"},
		{"not a URI", "hello\n", `otpauth URI: scheme: must be otpauth:// (got "hello")`},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantFail(t, runStdin(t, c.stdin, args(g, []string{"add", "-"})...), 1, c.reason)
		})
	}
	wantFail(t, runStdin(t, aliceURI, args(g, []string{"add", "-", "-"})...), 2, "add: give - once (standard input holds one URI)")
	if got := strings.Count(ok(t, args(g, []string{"list"})...), "\n"); got != 3 {
		t.Errorf("after the failed adds: %d accounts, want 3", got)
	}
}

// TestActivateFromStdin: `activate -` reads the activation URI from
// standard input and activates it on a real server.
func TestActivateFromStdin(t *testing.T) {
	srv := startServer(t)
	_, g := fileStore(t)
	wantFail(t, runStdin(t, "\n", args(g, []string{"activate", "-"})...), 1,
		"activate -: standard input is empty; give the URI on it, e.g. countersign activate - < uri.txt")
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	r := runStdin(t, enr.ActivationURI+"\n", args(g, []string{"activate", "-", "--device-name", "ci"})...)
	if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "activated\t") || !strings.HasSuffix(r.stdout, "\tCountersign (ada)\n") {
		t.Fatalf("activate -: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	devices, err := srv.Store().Devices("ada")
	if err != nil {
		t.Fatal(err)
	}
	if len(devices) != 1 || devices[0].Name != "ci" {
		t.Fatalf("the server has the devices %+v, want one named ci", devices)
	}
	// The code is single-use, read from stdin as from argv (on another
	// vault: this one refuses an account it has before asking the server).
	_, other := fileStore(t)
	wantFail(t, runStdin(t, enr.ActivationURI, args(other, []string{"activate", "-"})...), 1,
		"activating: activation refused: activation_used: this activation code was already used; ask for a new one")
}

// TestStdinHelp: the help of add and activate tells about -.
func TestStdinHelp(t *testing.T) {
	for cmd, want := range map[string][]string{
		"add": {"  countersign add - < FILE   (the URI from standard input: no secret in the process list)\n",
			"With - it reads one URI from standard input (e.g. countersign add - < uri.txt), which keeps the secret out of argv"},
		"activate": {"  countersign activate - [--device-name NAME] < FILE   (the URI from standard input)\n",
			"With - it reads the URI from standard input (e.g. countersign activate - < uri.txt), which keeps the one-time code out of argv"},
	} {
		out := ok(t, cmd, "--help")
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("countersign %s --help does not say %q:\n%s", cmd, w, out)
			}
		}
		if !strings.Contains(ok(t, "--help"), want[0]) {
			t.Errorf("countersign --help does not say %q", want[0])
		}
	}
}
