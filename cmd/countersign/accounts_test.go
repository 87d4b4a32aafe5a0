package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/countersign/countersign/vault"
)

// fileStore returns the global flags of a fresh vault with the file store.
func fileStore(t *testing.T) (dir string, flags []string) {
	t.Helper()
	dir = t.TempDir()
	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, []string{"--vault", dir, "--store", "file", "--passphrase-file", pass}
}

func args(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var addedLine = regexp.MustCompile(`^added  (\S+)  (.+)$`)

// addOK runs add and returns the ids it printed, checking the labels.
func addOK(t *testing.T, labels []string, a ...string) []string {
	t.Helper()
	out := ok(t, a...)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(labels) {
		t.Fatalf("add printed %q, want %d lines", out, len(labels))
	}
	var ids []string
	for i, line := range lines {
		m := addedLine.FindStringSubmatch(line)
		if m == nil || strings.TrimSpace(m[2]) != labels[i] {
			t.Fatalf("add printed %q, want \"added  ID  %s\"", line, labels[i])
		}
		ids = append(ids, m[1])
	}
	return ids
}

const (
	aliceURI = "otpauth://totp/Example:alice?secret=" + rfcSHA1 + "&issuer=Example&digits=8"
	bobURI   = "otpauth://hotp/Bank:bob?secret=" + rfcSHA256 + "&counter=0"
)

func aliceJSON(id string) string {
	return fmt.Sprintf(`{
    "id": %q,
    "issuer": "Example",
    "name": "alice",
    "type": "totp",
    "algorithm": "SHA1",
    "digits": 8,
    "period": 30,
    "counter": 0`, id)
}

func bobJSON(id string) string {
	return fmt.Sprintf(`{
    "id": %q,
    "issuer": "Bank",
    "name": "bob",
    "type": "hotp",
    "algorithm": "SHA1",
    "digits": 6,
    "period": 0,
    "counter": 0`, id)
}

func TestVaultCommandsFileStore(t *testing.T) {
	dir, g := fileStore(t)
	if got := ok(t, args([]string{"list", "--json"}, g)...); got != "[]\n" {
		t.Fatalf("empty vault: list --json = %q, want []", got)
	}
	if got := ok(t, args(g, []string{"code", "--json"})...); got != "[]\n" {
		t.Fatalf("empty vault: code --json = %q, want []", got)
	}
	if got := ok(t, args(g, []string{"list"})...); got != "" {
		t.Fatalf("empty vault: list = %q, want nothing", got)
	}

	// Global flags after the subcommand, then before it.
	alice := addOK(t, []string{"Example (alice)"}, args([]string{"add", aliceURI}, g)...)[0]
	bob := addOK(t, []string{"Bank (bob)"}, args(g, []string{"add", bobURI})...)[0]

	wantList := "[\n  " + aliceJSON(alice) + "\n  },\n  " + bobJSON(bob) + "\n  }\n]\n"
	if got := ok(t, args(g, []string{"list", "--json"})...); got != wantList {
		t.Errorf("list --json:\n%s\nwant:\n%s", got, wantList)
	}
	// RFC 6238 (SHA1, 8 digits) at 1111111109, and RFC 4226's code for counter 0
	// (the HOTP account's secret is longer, but HOTP-SHA1 of the first
	// 20 bytes differs: compute it with oathtool instead of trusting ourselves).
	bobCode := oathtoolHOTP(t, rfcSHA256, 0, 6)
	wantCodes := "[\n  " + aliceJSON(alice) + `,
    "code": "07081804",
    "expires_at": "2005-03-18T01:58:30Z"
  },
  ` + bobJSON(bob) + `,
    "code": "` + bobCode + `"
  }
]
`
	if got := ok(t, args(g, []string{"code", "--json", "--at", "1111111109"})...); got != wantCodes {
		t.Errorf("code --json:\n%s\nwant:\n%s", got, wantCodes)
	}
	wantText := "Example (alice)  07081804  1s\nBank (bob)       " + bobCode + "    counter 0\n"
	if got := ok(t, args(g, []string{"code", "--at", "1111111109"})...); got != wantText {
		t.Errorf("code:\n%q\nwant\n%q", got, wantText)
	}
	if got := ok(t, args(g, []string{"code", "ALICE", "--at", "59"})...); got != "Example (alice)  94287082  1s\n" {
		t.Errorf("code ALICE: %q", got)
	}
	wantListText := fmt.Sprintf("%-*s  Example (alice)  totp SHA1 8 digits 30s\n%-*s  Bank (bob)       hotp SHA1 6 digits counter 0\n",
		max(len(alice), len(bob)), alice, max(len(alice), len(bob)), bob)
	if got := ok(t, args(g, []string{"list"})...); got != wantListText {
		t.Errorf("list:\n%q\nwant\n%q", got, wantListText)
	}

	wantFail(t, runCS(t, args(g, []string{"code", "nobody"})...), 1,
		`no account matches "nobody" (countersign list shows them all)`)
	wantFail(t, runCS(t, args(g, []string{"add", strings.Replace(aliceURI, "secret=", "SECRET=", 1)})...), 1,
		fmt.Sprintf("Example (alice) is already in the vault (id %s); nothing was added", alice))

	// A Google Authenticator export adds every account in it; a bad URI next
	// to a good one adds nothing.
	export, err := vault.MigrationURI(vault.Migration{Version: 1, BatchSize: 1, Keys: []vault.Key{
		{Params: vault.Params{Type: vault.TOTP, Issuer: "Git", Name: "carol", Algorithm: vault.SHA1, Digits: 6, Period: 30}, Secret: []byte("carol's seed 12345678")},
		{Params: vault.Params{Type: vault.HOTP, Issuer: "VPN", Name: "dave", Algorithm: vault.SHA1, Digits: 6, Counter: 7}, Secret: []byte("dave's seed 123456789")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantFail(t, runCS(t, args(g, []string{"add", export, "otpauth://totp/x?secret=JBSWY3DP&period=0"})...), 1,
		"otpauth URI: period: 0 is out of range (1 to 86400)")
	if got := strings.Count(ok(t, args(g, []string{"list"})...), "\n"); got != 2 {
		t.Errorf("after a failed add: %d accounts, want 2", got)
	}
	addOK(t, []string{"Git (carol)", "VPN (dave)"}, args(g, []string{"add", export})...)

	if got, want := ok(t, args(g, []string{"rename", alice, "--issuer", "Corp"})...), "renamed "+alice+"  Corp (alice)\n"; got != want {
		t.Errorf("rename: %q, want %q", got, want)
	}
	if got, want := ok(t, args(g, []string{"delete", bob})...), "deleted "+bob+"  Bank (bob)\n"; got != want {
		t.Errorf("delete: %q, want %q", got, want)
	}
	wantFail(t, runCS(t, args(g, []string{"delete", bob})...), 1,
		fmt.Sprintf("no account has id %q (countersign list shows them)", bob))
	if got := ok(t, args(g, []string{"code", "corp", "--at", "59"})...); got != "Corp (alice)  94287082  1s\n" {
		t.Errorf("code corp after rename: %q", got)
	}
	if got := ok(t, args(g, []string{"list"})...); strings.Count(got, "\n") != 3 || strings.Contains(got, "Bank") {
		t.Errorf("list after delete:\n%s", got)
	}

	// COUNTERSIGN_VAULT picks the same vault as --vault.
	r := runEnv(t, []string{"COUNTERSIGN_VAULT=" + dir}, args(g[2:], []string{"code", "corp", "--at", "59"})...)
	if r.code != 0 || r.stdout != "Corp (alice)  94287082  1s\n" {
		t.Errorf("COUNTERSIGN_VAULT: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	assertNoSecretsOnDisk(t, dir, []byte("12345678901234567890"), []byte("carol's seed 12345678"), []byte("dave's seed 123456789"))
}

func TestFileStorePassphrase(t *testing.T) {
	dir, g := fileStore(t)
	addOK(t, []string{"Example (alice)"}, args(g, []string{"add", aliceURI})...)

	wantFail(t, runCS(t, "--vault", dir, "--store", "file", "list"), 1,
		"the file store needs a passphrase: give --passphrase-file FILE (or set COUNTERSIGN_PASSPHRASE_FILE), or run countersign on a terminal to be asked")

	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	wantFail(t, runCS(t, "--vault", dir, "--store", "file", "--passphrase-file", empty, "list"), 1,
		"the passphrase file "+empty+" is empty; write the passphrase in it")

	wrong := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrong, []byte("wrong"), 0o600)
	wantFail(t, runCS(t, "--vault", dir, "--store", "file", "--passphrase-file", wrong, "code"), 1,
		filepath.Join(dir, "secrets.cs")+": wrong passphrase, or the file is damaged: check the passphrase, or restore the file from a backup")

	// The environment variable works as the flag does.
	r := runEnv(t, []string{"COUNTERSIGN_PASSPHRASE_FILE=" + g[5]}, "--vault", dir, "--store", "file", "code", "--at", "59")
	if r.code != 0 || r.stdout != "Example (alice)  94287082  1s\n" {
		t.Errorf("COUNTERSIGN_PASSPHRASE_FILE: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestAddUsage(t *testing.T) {
	_, g := fileStore(t)
	wantFail(t, runCS(t, args(g, []string{"add"})...), 2,
		"add: give an otpauth:// URI, - (the URI on standard input), --scan FILE or --screen (see countersign add --help)")
	wantFail(t, runCS(t, args(g, []string{"list", "extra"})...), 2, `list: takes no arguments (got "extra")`)
	wantFail(t, runCS(t, args(g, []string{"delete"})...), 2, "delete: give exactly one account ID (countersign list shows them)")
	wantFail(t, runCS(t, args(g, []string{"rename", "x"})...), 2, "rename: give --issuer, --name or both")
}

// oathtoolHOTP returns oathtool's HOTP-SHA1 code.
func oathtoolHOTP(t *testing.T, b32 string, counter uint64, digits int) string {
	t.Helper()
	out, err := exec.Command(lookPath(t, "oathtool"), "-b", "-d", fmt.Sprint(digits), "-c", fmt.Sprint(counter), b32).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// assertNoSecretsOnDisk fails if any file under dir holds one of the seeds in
// clear: raw, base32 (either case), base64 or hex.
func assertNoSecretsOnDisk(t *testing.T, dir string, seeds ...[]byte) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, seed := range seeds {
			b32 := vault.EncodeSecret(seed)
			for _, form := range [][]byte{seed, []byte(b32), []byte(strings.ToLower(b32)),
				[]byte(base64.StdEncoding.EncodeToString(seed)), []byte(base64.RawURLEncoding.EncodeToString(seed)),
				[]byte(hex.EncodeToString(seed))} {
				if bytes.Contains(data, form) {
					t.Errorf("%s holds a seed in clear (%q)", path, form[:4])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatalf("no file in the vault %s: nothing was checked", dir)
	}
}

// TestPassphraseFileModeWarning: a passphrase file that the group or others
// may read or write still works, with one warning line on stderr that names
// the file and the fix; a 0600 file gives none.
func TestPassphraseFileModeWarning(t *testing.T) {
	dir, g := fileStore(t)
	pass := g[5]
	addOK(t, []string{"Example (alice)"}, args(g, []string{"add", aliceURI})...)
	warning := func(mode string) string {
		return "countersign: warning: the passphrase file " + pass + " can be read or written by other users (mode " + mode + "); run chmod 600 " + pass + "\n"
	}
	for _, c := range []struct {
		mode os.FileMode
		env  bool // COUNTERSIGN_PASSPHRASE_FILE instead of --passphrase-file
		want string
	}{
		{0o644, false, warning("0644")},
		{0o640, false, warning("0640")},
		{0o620, true, warning("0620")},
		{0o602, false, warning("0602")},
		{0o660, true, warning("0660")},
		{0o600, false, ""},
		{0o400, true, ""},
	} {
		if err := os.Chmod(pass, c.mode); err != nil {
			t.Fatal(err)
		}
		var r result
		if c.env {
			r = runEnv(t, []string{"COUNTERSIGN_PASSPHRASE_FILE=" + pass}, "--vault", dir, "--store", "file", "code", "--at", "59")
		} else {
			r = runCS(t, args(g, []string{"code", "--at", "59"})...)
		}
		if r.code != 0 || r.stdout != "Example (alice)  94287082  1s\n" || r.stderr != c.want {
			t.Errorf("passphrase file mode %04o (env %v): exit %d, stdout %q, stderr %q, want stderr %q", c.mode, c.env, r.code, r.stdout, r.stderr, c.want)
		}
	}
	// A command that reads the file twice (the store's passphrase, then,
	// given again as --password-file, the backup's password) warns once.
	os.Chmod(pass, 0o644)
	backup := filepath.Join(t.TempDir(), "backup.json")
	r := runCS(t, args(g, []string{"export", "--to", "countersign", "--password-file", pass, backup})...)
	if r.code != 0 || r.stdout != "exported 1 accounts to "+backup+" (countersign)\n" || r.stderr != warning("0644") {
		t.Errorf("export: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestVaultDirectoryMadePrivate: an existing vault directory that others
// may read (0755) is made 0700 when a command opens it, by either store.
func TestVaultDirectoryMadePrivate(t *testing.T) {
	dir, g := fileStore(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := ok(t, args(g, []string{"list"})...); got != "" {
		t.Fatalf("list: %q", got)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("the vault directory has mode %04o after list, want 0700", got)
	}
	secrets, err := os.Stat(filepath.Join(dir, "secrets.cs"))
	if err != nil {
		t.Fatal(err)
	}
	if got := secrets.Mode().Perm(); got != 0o600 {
		t.Errorf("secrets.cs has mode %04o, want 0600", got)
	}
}

// TestAccountTextIsCleaned: an account's issuer and name come from outside
// (here a URI; a QR code or an imported file alike): the tables show them
// without control, bidi and invisible characters; JSON keeps them, escaped.
func TestAccountTextIsCleaned(t *testing.T) {
	_, g := fileStore(t)
	// Issuer "Evil\u202Egpj", name "al\x1b]0;pwned\x07ice\u200B".
	uri := "otpauth://totp/Evil%E2%80%AEgpj:al%1B%5D0%3Bpwned%07ice%E2%80%8B?secret=" + rfcSHA1 + "&issuer=Evil%E2%80%AEgpj&digits=8"
	list := filepath.Join(t.TempDir(), "uris.txt")
	if err := os.WriteFile(list, []byte(uri+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := ok(t, args(g, []string{"import", "--from", "otpauth", list, "--dry-run"})...), "would add\tEvilgpj (al]0;pwnedice)\n"; got != want {
		t.Errorf("import --dry-run:\n got %q\nwant %q", got, want)
	}
	id := addOK(t, []string{"Evilgpj (al]0;pwnedice)"}, args(g, []string{"add", uri})...)[0]
	if got, want := ok(t, args(g, []string{"list"})...), id+"  Evilgpj (al]0;pwnedice)  totp SHA1 8 digits 30s\n"; got != want {
		t.Errorf("list:\n got %q\nwant %q", got, want)
	}
	if got, want := ok(t, args(g, []string{"code", "--at", "59"})...), "Evilgpj (al]0;pwnedice)  94287082  1s\n"; got != want {
		t.Errorf("code:\n got %q\nwant %q", got, want)
	}
	out := ok(t, args(g, []string{"list", "--json"})...)
	if want := `"issuer": "Evil\u202egpj",` + "\n" + `    "name": "al\u001b]0;pwned\u0007ice\u200b",`; !strings.Contains(out, want) {
		t.Errorf("list --json:\n%s\nwant it to hold\n%s", out, want)
	}
	var accounts []accountJSON
	if err := json.Unmarshal([]byte(out), &accounts); err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 1 || accounts[0].Issuer != "Evil\u202Egpj" || accounts[0].Name != "al\x1b]0;pwned\x07ice\u200B" {
		t.Errorf("list --json decodes to %+v, want the raw issuer and name", accounts)
	}
	if got, want := ok(t, args(g, []string{"rename", id, "--issuer", "Good\u202E"})...), "renamed "+id+"  Good (al]0;pwnedice)\n"; got != want {
		t.Errorf("rename:\n got %q\nwant %q", got, want)
	}
	if got, want := ok(t, args(g, []string{"delete", id})...), "deleted "+id+"  Good (al]0;pwnedice)\n"; got != want {
		t.Errorf("delete:\n got %q\nwant %q", got, want)
	}
	// The one line of an error is cleaned too: it may quote a server or a file.
	missing := filepath.Join(t.TempDir(), "no\x1b[2Jpass")
	wantFail(t, runCS(t, "--vault", t.TempDir(), "--store", "file", "--passphrase-file", missing, "list"), 1,
		"reading the passphrase file: open "+strings.ReplaceAll(missing, "\x1b", "")+": no such file or directory")
}
