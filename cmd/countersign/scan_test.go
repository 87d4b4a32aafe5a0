package main

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// qrPNG writes a QR code of text made by qrencode, a peer of ours.
func qrPNG(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "qr.png")
	cmd := exec.Command(lookPath(t, "qrencode"), "-s", "6", "-o", path, text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("qrencode: %v: %s", err, out)
	}
	return path
}

func TestScan(t *testing.T) {
	a := qrPNG(t, aliceURI)
	b := qrPNG(t, "Hello, QR: ünïcode & more")
	if got, want := ok(t, "scan", a, b), aliceURI+"\nHello, QR: ünïcode & more\n"; got != want {
		t.Errorf("scan: %q, want %q", got, want)
	}

	blank := filepath.Join(t.TempDir(), "blank.png")
	img := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	f, err := os.Create(blank)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// The codes of the other files are printed; the failure is one line.
	r := runCS(t, "scan", a, blank)
	if r.code != 1 || r.stdout != aliceURI+"\n" ||
		r.stderr != "countersign: "+blank+": no QR code found in the image; make sure the whole code is visible, sharp and not too small\n" {
		t.Errorf("scan of a blank image: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	missing := filepath.Join(t.TempDir(), "missing.png")
	r = runCS(t, "scan", missing)
	if r.code != 1 || r.stdout != "" || r.stderr != "countersign: reading "+missing+": no such file or directory\n" {
		t.Errorf("scan of a missing file: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	wantFail(t, runCS(t, "scan"), 2, "scan: give one or more image files (PNG, JPEG, GIF, WebP)")

	// A QR code's text is anyone's: control, bidi and invisible characters
	// are removed, line breaks become spaces (one code, one line).
	evil := qrPNG(t, "evil\u202Egpj\x1b]0;pwned\x07\nnext\u200Bline")
	if got, want := ok(t, "scan", evil), "evilgpj]0;pwned nextline\n"; got != want {
		t.Errorf("scan of a QR code with control characters: %q, want %q", got, want)
	}
}

func TestAddScan(t *testing.T) {
	_, g := fileStore(t)
	addOK(t, []string{"Example (alice)"}, args(g, []string{"add", "--scan", qrPNG(t, aliceURI)})...)
	if got := ok(t, args(g, []string{"code", "--at", "59"})...); got != "Example (alice)  94287082  1s\n" {
		t.Errorf("code after add --scan: %q", got)
	}
	notOTP := qrPNG(t, "https://example.com/")
	wantFail(t, runCS(t, args(g, []string{"add", "--scan", notOTP})...), 1,
		notOTP+": found 1 QR code(s) but no otpauth:// or otpauth-migration:// URI")
}
