package transfer

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// Shared by the tests of the formats read from other apps' files in
// testdata/importers (see its README.md).

// impReadmeAccounts are the eight accounts of testdata/importers/README.md, as
// describeKeys writes them (type|issuer|name|secret|algo|digits|period|counter;
// HOTP accounts have no period, the others no counter).
var impReadmeAccounts = []string{
	"totp|Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
	"totp|SPDX|James|5OM4WOOGPLQEF6UGN3CPEOOLWU|SHA256|7|20|0",
	"totp|Airbnb|Elijah|7ELGJSGXNCCTV3O6LKJWYFV2RA|SHA512|8|50|0",
	"hotp|Issuu|James|YOOMIXWS5GN6RTBPUFFWKTW5M4|SHA1|6|0|1",
	"hotp|Air Canada|Benjamin|KUVJJOM753IHTNDSZVCNKL7GII|SHA256|7|0|50",
	"hotp|WWE|Mason|5VAML3X35THCEBVRLV24CGBKOY|SHA512|8|0|10300",
	"steam|Boeing|Sophia|JRZCL47CMXVOQMNPZR2F7J4RGI|SHA1|5|30|0",
	"totp|Battle.net|US-2211-2050-3346|BMGRXPGFARQQF4GMT25JATL2VYLAHDBI|SHA1|8|30|0",
}

// impReadmeRows picks rows of impReadmeAccounts by their place in the table (1 to 8).
func impReadmeRows(rows ...int) []string {
	var out []string
	for _, r := range rows {
		out = append(out, impReadmeAccounts[r-1])
	}
	return out
}

// impRead reads a test file.
func impRead(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// impCheckKeys compares decoded accounts, every field, in order.
func impCheckKeys(t *testing.T, what string, r Result, want []string) {
	t.Helper()
	if got := describeKeys(r.Keys); !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// impOtherFiles lists every test file of another app, and Aegis's.
func impOtherFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"testdata/importers/*", "testdata/aegis_*.json", "testdata/authplus/*.zip"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 40 {
		t.Fatalf("only %d test files found", len(files))
	}
	return files
}

// impCheckSniffOnly checks that a sniffer says yes to its own files, with
// their encryption, and no to every other test file.
func impCheckSniffOnly(t *testing.T, name string, sniff func([]byte) (bool, bool), own map[string]bool) {
	t.Helper()
	seen := 0
	for _, file := range impOtherFiles(t) {
		ok, enc := sniff(impRead(t, file))
		wantEnc, mine := own[filepath.ToSlash(file)]
		switch {
		case ok && !mine:
			t.Errorf("%s claims %s", name, file)
		case !ok && mine:
			t.Errorf("%s does not recognise %s", name, file)
		case ok && enc != wantEnc:
			t.Errorf("%s: %s encrypted = %t, want %t", name, file, enc, wantEnc)
		}
		if mine {
			seen++
		}
	}
	if seen != len(own) {
		t.Errorf("%s: %d of its %d files found", name, seen, len(own))
	}
}

// impCheckDetect checks that Detect names the format of each file, with its
// encryption.
func impCheckDetect(t *testing.T, f Format, files map[string]bool) {
	t.Helper()
	for _, file := range slices.Sorted(maps.Keys(files)) {
		d, err := Detect(impRead(t, file))
		if err != nil || d.Format != f || d.Encrypted != files[file] {
			t.Errorf("Detect(%s) = %+v, %v; want %s (encrypted %t)", file, d, err, f, files[file])
		}
		if got := Encrypted(f, impRead(t, file)); got != files[file] {
			t.Errorf("Encrypted(%s, %s) = %t", f, file, got)
		}
	}
	if !slices.Contains(Formats(), f) {
		t.Errorf("%s is not among Formats()", f)
	}
	if _, err := ParseFormat(string(f)); err != nil {
		t.Error(err)
	}
}
