package app

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/push/server"
)

// capture writes the window to /tmp/countersign-screens/name.png, to look at.
func capture(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "countersign-screens")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := png.Encode(out, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

// labelWith is the visible label of root whose text holds part.
func labelWith(t *testing.T, root fyne.CanvasObject, part string) *widget.Label {
	t.Helper()
	for _, o := range test.LaidOutObjects(root) {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, part) && l.Visible() {
			return l
		}
	}
	t.Fatalf("no label says %q", part)
	return nil
}

// assertWraps checks that the label holding part wraps and fits in root.
func assertWraps(t *testing.T, root fyne.CanvasObject, part string) {
	t.Helper()
	l := labelWith(t, root, part)
	if l.Wrapping != fyne.TextWrapWord {
		t.Errorf("the label %q does not wrap", part)
	}
	if l.Size().Width > root.Size().Width {
		t.Errorf("the label %q is %v wide, wider than its dialog (%v)", part, l.Size().Width, root.Size().Width)
	}
}

func TestDeleteConfirmIsRedAndWraps(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI)
	f.ui.confirmDelete(f.ui.shown[1])
	d := topOverlay(t, f.ui)
	if b := findButton(d, "Delete"); b == nil || b.Importance != widget.DangerImportance {
		t.Fatalf("the Delete button is %v, want red (DangerImportance)", b)
	}
	assertWraps(t, d, "you may be locked out of that account")
	capture(t, f.ui.win, "delete")
	tapButton(t, d, "Delete")
	if got := f.shown(); len(got) != 1 {
		t.Fatalf("after Delete: %v", got)
	}
}

func TestFraudConfirmIsRedAndRequestTextWraps(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{})
	signIn(t, ps)
	d := requestDialogShown(t, f)
	req := topOverlay(t, f.ui)
	assertWraps(t, req, ", then approve:")
	capture(t, f.ui.win, "request")
	test.Tap(d.fraud)
	confirm := topOverlay(t, f.ui)
	if b := findButton(confirm, "Report fraud"); b == nil || b.Importance != widget.DangerImportance {
		t.Fatalf("the Report fraud button is %v, want red (DangerImportance)", b)
	}
	assertWraps(t, confirm, "no sign-in works until an administrator unblocks it")
	capture(t, f.ui.win, "fraud")
}

func TestBackupAndGoogleExportTextWraps(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI)
	f.ui.chooseBackup()
	tapButton(t, topOverlay(t, f.ui), "Next: 2 account(s)")
	backup := topOverlay(t, f.ui)
	assertWraps(t, backup, "Without the passphrase it cannot be restored")
	capture(t, f.ui.win, "backup")
	backup.Hide()
	f.ui.win.Canvas().Overlays().Remove(backup)

	f.ui.chooseGoogleExport()
	tapButton(t, topOverlay(t, f.ui), "Next: 2 account(s)")
	g := topOverlay(t, f.ui)
	assertWraps(t, g, "Transfer accounts → Import accounts, then scan")
	assertWraps(t, g, "These codes hold your secrets")
	capture(t, f.ui.win, "google")
}
