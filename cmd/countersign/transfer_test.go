package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
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
	backupPass := filepath.Join(t.TempDir(), "backup-password")
	os.WriteFile(backupPass, []byte("a password of the backup, not of any vault\n"), 0o600)
	if out := ok(t, args(src, []string{"export", "--to", "countersign", "--password-file", backupPass, backup})...); out != "exported 2 accounts to "+backup+" (countersign)\n" {
		t.Fatalf("export printed %q", out)
	}
	raw, _ := os.ReadFile(backup)
	if strings.Contains(string(raw), "JBSWY3DPEHPK3PXP") {
		t.Fatal("the backup holds a secret in clear")
	}
	_, dst := fileStore(t)
	// The format is detected; the vault's passphrase is not the backup's.
	wantFail(t, runCS(t, args(dst, []string{"import", backup})...), 1,
		backup+" is encrypted: give its password with --password-file FILE (the vault's --passphrase-file is not used for it), or run countersign on a terminal to be asked")
	out := ok(t, args(dst, []string{"import", "--password-file", backupPass, backup})...)
	if strings.Count(out, "added\t") != 2 {
		t.Fatalf("import printed %q", out)
	}
	if got := strings.Join(listLabels(t, dst), ","); got != "GitHub/ada,Google/ada@gmail.com" {
		t.Fatalf("imported %q", got)
	}
	// Again: the duplicates are recognised, nothing is added twice.
	out = ok(t, args(dst, []string{"import", "--from", "countersign", "--password-file", backupPass, backup})...)
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
	// A directory of export QR images is detected too, whatever the image
	// type (here a JPEG copy of batch1 and a stray text file beside it).
	png1, _ := os.ReadFile(filepath.Join(dir, "batch1.png"))
	os.Remove(filepath.Join(dir, "batch1.png"))
	os.WriteFile(filepath.Join(dir, "batch1.jpg"), toJPEG(t, png1), 0o600)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("my export\n"), 0o600)
	ok(t, args(g, []string{"import", dir})...)
	if got := strings.Join(listLabels(t, g), ","); got != "GitHub/ada,Google/ada@gmail.com" {
		t.Fatalf("imported from Google %q", got)
	}
	// An image that is not an export is named.
	stray := qrPNG(t, "https://example.com/not-an-export")
	os.Rename(stray, filepath.Join(dir, "holiday.png"))
	wantFail(t, runCS(t, args(g, []string{"import", dir})...), 1,
		filepath.Join(dir, "holiday.png")+": no QR code of an authenticator export in this image (its 1 QR code(s) hold something else)")
}

// toJPEG re-encodes an image as a JPEG.
func toJPEG(t *testing.T, data []byte) []byte {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
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
	// The encrypted sample's password is "test", given as the file's
	// password; the vault keeps its own passphrase. Aegis is one format,
	// encrypted or not: --from aegis reads the encrypted file too.
	pass := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(pass, []byte("test\n"), 0o600)
	for _, from := range [][]string{nil, {"--from", "aegis"}, {"--from", "aegis-encrypted"}} {
		_, enc := fileStore(t)
		out = ok(t, args(enc, []string{"import", "--password-file", pass, sample("aegis_encrypted.json")}, from)...)
		if strings.Count(out, "added\t") != 7 {
			t.Fatalf("import %v printed %q", from, out)
		}
	}
	wrong := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrong, []byte("nope\n"), 0o600)
	_, w := fileStore(t)
	r := runCS(t, args(w, []string{"import", "--password-file", wrong, sample("aegis_encrypted.json")})...)
	if r.code != 1 || !strings.Contains(r.stderr, "wrong passphrase for this Aegis vault") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("wrong password: %d %q", r.code, r.stderr)
	}
	// An unknown file says what it looks like and lists the formats.
	unknown := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(unknown, []byte(`{"hello":"world"}`), 0o600)
	r = runCS(t, args(w, []string{"import", unknown})...)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "countersign: "+unknown+": this file is JSON, not an export Countersign knows; it reads: countersign, aegis, aegis-encrypted, google, otpauth") {
		t.Fatalf("unknown file: %d %q", r.code, r.stderr)
	}
}

// TestImportAsksOnATerminal runs import on a pseudo-terminal (script(1)):
// it lists what it will add and adds only on "y".
func TestImportAsksOnATerminal(t *testing.T) {
	sample := filepath.Join("..", "..", "vault", "transfer", "testdata", "aegis_plain.json")
	dir, v := fileStore(t)
	cmdline := strings.Join(append([]string{countersignBinary(t)}, args(v, []string{"import", sample})...), " ")
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

// TestExportToOtherApps: the vault goes out as 2FAS (plain, and encrypted
// with the file's own password) and Bitwarden JSON, and comes back in,
// detected, with the same codes.
func TestExportToOtherApps(t *testing.T) {
	_, src := fileStore(t)
	ok(t, args(src, []string{"add", "otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"})...)
	ok(t, args(src, []string{"add", "otpauth://totp/Bank:ada?secret=GEZDGNBVGY3TQOJQ&algorithm=SHA256&digits=8&period=60"})...)
	password := filepath.Join(t.TempDir(), "password")
	os.WriteFile(password, []byte("export password\n"), 0o600)
	want := stripIDs(ok(t, args(src, []string{"code", "--json", "--at", "1800000000"})...))
	for _, c := range []struct {
		format string
		extra  []string
	}{
		{"2fas", nil},
		{"2fas", []string{"--password-file", password}},
		{"bitwarden", nil},
	} {
		file := filepath.Join(t.TempDir(), "export")
		if out := ok(t, args(src, []string{"export", "--to", c.format, file}, c.extra)...); out != "exported 2 accounts to "+file+" ("+c.format+")\n" {
			t.Fatalf("export %s %v: %q", c.format, c.extra, out)
		}
		_, dst := fileStore(t)
		out := ok(t, args(dst, []string{"import", file}, c.extra)...)
		if strings.Count(out, "added\t") != 2 {
			t.Fatalf("import of the %s export %v: %q", c.format, c.extra, out)
		}
		if got := stripIDs(ok(t, args(dst, []string{"code", "--json", "--at", "1800000000"})...)); got != want {
			t.Fatalf("%s %v: codes differ:\n%s\n%s", c.format, c.extra, got, want)
		}
	}
}
