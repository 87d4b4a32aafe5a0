package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/countersign/countersign/scanner"
	"github.com/countersign/countersign/vault"
)

const steamURI = "otpauth://totp/Steam:gabe?secret=BASE32SECRET3232&encoder=steam"

// checkTexts lists the checklist's accounts, a ✓ before the ticked ones.
func checkTexts(c *exportChoice) string {
	var out []string
	for _, check := range c.checks {
		mark := "  "
		if check.Checked {
			mark = "✓ "
		}
		out = append(out, mark+check.Text)
	}
	return strings.Join(out, ", ")
}

// TestBackupOfChosenAccounts: the backup starts with a checklist of the
// accounts, all ticked; the unticked ones stay out of the backup.
func TestBackupOfChosenAccounts(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI, gitlabURI)
	c := f.ui.chooseBackup()
	if got := checkTexts(c); got != "✓ RFC (sha1), ✓ GitHub (ada), ✓ GitLab (bob)" {
		t.Fatalf("checklist %q", got)
	}
	if c.next.Text != "Next: 3 account(s)" || c.next.Disabled() {
		t.Fatalf("Next %q, disabled %v", c.next.Text, c.next.Disabled())
	}
	tapButton(t, topOverlay(t, f.ui), "None")
	if got := checkTexts(c); got != "  RFC (sha1),   GitHub (ada),   GitLab (bob)" || c.next.Text != "Next: 0 account(s)" || !c.next.Disabled() {
		t.Fatalf("after None: %q, Next %q disabled %v", got, c.next.Text, c.next.Disabled())
	}
	tapButton(t, topOverlay(t, f.ui), "All")
	test.Tap(c.checks[2])
	if got := checkTexts(c); got != "✓ RFC (sha1), ✓ GitHub (ada),   GitLab (bob)" || c.next.Text != "Next: 2 account(s)" {
		t.Fatalf("after unticking GitLab: %q, Next %q", got, c.next.Text)
	}
	tapButton(t, topOverlay(t, f.ui), "Next: 2 account(s)")
	if got := labelsOf(topOverlay(t, f.ui)); !slices.Contains(got, "The backup holds the secrets of 2 account(s), encrypted with this passphrase. Without the passphrase it cannot be restored: keep it safe.") {
		t.Fatalf("the password step says %q", got)
	}
	path := filepath.Join(t.TempDir(), "backup.json")
	if err := f.ui.backupAccountsTo(c.chosen(), path, []byte("long passphrase")); err != nil {
		t.Fatal(err)
	}
	if got := f.ui.status.Text; got != "Backed up 2 accounts to "+path+"." {
		t.Fatalf("status %q", got)
	}
	data, _ := os.ReadFile(path)
	g := newFixture(t, nil, Options{})
	plan, err := g.ui.planRestore(data, []byte("long passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.describe(); got != "2 account(s) to add\n  + RFC (sha1)\n  + GitHub (ada)" {
		t.Fatalf("the backup holds:\n%s", got)
	}
}

// TestGoogleExportLeavesOutSteam: a Steam account, which Google
// Authenticator cannot hold, is left out of the export and named; the
// others are exported.
func TestGoogleExportLeavesOutSteam(t *testing.T) {
	f := newFixture(t, nil, Options{}, githubURI, steamURI, gitlabURI)
	c := f.ui.chooseGoogleExport()
	if got := checkTexts(c); got != "✓ GitHub (ada), ✓ Steam (gabe), ✓ GitLab (bob)" {
		t.Fatalf("checklist %q", got)
	}
	tapButton(t, topOverlay(t, f.ui), "Next: 3 account(s)")
	g := f.ui.googleExport
	if g == nil || len(g.uris) != 1 || g.label.Text != "QR code 1 of 1" {
		t.Fatalf("export screen %+v", g)
	}
	if got, want := g.leftOut.Text, "1 account(s) left out, as Google Authenticator cannot hold them:\n  – Steam (gabe): Google Authenticator does not support steam codes"; got != want || !g.leftOut.Visible() {
		t.Fatalf("left out %q (visible %v), want %q", got, g.leftOut.Visible(), want)
	}
	found, err := scanner.Decode(g.image.Image)
	if err != nil || len(found) != 1 {
		t.Fatalf("QR code: %v %v", found, err)
	}
	m, err := vault.ParseMigrationURI(found[0])
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, k := range m.Keys {
		labels = append(labels, k.Label())
	}
	if got := strings.Join(labels, ", "); got != "GitHub (ada), GitLab (bob)" {
		t.Fatalf("the code holds %q", got)
	}
	g.dialog.Hide()

	// Only the Steam account chosen: nothing to show, and why.
	c = f.ui.chooseGoogleExport()
	test.Tap(c.checks[0])
	test.Tap(c.checks[2])
	tapButton(t, topOverlay(t, f.ui), "Next: 1 account(s)")
	if got, want := labelsOf(topOverlay(t, f.ui)), "Google Authenticator cannot hold any of these accounts:\n  – Steam (gabe): Google Authenticator does not support steam codes"; !slices.Contains(got, want) {
		t.Fatalf("dialog says %q, want %q", got, want)
	}
	if f.ui.googleExport != nil {
		t.Fatal("an export screen opened with nothing to export")
	}
}
