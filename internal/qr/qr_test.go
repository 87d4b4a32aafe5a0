package qr

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPNGReadByZbar draws a code and has zbarimg, an independent decoder, read it.
func TestPNGReadByZbar(t *testing.T) {
	const text = "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"
	data, err := PNG(text, 300)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil || img.Bounds().Dx() < 300 {
		t.Fatalf("PNG %v, %v", img.Bounds(), err)
	}
	path := filepath.Join(t.TempDir(), "qr.png")
	os.WriteFile(path, data, 0o600)
	out, err := exec.Command("zbarimg", "-q", "--raw", path).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v (apt-get install -y zbar-tools)", err)
	}
	if got := strings.TrimSpace(string(out)); got != text {
		t.Fatalf("zbarimg read %q", got)
	}
}
