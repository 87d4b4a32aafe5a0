package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportToGoogleLeavesOutWhatItCannotHold: a Steam account does not
// stop an export to Google Authenticator: the others are exported, and it
// is named as left out.
func TestExportToGoogleLeavesOutWhatItCannotHold(t *testing.T) {
	_, src := fileStore(t)
	for _, uri := range []string{
		"otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP",
		"otpauth://totp/Steam:ada?secret=GEZDGNBVGY3TQOJQ&encoder=steam",
		"otpauth://totp/Google:ada%40gmail.com?secret=GEZDGNBVGY3TQOJQ",
	} {
		ok(t, args(src, []string{"add", uri})...)
	}
	dir := filepath.Join(t.TempDir(), "google")
	if got, want := ok(t, args(src, []string{"export", "--to", "google", dir})...),
		"exported 2 accounts as 1 QR codes in "+dir+": scan them with Google Authenticator (Transfer accounts → Import)\n"+
			"left out\tSteam (ada)\tGoogle Authenticator does not support steam codes\n"; got != want {
		t.Fatalf("export printed\n%q\nwant\n%q", got, want)
	}
	_, dst := fileStore(t)
	ok(t, args(dst, []string{"import", dir})...)
	if got := strings.Join(listLabels(t, dst), ","); got != "GitHub/ada,Google/ada@gmail.com" {
		t.Fatalf("imported from Google %q", got)
	}
	// Only a Steam account: nothing to export, and it says why.
	wantFail(t, runCS(t, args(src, []string{"export", "--to", "google", filepath.Join(t.TempDir(), "steam"), "steam"})...), 1,
		"Google Authenticator cannot hold any of these accounts (Steam (ada): Google Authenticator does not support steam codes); nothing was exported")
}

// TestExportChosenAccounts: the accounts matching the query are exported,
// as code QUERY matches them; all without one.
func TestExportChosenAccounts(t *testing.T) {
	_, src := fileStore(t)
	for _, uri := range []string{
		"otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
		"otpauth://totp/GitLab:bob?secret=GEZDGNBVGY3TQOJQ&issuer=GitLab",
		"otpauth://totp/Bank:ada?secret=GEZDGNBVGY3TQOJQGEZDGNBV&issuer=Bank",
	} {
		ok(t, args(src, []string{"add", uri})...)
	}
	file := filepath.Join(t.TempDir(), "list.txt")
	if got := ok(t, args(src, []string{"export", "--to", "otpauth", file, "git"})...); got != "exported 2 accounts to "+file+" (otpauth)\n" {
		t.Fatalf("export git printed %q", got)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), "otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP&issuer=GitHub&algorithm=SHA1&digits=6&period=30\n"+
		"otpauth://totp/GitLab:bob?secret=GEZDGNBVGY3TQOJQ&issuer=GitLab&algorithm=SHA1&digits=6&period=30\n"; got != want {
		t.Fatalf("the export holds\n%s\nwant\n%s", got, want)
	}
	// Several words are one query, as for code.
	if got := ok(t, args(src, []string{"export", "--to", "otpauth", file, "Bank", "ada"})...); got != "exported 1 accounts to "+file+" (otpauth)\n" {
		t.Fatalf("export Bank ada printed %q", got)
	}
	_, dst := fileStore(t)
	ok(t, args(dst, []string{"import", file})...)
	if got := strings.Join(listLabels(t, dst), ","); got != "Bank/ada" {
		t.Fatalf("imported %q", got)
	}
	wantFail(t, runCS(t, args(src, []string{"export", "--to", "otpauth", file, "nobody"})...), 1,
		`no account matches "nobody" (countersign list shows them all); nothing was exported`)
	// Without a query, every account.
	if got := ok(t, args(src, []string{"export", "--to", "otpauth", file})...); got != "exported 3 accounts to "+file+" (otpauth)\n" {
		t.Fatalf("export printed %q", got)
	}
}
