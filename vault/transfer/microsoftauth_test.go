package transfer

import (
	"bytes"
	"strings"
	"testing"
)

const msaFile = "testdata/importers/microsoft_authenticator.sqlite"

// The database holds the first seven accounts of the README as third-party
// accounts (type 0): Microsoft Authenticator keeps TOTP only, SHA1, 6
// digits, 30 s; "name" is the issuer, "username" the account name.
var msaAccounts = []string{
	"totp|Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
	"totp|SPDX|James|5OM4WOOGPLQEF6UGN3CPEOOLWU|SHA1|6|30|0",
	"totp|Airbnb|Elijah|7ELGJSGXNCCTV3O6LKJWYFV2RA|SHA1|6|30|0",
	"totp|Issuu|James|YOOMIXWS5GN6RTBPUFFWKTW5M4|SHA1|6|30|0",
	"totp|Air Canada|Benjamin|KUVJJOM753IHTNDSZVCNKL7GII|SHA1|6|30|0",
	"totp|WWE|Mason|5VAML3X35THCEBVRLV24CGBKOY|SHA1|6|30|0",
	"totp|Boeing|Sophia|JRZCL47CMXVOQMNPZR2F7J4RGI|SHA1|6|30|0",
}

func TestMicrosoftAuthenticator(t *testing.T) {
	tmp := impTempDir(t)
	data := impRead(t, msaFile)
	orig := bytes.Clone(data)
	r, err := Decode(MicrosoftAuthenticator, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	impCheckKeys(t, msaFile, r, msaAccounts)
	for i, want := range impReadmeRows(1, 2, 3, 4, 5, 6, 7) {
		w, g := strings.Split(want, "|"), strings.Split(msaAccounts[i], "|")
		if w[1] != g[1] || w[2] != g[2] || w[3] != g[3] {
			t.Errorf("row %d: issuer, name or secret differs from the README: %s / %s", i+1, g, w)
		}
	}
	if len(r.Skipped) != 0 {
		t.Errorf("skipped: %+v", r.Skipped)
	}
	if !bytes.Equal(data, orig) {
		t.Error("the input was changed")
	}
	impNothingLeft(t, tmp)

	impCheckSniffOnly(t, "microsoft-authenticator", sniffMicrosoftAuthenticator, map[string]bool{msaFile: false})
	impCheckDetect(t, MicrosoftAuthenticator, map[string]bool{msaFile: false})
	if MicrosoftAuthenticator.AppName() != "Microsoft Authenticator" || MicrosoftAuthenticator.CanExport() {
		t.Error("app name or export")
	}
}

// msaSchema is the table of the test file, less its unused columns.
const msaSchema = "CREATE TABLE `accounts` (`_id` INTEGER PRIMARY KEY AUTOINCREMENT, `group_key` TEXT NOT NULL DEFAULT '', `name` TEXT NOT NULL, `username` TEXT NOT NULL, `paws_url` TEXT NOT NULL DEFAULT '', `oath_secret_key` TEXT NOT NULL, `oath_enabled` INTEGER NOT NULL DEFAULT 0, `account_type` INTEGER NOT NULL, `ux_position` INTEGER NOT NULL, `encrypted_oath_secret_key` TEXT NOT NULL DEFAULT '')"

// TestMicrosoftAuthenticatorTypes: personal Microsoft accounts have base64
// secrets and 8 digits; work or school accounts, push-only accounts and
// encrypted secrets are skipped with a reason; the list is in the app's
// order (ux_position).
func TestMicrosoftAuthenticatorTypes(t *testing.T) {
	data := impMakeSQLite(t, msaSchema,
		"INSERT INTO accounts (name, username, oath_secret_key, account_type, ux_position, encrypted_oath_secret_key) VALUES"+
			"('Microsoft', 'ada@outlook.com', 'SGVsbG8h3q2+7w==', 1, 2, ''),"+
			"('GitHub', 'ada', 'jbsw y3dp ehpk 3pxp', 0, 1, ''),"+
			"('Contoso', 'ada@contoso.com', 'abcdefgh', 2, 3, ''),"+
			"('Microsoft', 'bob@outlook.com', '', 1, 4, ''),"+
			"('Fabrikam', 'ada', '', 0, 5, 'AAAAencrypted'),"+
			"('Future', 'x', 'JBSWY3DPEHPK3PXP', 9, 6, ''),"+
			"('Microsoft', 'carol@outlook.com', 'SGVsbG8h3q2-7w', 1, 7, '')")
	if ok, _ := sniffMicrosoftAuthenticator(data); !ok {
		t.Fatal("not recognised")
	}
	if ok, _ := sniffGoogleAuthenticatorDB(data); ok {
		t.Fatal("taken for Google's")
	}
	r, err := Decode(MicrosoftAuthenticator, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	impCheckKeys(t, "types", r, []string{
		"totp|GitHub|ada|JBSWY3DPEHPK3PXP|SHA1|6|30|0",
		"totp|Microsoft|ada@outlook.com|JBSWY3DPEHPK3PXP|SHA1|8|30|0",
		"totp|Microsoft|carol@outlook.com|JBSWY3DPEHPK3PXP|SHA1|8|30|0",
	})
	want := map[string]string{
		"Contoso (ada@contoso.com)":   "work or school",
		"Microsoft (bob@outlook.com)": "notification",
		"Fabrikam (ada)":              "encrypted",
		"Future (x)":                  "type 9",
	}
	if len(r.Skipped) != len(want) {
		t.Errorf("skipped: %+v", r.Skipped)
	}
	for _, s := range r.Skipped {
		if !strings.Contains(s.Reason, want[s.Label]) || want[s.Label] == "" {
			t.Errorf("skipped %q: %s", s.Label, s.Reason)
		}
	}

	// A bad secret fails the whole import without showing the secret.
	data = impMakeSQLite(t, msaSchema,
		"INSERT INTO accounts (name, username, oath_secret_key, account_type, ux_position) VALUES ('A', 'a', 'not*base64*at all', 1, 1)")
	if _, err := Decode(MicrosoftAuthenticator, data, nil); err == nil || !strings.Contains(err.Error(), "A (a)") || strings.Contains(err.Error(), "base64*") {
		t.Errorf("bad secret: %v", err)
	}
	for name, data := range map[string][]byte{
		"empty":     impMakeSQLite(t, msaSchema),
		"truncated": impRead(t, msaFile)[:4096],
		"google":    impRead(t, gadbFile),
	} {
		if _, err := Decode(MicrosoftAuthenticator, data, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzMicrosoftAuthenticator: any bytes are refused or read into valid
// keys, never a panic. Seeds: testdata/fuzz/FuzzMicrosoftAuthenticator.
func FuzzMicrosoftAuthenticator(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		sniffMicrosoftAuthenticator(data)
		r, err := decodeMicrosoftAuthenticator(data)
		if err != nil {
			return
		}
		if len(r.Keys) == 0 && len(r.Skipped) == 0 {
			t.Fatal("no error and nothing read")
		}
		for _, k := range r.Keys {
			if err := k.Validate(); err != nil {
				t.Fatalf("invalid key accepted: %v", err)
			}
		}
	})
}
