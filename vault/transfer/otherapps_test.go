package transfer

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Helpers for the tests of other apps' formats (andOTP, FreeOTP, FreeOTP+,
// Authenticator Pro), whose sample files are in testdata/importers.

// oaAccounts are the accounts of testdata/importers/README.md, by
// issuer (each issuer is on one row), as describeKeys writes them.
var oaAccounts = map[string]string{
	"Deno":       "totp|Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
	"SPDX":       "totp|SPDX|James|5OM4WOOGPLQEF6UGN3CPEOOLWU|SHA256|7|20|0",
	"Airbnb":     "totp|Airbnb|Elijah|7ELGJSGXNCCTV3O6LKJWYFV2RA|SHA512|8|50|0",
	"Issuu":      "hotp|Issuu|James|YOOMIXWS5GN6RTBPUFFWKTW5M4|SHA1|6|0|1",
	"Air Canada": "hotp|Air Canada|Benjamin|KUVJJOM753IHTNDSZVCNKL7GII|SHA256|7|0|50",
	"WWE":        "hotp|WWE|Mason|5VAML3X35THCEBVRLV24CGBKOY|SHA512|8|0|10300",
	"Boeing":     "steam|Boeing|Sophia|JRZCL47CMXVOQMNPZR2F7J4RGI|SHA1|5|30|0",
	"Battle.net": "totp|Battle.net|US-2211-2050-3346|BMGRXPGFARQQF4GMT25JATL2VYLAHDBI|SHA1|8|30|0",
}

// oaOrder is the README's order of the first seven accounts.
var oaOrder = []string{"Deno", "SPDX", "Airbnb", "Issuu", "Air Canada", "WWE", "Boeing"}

func oaRows(t testing.TB, issuers ...string) []string {
	t.Helper()
	var out []string
	for _, is := range issuers {
		row, ok := oaAccounts[is]
		if !ok {
			t.Fatalf("no README account of issuer %q", is)
		}
		out = append(out, row)
	}
	return out
}

func oaFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "importers", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// oaSample is one sample file of a format and what it holds.
type oaSample struct {
	file      string
	format    Format
	encrypted bool
	password  string
	// detected is the format Detect names, if not format (a file two
	// formats share).
	detected Format
	issuers  []string // the README accounts it holds, in order
	// rows replace the README's rows where the file differs from them.
	rows []string
}

// oaCheckSample: Detect names the format and whether the file is
// encrypted; Decode imports exactly the accounts, every field, in order,
// and skips nothing; an encrypted file refuses a wrong password with
// ErrWrongPassphrase and asks for a missing one.
func oaCheckSample(t *testing.T, c oaSample) {
	t.Helper()
	data := oaFile(t, c.file)
	want := c.detected
	if want == "" {
		want = c.format
	}
	d, err := Detect(data)
	if err != nil || d.Format != want || d.Encrypted != c.encrypted {
		t.Errorf("%s: Detect = %+v, %v; want %s (encrypted %t)", c.file, d, err, want, c.encrypted)
	}
	if got := Encrypted(c.format, data); got != c.encrypted {
		t.Errorf("%s: Encrypted(%s) = %t", c.file, c.format, got)
	}
	r, err := Decode(c.format, data, []byte(c.password))
	if err != nil {
		t.Fatalf("%s: %v", c.file, err)
	}
	rows := c.rows
	if rows == nil {
		rows = oaRows(t, c.issuers...)
	}
	if got := describeKeys(r.Keys); !reflect.DeepEqual(got, rows) {
		t.Errorf("%s:\n got %q\nwant %q", c.file, got, rows)
	}
	if len(r.Skipped) > 0 {
		t.Errorf("%s: skipped %+v", c.file, r.Skipped)
	}
	if !c.encrypted {
		return
	}
	start := time.Now()
	if _, err := Decode(c.format, data, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("%s: wrong password: %v", c.file, err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("%s: a wrong password took %v", c.file, time.Since(start))
	}
	if _, err := Decode(c.format, data, nil); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("%s: no password: %v", c.file, err)
	}
}

// oaCheckSniff: a format's sniffer claims exactly the files listed of
// testdata/importers and testdata/aegis_*.json, and nothing else.
func oaCheckSniff(t *testing.T, f Format, claims map[string]bool) {
	t.Helper()
	imp, ok := lookup(f)
	if !ok {
		t.Fatalf("format %s is not registered", f)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "importers", "*"))
	aegis, _ := filepath.Glob(filepath.Join("testdata", "aegis_*.json"))
	seen := map[string]bool{}
	for _, path := range append(files, aegis...) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		seen[name] = true
		if got, _ := imp.sniff(data); got != claims[name] {
			t.Errorf("%s sniffer on %s: %t, want %t", f, name, got, claims[name])
		}
	}
	for name := range claims {
		if !seen[name] {
			t.Errorf("%s: no sample %s", f, name)
		}
	}
}
