package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStoreFromTheEnvironment: COUNTERSIGN_STORE=file sets --store's
// default, so a headless user of the file store says so once. The store
// is never guessed from the vault's files: a vault that also has a
// secrets.cs keeps using the keyring without the flag or the variable
// (a file store made once by mistake must not move every later command,
// and the secrets it adds, away from the keyring), and says the file
// store is there. --store wins over the variable; a misspelt value is
// refused.
func TestStoreFromTheEnvironment(t *testing.T) {
	dir, g := fileStore(t)
	pass := g[5]
	addOK(t, []string{"Example (alice)"}, args(g, []string{"add", aliceURI})...)

	r := runEnv(t, []string{"COUNTERSIGN_STORE=file"}, "--vault", dir, "--passphrase-file", pass, "code", "--at", "59")
	if r.code != 0 || r.stdout != "Example (alice)  94287082  1s\n" || r.stderr != "" {
		t.Errorf("COUNTERSIGN_STORE=file: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	wantFail(t, runEnv(t, []string{"COUNTERSIGN_STORE=files"}, "--vault", dir, "list"), 2,
		`COUNTERSIGN_STORE: "files" is not a store; use keyring or file`)

	note := "countersign: note: this vault also has an encrypted file store (" + filepath.Join(dir, "secrets.cs") +
		"), not used: give --store file (or set COUNTERSIGN_STORE=file) if its secrets are there\n"
	r = runCS(t, "--vault", dir, "code", "--at", "59")
	if r.code != 1 || !strings.HasPrefix(r.stderr, note) || !strings.Contains(r.stderr, "OS keyring") {
		t.Errorf("code without --store: exit %d, stderr %q; want the note, then the keyring's error", r.code, r.stderr)
	}
	r = runEnv(t, []string{"COUNTERSIGN_STORE=file"}, "--vault", dir, "--store", "keyring", "code", "--at", "59")
	if r.code != 1 || strings.Contains(r.stderr, "note:") || !strings.Contains(r.stderr, "OS keyring") {
		t.Errorf("--store keyring over COUNTERSIGN_STORE=file: exit %d, stderr %q; want the keyring's error alone", r.code, r.stderr)
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
	r := runCS(t, "--vault", dir, "--store", "file", "--passphrase-file", pass, "code", "--at", "59")
	if r.code != 0 || r.stdout != "Example (alice)  94287082  1s\n" {
		t.Errorf("code with the passphrase typed: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestBackgroundJobIsNotAsked: a job put in the background of an
// interactive shell (its own process group, not the terminal's
// foreground) is not asked on the terminal, which would stop it (SIGTTOU)
// until the user brought it back: it fails at once, saying how to give
// the passphrase.
func TestBackgroundJobIsNotAsked(t *testing.T) {
	scriptTool, bash := lookPath(t, "script"), lookPath(t, "bash")
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "out")
	job := shellQuote(countersignBinary(t)) + " --vault " + shellQuote(dir) + " --store file list </dev/null >" + shellQuote(out) + " 2>&1"
	// bash -i has job control on script's terminal: & makes a process group of its own.
	line := shellQuote(bash) + " --norc -i -c " + shellQuote(job+" & wait $!; echo job-exit=$?")
	cmd := exec.Command(scriptTool, "--quiet", "--return", "--command", line, "/dev/null")
	cmd.Env = baseEnv()
	done := make(chan []byte, 1)
	go func() {
		b, _ := cmd.CombinedOutput()
		done <- b
	}()
	var session []byte
	select {
	case session = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the background job was still waiting after 30 s (stopped at the terminal?)")
	}
	if !strings.Contains(string(session), "job-exit=1") {
		t.Fatalf("the job did not fail with status 1:\n%s", session)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "countersign: the file store needs a passphrase: give --passphrase-file FILE (or set COUNTERSIGN_PASSPHRASE_FILE), or run countersign on a terminal to be asked\n"; string(got) != want {
		t.Fatalf("the job said %q, want %q", got, want)
	}
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
