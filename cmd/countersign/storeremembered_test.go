package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVaultRemembersItsFileStore: a vault whose secrets are in the file
// store (DIR/secrets.cs) opens it without --store file, as the app does;
// before, every command without it looked in the OS keyring and said the
// secret was not found there. --store keyring, given, still means the
// keyring.
func TestVaultRemembersItsFileStore(t *testing.T) {
	dir, g := fileStore(t)
	pass := g[5]
	addOK(t, []string{"Example (alice)"}, args(g, []string{"add", aliceURI})...)

	r := runCS(t, "--vault", dir, "--passphrase-file", pass, "code", "--at", "59")
	if r.code != 0 || r.stdout != "Example (alice)  94287082  1s\n" || r.stderr != "" {
		t.Errorf("code without --store: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// The file store's own refusal, not the keyring's.
	wantFail(t, runCS(t, "--vault", dir, "list"), 1,
		"the file store needs a passphrase: give --passphrase-file FILE (or set COUNTERSIGN_PASSPHRASE_FILE), or run countersign on a terminal to be asked")

	r = runCS(t, "--vault", dir, "--store", "keyring", "code", "--at", "59")
	if r.code != 1 || !strings.Contains(r.stderr, "OS keyring") {
		t.Errorf("code --store keyring: exit %d, stderr %q; want the keyring's error", r.code, r.stderr)
	}
}

// TestPassphraseAskedOnTheControllingTerminal: with the URI on standard
// input (add - < uri.txt, as the README shows for activate), the file
// store's passphrase is asked on the terminal the command was typed in
// (/dev/tty), as ssh and gpg ask, instead of being refused because
// standard input is not a terminal. `script` gives the command a real
// pseudo-terminal; the passphrase typed there is the one the store uses.
func TestPassphraseAskedOnTheControllingTerminal(t *testing.T) {
	scriptTool := lookPath(t, "script")
	dir := t.TempDir()
	uri := filepath.Join(t.TempDir(), "uri.txt")
	if err := os.WriteFile(uri, []byte(aliceURI+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	line := shellQuote(countersignBinary(t)) + " --vault " + shellQuote(dir) + " --store file add - < " + shellQuote(uri)
	cmd := exec.Command(scriptTool, "--quiet", "--return", "--command", line, "/dev/null")
	cmd.Env = baseEnv()
	cmd.Stdin = strings.NewReader("typed on the tty\ntyped on the tty\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("add - < uri.txt on a terminal: %v; output:\n%s", err, out)
	}
	for _, want := range []string{"Passphrase for " + filepath.Join(dir, "secrets.cs") + ": ", "The same passphrase again: ", "Example (alice)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// (The output may show the passphrase: the terminal echoes what was
	// typed ahead, before the prompt turned echo off. A person types after
	// the prompt.)

	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte("typed on the tty\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCS(t, "--vault", dir, "--passphrase-file", pass, "code", "--at", "59")
	if r.code != 0 || r.stdout != "Example (alice)  94287082  1s\n" {
		t.Errorf("code with the passphrase typed: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
