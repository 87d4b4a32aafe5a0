package app

import (
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// sampleExport is one of the other apps' export files in vault/transfer.
func sampleExport(name string) string {
	return filepath.Join("..", "vault", "transfer", "testdata", name)
}

// TestImportPreviewChooses: a plain export is detected and shown as a
// table, one row per account; duplicates are shown but not offered; an
// unticked account is left out.
func TestImportPreviewChooses(t *testing.T) {
	f := newFixture(t, nil, Options{}, "otpauth://totp/Deno:Mason?secret=4SJHB4GSD43FZBAI7C2HLRJGPQ&issuer=Deno")
	path := sampleExport("aegis_plain.json")
	f.ui.importFile(path)
	top := topOverlay(t, f.ui)
	add := findButton(top, "Add 6 account(s)")
	if add == nil {
		t.Fatalf("no Add 6 account(s) button in the preview")
	}
	var checks []*widget.Check
	var texts []string
	for _, o := range test.LaidOutObjects(top) {
		switch w := o.(type) {
		case *widget.Check:
			checks = append(checks, w)
		case *widget.Label:
			texts = append(texts, w.Text)
		}
	}
	if len(checks) != 6 {
		t.Fatalf("%d ticks, want 6 (7 accounts, 1 already here)", len(checks))
	}
	joined := strings.Join(texts, "|")
	for _, want := range []string{path + " (Aegis): 7 account(s), 6 new.", "Deno|Mason|already here", "Boeing|Sophia|new"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("the preview lacks %q:\n%s", want, joined)
		}
	}
	test.Tap(checks[0]) // untick the first new one
	if add.Text != "Add 5 account(s)" {
		t.Fatalf("after unticking: %q", add.Text)
	}
	test.Tap(add)
	if got := len(f.vault.Accounts()); got != 6 {
		t.Fatalf("%d accounts after the import, want 1 + 5", got)
	}
	if got := f.ui.status.Text; got != "Imported 5 account(s); 1 already here." {
		t.Fatalf("status %q", got)
	}
}

// TestImportPasswordStaysOnAWrongOne: an encrypted export asks for the
// file's password; a wrong one keeps the dialog open with the error, the
// right one goes on to the preview.
func TestImportPasswordStaysOnAWrongOne(t *testing.T) {
	f := newFixture(t, nil, Options{})
	p := f.ui.askImportPasswordFor(t, sampleExport("aegis_encrypted.json"))
	test.Type(p.entry, "nope")
	test.Tap(p.open)
	if !p.problem.Visible() || p.problem.Text != "That password does not open the file; try again." {
		t.Fatalf("after a wrong password: visible %t %q", p.problem.Visible(), p.problem.Text)
	}
	if findButton(topOverlay(t, f.ui), "Open") == nil {
		t.Fatal("the password dialog closed after a wrong password")
	}
	p.entry.SetText("")
	if p.problem.Visible() {
		t.Fatal("the error stays while the password is being typed again")
	}
	test.Type(p.entry, "test")
	test.Tap(p.open)
	if findButton(topOverlay(t, f.ui), "Add 7 account(s)") == nil {
		t.Fatal("no preview after the right password")
	}
}

// askImportPasswordFor opens the import of an encrypted file and returns
// its password dialog.
func (u *UI) askImportPasswordFor(t *testing.T, path string) *importPassword {
	t.Helper()
	data, err := u.readImportFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return u.askImportPassword(path, "aegis-encrypted", data)
}
