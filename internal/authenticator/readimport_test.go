package authenticator

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/countersign/countersign/internal/qr"
)

// writeQR writes a PNG of the QR code of text to dir/name.
func writeQR(t *testing.T, dir, name, text string) string {
	t.Helper()
	png, err := qr.PNG(text, 400)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadImport(t *testing.T) {
	dir := t.TempDir()
	export := migration(t, githubURI, rfcURI)
	text := filepath.Join(dir, "aegis.json")
	if err := os.WriteFile(text, []byte(`{"version":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	batches := filepath.Join(dir, "batches")
	os.Mkdir(batches, 0o700)
	writeQR(t, batches, "batch1.png", export)
	writeQR(t, batches, "batch2.png", gitlabURI)
	os.WriteFile(filepath.Join(batches, "notes.txt"), []byte("scanned on Monday"), 0o600)
	web := writeQR(t, dir, "web.png", "https://example.com/")
	emptyDir := filepath.Join(dir, "empty")
	os.Mkdir(emptyDir, 0o700)
	os.WriteFile(filepath.Join(emptyDir, "notes.txt"), []byte("no image"), 0o600)

	for _, tc := range []struct {
		name, path, want, err string
	}{
		{"a file as it is", text, `{"version":1}`, ""},
		{"an image's account QR code", filepath.Join(batches, "batch1.png"), export, ""},
		{"a directory of images, other files skipped", batches, export + "\n" + gitlabURI, ""},
		{"an image of something else", web, "", web + ": no QR code of an authenticator export in this image (its 1 QR code(s) hold something else)"},
		{"a directory without images", emptyDir, "", emptyDir + " holds no image (PNG, JPEG, GIF or WebP) of an export QR code"},
		{"a missing file", filepath.Join(dir, "gone"), "", "reading " + filepath.Join(dir, "gone") + ": stat " + filepath.Join(dir, "gone") + ": no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadImport(tc.path, nil)
			if string(got) != tc.want || errText(err) != tc.err {
				t.Fatalf("ReadImport(%s) = %q, %v\nwant %q, %q", tc.path, got, err, tc.want, tc.err)
			}
		})
	}
	// A decoder of the caller's (the app's, reading by file name) is used
	// in place of the scanner, and its error names the file.
	var asked []string
	got, err := ReadImport(web, func(name string, data []byte) ([]string, error) {
		asked = append(asked, name)
		return []string{"https://example.com/", " " + rfcURI}, nil
	})
	if string(got) != " "+rfcURI || err != nil || len(asked) != 1 || asked[0] != web {
		t.Fatalf("with a decoder: %q, %v, asked %q", got, err, asked)
	}
	_, err = ReadImport(web, func(string, []byte) ([]string, error) { return nil, os.ErrInvalid })
	if errText(err) != web+": invalid argument" {
		t.Fatalf("a decoder's error: %v", err)
	}
}
