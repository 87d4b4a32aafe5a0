package main

import (
	"crypto/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/vault"
)

// requireKeyring fails the test unless a Secret Service session bus is
// there: make test runs the suite under dbus-run-session with an unlocked
// gnome-keyring (scripts/with-keyring.sh).
func requireKeyring(t *testing.T) {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset): run the tests with make test, " +
			"or under scripts/with-keyring.sh, which start an unlocked gnome-keyring")
	}
	lookPath(t, "secret-tool")
}

// randomSeed returns a fresh 20-byte seed: keyring items of different runs never collide.
func randomSeed(t *testing.T) []byte {
	t.Helper()
	seed := make([]byte, 20)
	if _, err := rand.Read(seed); err != nil {
		t.Fatal(err)
	}
	return seed
}

// keyringItem returns the keyring item of account id as secret-tool sees it
// (go-keyring stores the attributes service and username), and whether it exists.
func keyringItem(t *testing.T, id string) (string, bool) {
	t.Helper()
	out, err := exec.Command("secret-tool", "lookup", "service", vault.KeyringService, "username", id).Output()
	if err != nil {
		return "", false
	}
	return string(out), true
}

// addKeyringAccounts adds accounts with random seeds to the vault in dir
// through the CLI and the real keyring, and deletes them when the test ends.
func addKeyringAccounts(t *testing.T, dir string, labels ...[2]string) (ids []string, seeds [][]byte) {
	t.Helper()
	for _, l := range labels {
		seed := randomSeed(t)
		uri := "otpauth://totp/" + l[0] + ":" + l[1] + "?secret=" + vault.EncodeSecret(seed) + "&issuer=" + l[0]
		id := addOK(t, []string{l[0] + " (" + l[1] + ")"}, "--vault", dir, "add", uri)[0]
		t.Cleanup(func() {
			runCS(t, "--vault", dir, "delete", id)
			exec.Command("secret-tool", "clear", "service", vault.KeyringService, "username", id).Run()
		})
		ids, seeds = append(ids, id), append(seeds, seed)
	}
	return ids, seeds
}

// TestKeyringRestart adds an account with the real keyring, then checks in
// new processes that it is still there, that its seed is in the keyring and
// nowhere on disk in clear, and that its code agrees with oathtool.
func TestKeyringRestart(t *testing.T) {
	requireKeyring(t)
	dir := t.TempDir()
	ids, seeds := addKeyringAccounts(t, dir, [2]string{"Example", "erin"})
	id, seed := ids[0], seeds[0]

	item, found := keyringItem(t, id)
	if !found {
		t.Fatalf("no keyring item service=%s username=%s after add", vault.KeyringService, id)
	}
	if item != vault.EncodeSecret(seed) {
		t.Errorf("keyring item of %s is not the seed in base32", id)
	}
	assertNoSecretsOnDisk(t, dir, seed)

	// A new process (a restart) reads the index and the keyring.
	wantList := "[\n  " + strings.Replace(strings.Replace(aliceJSON(id), "alice", "erin", 1), `"digits": 8`, `"digits": 6`, 1) + "\n  }\n]\n"
	if got := ok(t, "--vault", dir, "list", "--json"); got != wantList {
		t.Errorf("list --json after restart:\n%s\nwant\n%s", got, wantList)
	}
	at := time.Now().Unix()
	code := strings.TrimSpace(oathtoolTOTP(t, vault.EncodeSecret(seed), at))
	if got, want := ok(t, "--vault", dir, "code", "erin", "--at", itoa(at)), "Example (erin)  "+code+"  "; !strings.HasPrefix(got, want) {
		t.Errorf("code after restart: %q, want %q...", got, want)
	}

	if got := ok(t, "--vault", dir, "delete", id); got != "deleted "+id+"  Example (erin)\n" {
		t.Errorf("delete: %q", got)
	}
	if _, found := keyringItem(t, id); found {
		t.Errorf("the keyring item of %s is still there after delete", id)
	}
}

func oathtoolTOTP(t *testing.T, b32 string, at int64) string {
	t.Helper()
	out, err := exec.Command(lookPath(t, "oathtool"), "--totp", "-b", "--now", "@"+itoa(at), b32).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	return string(out)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestKeyringUnavailable: without a reachable Secret Service every vault
// command fails with one line that names the fix, and the GUI does too,
// before any window.
func TestKeyringUnavailable(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("DISPLAY is unset: the GUI case needs an X display; make test runs it under Xvfb")
	}
	dir := t.TempDir()
	env := []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + dir + "/no-bus"}
	for _, a := range [][]string{{"list"}, {"code"}, {"add", aliceURI}} {
		r := runEnv(t, env, append([]string{"--vault", dir}, a...)...)
		if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 ||
			!strings.HasPrefix(r.stderr, "countersign: ") ||
			!strings.Contains(r.stderr, vault.ErrKeyringUnavailable.Error()) ||
			strings.Count(r.stderr, "--store file") != 1 {
			t.Errorf("%v with no keyring: exit %d, stdout %q, stderr %q", a, r.code, r.stdout, r.stderr)
		}
	}
	// The app, started from a launcher with no keyring, does not exit
	// silently: it opens a window that says what is missing.
	cmd := exec.Command(countersignBinary(t), "--vault", dir)
	cmd.Env = append(baseEnv(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	const title = "Countersign: where to keep the secrets"
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the app exited (%v) instead of showing its window; stderr %q", err, stderr.String())
		default:
		}
		if out, _ := exec.Command(lookPath(t, "xdotool"), "search", "--name", title).Output(); strings.TrimSpace(string(out)) != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no window %q within 20 s; stderr %q", title, stderr.String())
		}
	}
}
