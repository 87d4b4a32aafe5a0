package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
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
	wantFail(t, runCS(t, args(g, []string{"add", strings.Replace(aliceURI, "alice", "alias", 1)})...), 1,
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
		"add: give an otpauth:// URI, --scan FILE or --screen (see countersign add --help)")
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
