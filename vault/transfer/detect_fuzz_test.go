package transfer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzDetect reads arbitrary bytes as a file to import, as the app and the
// import command do: Detect names a format Countersign reads, or says what
// the file looks like without quoting it (an export is secrets); and a
// file it takes for an unencrypted export goes through that format's
// decoder without a panic. The seeds are the real exports of every
// format (testdata/importers, the Aegis vaults); testdata/fuzz/FuzzDetect
// keeps their beginnings, which is all the sniffers read.
func FuzzDetect(f *testing.F) {
	files, _ := filepath.Glob("testdata/importers/*")
	files = append(files, "testdata/aegis_plain.json", "testdata/aegis_encrypted.json")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil && !strings.HasSuffix(name, ".md") {
			f.Add(data)
		}
	}
	formats := Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Detect(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "this file is ") || !strings.Contains(err.Error(), "give --from FORMAT") {
				t.Fatalf("refusal not in Detect's words: %v", err)
			}
			if len(data) >= 24 && strings.Contains(err.Error(), string(data)) {
				t.Fatalf("the refusal quotes the file: %v", err)
			}
			return
		}
		if !slices.Contains(formats, d.Format) {
			t.Fatalf("detected %q, not one of %v", d.Format, formats)
		}
		if !d.Encrypted {
			Decode(d.Format, data, nil) // no panic; whether it reads is the decoder's fuzz target's
		}
	})
}
