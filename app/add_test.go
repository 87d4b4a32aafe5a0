package app

import (
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"github.com/countersign/countersign/internal/qr"
)

// twoCodesPNG writes a PNG holding two QR codes side by side, as a page
// showing two sign-up codes would, and returns its path.
func twoCodesPNG(t *testing.T, left, right string) string {
	t.Helper()
	a, err := qr.Image(left, 300)
	if err != nil {
		t.Fatal(err)
	}
	b, err := qr.Image(right, 300)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, a.Bounds().Dx()+b.Bounds().Dx()+100, max(a.Bounds().Dy(), b.Bounds().Dy())+40))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(img, a.Bounds().Add(image.Pt(20, 20)), a, image.Point{}, draw.Src)
	draw.Draw(img, b.Bounds().Add(image.Pt(a.Bounds().Dx()+80, 20)), b, image.Point{}, draw.Src)
	path := filepath.Join(t.TempDir(), "two codes.png")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := png.Encode(out, img); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOpenImageWithTwoCodes picks a real image in the open dialog: the real
// scanner finds both codes and both accounts are added; cancelling does
// nothing and a failure to open is said in place.
func TestOpenImageWithTwoCodes(t *testing.T) {
	path := twoCodesPNG(t, githubURI, gitlabURI)
	f := newFixture(t, nil, Options{}, rfcURI)

	f.ui.showAdd()
	s := f.ui.adding
	s.imageChosen(nil, nil) // cancelled
	if s.result.Text != "" || len(f.vault.Accounts()) != 1 {
		t.Fatalf("cancelling did something: %q", s.result.Text)
	}
	s.imageChosen(nil, errors.New("permission denied"))
	if got := s.result.Text; got != "Could not read a QR code: permission denied" {
		t.Fatalf("result %q", got)
	}

	r, err := storage.Reader(storage.NewFileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	s.imageChosen(r, nil)
	if got := accountLabels(f.vault); got != "RFC (sha1), GitHub (ada), GitLab (bob)" {
		t.Fatalf("accounts %q; result %q", got, s.result.Text)
	}
	if f.ui.adding != nil {
		t.Fatal("the add screen stays open after adding")
	}
	if got := f.ui.status.Text; got != "Added GitHub (ada). Added GitLab (bob)." && got != "Added GitLab (bob). Added GitHub (ada)." {
		t.Fatalf("status %q", got)
	}
	if n := len(f.rows()); n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}

	// Dropping the same image again: both are duplicates, said by name.
	f.ui.dropped(fyne.NewPos(5, 5), []fyne.URI{storage.NewFileURI(path)})
	got := f.ui.status.Text
	for _, want := range []string{"GitHub (ada): already in the vault as GitHub (ada)", "GitLab (bob): already in the vault as GitLab (bob)"} {
		if !strings.Contains(got, want) {
			t.Fatalf("status %q does not say %q", got, want)
		}
	}
	if n := len(f.vault.Accounts()); n != 3 {
		t.Fatalf("%d accounts after dropping duplicates", n)
	}
}

// inSight tells whether o lies within the visible part of scroll.
func inSight(scroll, o fyne.CanvasObject) bool {
	d := fyne.CurrentApp().Driver()
	top := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(scroll).Y
	return top >= 0 && top+o.Size().Height <= scroll.Size().Height
}

// TestManualErrorIsBroughtIntoSight: an error under an advanced field opens
// the Advanced section and scrolls to it; the Add button stays in sight.
func TestManualErrorIsBroughtIntoSight(t *testing.T) {
	f := newFixture(t, nil, Options{})
	f.ui.showAdd()
	f.ui.adding.tabs.SelectIndex(1)
	form := f.ui.adding.form
	test.Type(form.name, "alice")
	test.Type(form.secret, "JBSWY3DPEHPK3PXP")
	form.period.SetText("0")
	test.Tap(form.submit)
	l := form.errors["period"]
	if !l.Visible() || !form.advanced.Items[0].Open {
		t.Fatalf("period error shown %v, Advanced open %v", l.Visible(), form.advanced.Items[0].Open)
	}
	if !inSight(form.scroll, l) || form.scroll.Offset.Y == 0 {
		t.Fatalf("the period error is out of sight (scrolled by %v)", form.scroll.Offset.Y)
	}
	form.period.SetText("30")
	form.secret.SetText("JBSW 1")
	test.Tap(form.submit)
	if !inSight(form.scroll, form.errors["secret"]) {
		t.Fatal("the secret error is scrolled out of sight")
	}
	if !form.submit.Visible() || inSight(form.scroll, form.submit) {
		t.Fatal("the Add button should sit below the scrolling fields")
	}
}

// TestRowIsLaidOutForItsAccount: rows are reused for other accounts; a
// long-named 8-digit account's name is truncated before its code, with no
// room kept for the Next code button of an HOTP row, both where it is first
// drawn and in a reused row after a search.
func TestRowIsLaidOutForItsAccount(t *testing.T) {
	f := newFixture(t, nil, Options{}, rfcURI, githubURI, hotpURI, longURI)
	check := func(r *accountRow, code string) {
		t.Helper()
		if r.code.Text != code {
			t.Fatalf("row shows %q", r.code.Text)
		}
		// The names end before the code, which ends before the countdown,
		// with no room kept for the Next code button an HOTP account had
		// in this row.
		if end := max(inkOf(r.issuer).x1, inkOf(r.name).x1); end > rectOf(r.code).x0 {
			t.Fatalf("the names end at %v, under the code starting at %v", end, rectOf(r.code).x0)
		}
		if r.hotpNext.Visible() || !r.left.Visible() {
			t.Fatal("a TOTP row shows the Next code button, or no countdown")
		}
		if end, ring := inkOf(r.code).x1, rectOf(r.left).x0; end > ring {
			t.Fatalf("the code ends at %v, under the countdown at %v", end, ring)
		}
	}
	if !f.rows()[2].hotpNext.Visible() {
		t.Fatal("the HOTP row has no Next code button")
	}
	check(f.rows()[0], "287 082")
	check(f.rows()[3], "2418 8501")
	test.TypeOnCanvas(f.ui.win.Canvas(), "incorporated")
	check(f.rows()[0], "2418 8501")
}
