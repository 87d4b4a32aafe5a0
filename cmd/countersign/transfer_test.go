package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func listLabels(t *testing.T, vaultFlags []string) []string {
	t.Helper()
	var accounts []struct {
		Issuer, Name string
	}
	if err := json.Unmarshal([]byte(ok(t, args(vaultFlags, []string{"list", "--json"})...)), &accounts); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range accounts {
		out = append(out, a.Issuer+"/"+a.Name)
	}
	return out
}

func TestImportExport(t *testing.T) {
	_, src := fileStore(t)
	for _, uri := range []string{
		"otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP",
		"otpauth://totp/Google:ada%40gmail.com?secret=GEZDGNBVGY3TQOJQ",
	} {
		ok(t, args(src, []string{"add", uri})...)
	}
	backup := filepath.Join(t.TempDir(), "backup.cs")
	if out := ok(t, args(src, []string{"export", "--to", "countersign", backup})...); out != "exported 2 accounts to "+backup+" (countersign)\n" {
		t.Fatalf("export printed %q", out)
	}
	raw, _ := os.ReadFile(backup)
	if strings.Contains(string(raw), "JBSWY3DPEHPK3PXP") {
		t.Fatal("the backup holds a secret in clear")
	}
	_, dst := fileStore(t)
	out := ok(t, args(dst, []string{"import", "--from", "countersign", backup})...)
	if strings.Count(out, "added\t") != 2 {
		t.Fatalf("import printed %q", out)
	}
	if got := strings.Join(listLabels(t, dst), ","); got != "GitHub/ada,Google/ada@gmail.com" {
		t.Fatalf("imported %q", got)
	}
	// Again: the duplicates are recognised, nothing is added twice.
	out = ok(t, args(dst, []string{"import", "--from", "countersign", backup})...)
	if out != "duplicate\tGitHub (ada)\talready in the vault as GitHub (ada)\nduplicate\tGoogle (ada@gmail.com)\talready in the vault as Google (ada@gmail.com)\nnothing new to import\n" {
		t.Fatalf("second import printed %q", out)
	}
	// The same codes in both vaults.
	if a, b := ok(t, args(src, []string{"code", "--json", "--at", "1800000000"})...), ok(t, args(dst, []string{"code", "--json", "--at", "1800000000"})...); !strings.Contains(b, `"code"`) || stripIDs(a) != stripIDs(b) {
		t.Fatalf("codes differ:\n%s\n%s", a, b)
	}

	// Google Authenticator: QR images out, QR images in.
	dir := filepath.Join(t.TempDir(), "google")
	ok(t, args(src, []string{"export", "--to", "google", dir})...)
	if _, err := os.Stat(filepath.Join(dir, "batch1.png")); err != nil {
		t.Fatal(err)
	}
	_, g := fileStore(t)
	ok(t, args(g, []string{"import", "--from", "google", dir})...)
	if got := strings.Join(listLabels(t, g), ","); got != "GitHub/ada,Google/ada@gmail.com" {
		t.Fatalf("imported from Google %q", got)
	}
}

func stripIDs(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.Contains(line, `"id"`) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func TestImportAegisSamples(t *testing.T) {
	sample := func(name string) string { return filepath.Join("..", "..", "vault", "transfer", "testdata", name) }
	_, v := fileStore(t)
	out := ok(t, args(v, []string{"import", "--from", "aegis", "--dry-run", sample("aegis_plain.json")})...)
	if strings.Count(out, "would add\t") != 7 || !strings.Contains(out, "would add\tBoeing (Sophia)") {
		t.Fatalf("dry run printed %q", out)
	}
	if n := len(listLabels(t, v)); n != 0 {
		t.Fatalf("a dry run added %d accounts", n)
	}
	// The encrypted sample's password is "test": the vault's file store and
	// the export share --passphrase-file here, so use a vault dir whose
	// store is opened with the same passphrase.
	dir := t.TempDir()
	pass := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(pass, []byte("test\n"), 0o600)
	enc := []string{"--vault", dir, "--store", "file", "--passphrase-file", pass}
	out = ok(t, args(enc, []string{"import", "--from", "aegis-encrypted", sample("aegis_encrypted.json")})...)
	if strings.Count(out, "added\t") != 7 {
		t.Fatalf("import printed %q", out)
	}
	wrong := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrong, []byte("nope\n"), 0o600)
	r := runCS(t, "--vault", t.TempDir(), "--store", "file", "--passphrase-file", wrong, "import", "--from", "aegis-encrypted", sample("aegis_encrypted.json"))
	if r.code != 1 || !strings.Contains(r.stderr, "wrong passphrase for this Aegis vault") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("wrong password: %d %q", r.code, r.stderr)
	}
}

// TestImportAsksOnATerminal runs import on a pseudo-terminal (script(1)):
// it lists what it will add and adds only on "y".
func TestImportAsksOnATerminal(t *testing.T) {
	sample := filepath.Join("..", "..", "vault", "transfer", "testdata", "aegis_plain.json")
	dir, v := fileStore(t)
	cmdline := strings.Join(append([]string{countersignBinary(t)}, args(v, []string{"import", "--from", "aegis", sample})...), " ")
	for _, c := range []struct{ answer, last string }{{"n\n", "nothing was imported"}, {"y\n", "Boeing (Sophia)"}} {
		cmd := exec.Command("script", "-qc", cmdline, "/dev/null")
		cmd.Stdin = strings.NewReader(c.answer)
		cmd.Env = baseEnv()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("script: %v\n%s", err, out)
		}
		text := strings.ReplaceAll(string(out), "\r", "")
		if !strings.Contains(text, "will add\tBoeing (Sophia)\n") || !strings.Contains(text, "Add these 7 account(s)? [y/N]") || !strings.HasSuffix(strings.TrimSpace(text), c.last) {
			t.Fatalf("answer %q:\n%s", c.answer, text)
		}
	}
	if n := len(listLabels(t, v)); n != 7 {
		t.Fatalf("%d accounts after answering y, want 7 (vault %s)", n, dir)
	}
}
