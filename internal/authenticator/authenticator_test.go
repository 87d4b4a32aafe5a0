package authenticator

import (
	"testing"

	"github.com/countersign/countersign/vault"
)

const (
	gitlab   = "otpauth://totp/GitLab:ada@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitLab"
	upper    = "OTPAUTH://TOTP/ACME:BOB?SECRET=JBSWY3DPEHPK3PXP&ISSUER=ACME"
	activate = "countersign://activate?v=1&url=https%3A%2F%2Fcs.example.com%2Fv1%2Factivate&code=q1w2e3r4t5y6u7i8o9p0aA&issuer=Acme&account=ada&fp=SHA256%3Aabc"
	web      = "https://example.com/otpauth://totp/x"
	garbage  = "\x00not a code at all"
)

// migration is a Google Authenticator export of the accounts of uris.
func migration(t *testing.T, uris ...string) string {
	t.Helper()
	var m vault.Migration
	for _, u := range uris {
		k, err := vault.ParseURI(u)
		if err != nil {
			t.Fatal(err)
		}
		m.Keys = append(m.Keys, k)
	}
	m.Version, m.BatchSize = 1, 1
	s, err := vault.MigrationURI(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func labels(ks []vault.Key) []string {
	var l []string
	for _, k := range ks {
		l = append(l, k.Label())
	}
	return l
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRead(t *testing.T) {
	export := migration(t, gitlab, "otpauth://totp/Acme:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Acme", "otpauth://hotp/Home:door?secret=MFRGGZDF&counter=4")
	for _, tc := range []struct {
		name, text string
		kind       Kind
		account    bool
		labels     []string
		err        string
	}{
		{"otpauth", gitlab, OTPAuth, true, []string{"GitLab (ada@example.com)"}, ""},
		{"upper case", upper, OTPAuth, true, []string{"ACME (BOB)"}, ""},
		{"spaces", "  " + gitlab + "\n", OTPAuth, true, []string{"GitLab (ada@example.com)"}, ""},
		{"bad otpauth", "otpauth://totp/x", OTPAuth, true, nil, "otpauth URI: secret: is missing"},
		{"migration", export, Migration, true, []string{"GitLab (ada@example.com)", "Acme (bob)", "Home (door)"}, ""},
		{"bad migration", "otpauth-migration://offline?data=%%%", Migration, true, nil, "Google Authenticator export: the data parameter is missing"},
		{"activation", activate, Activation, false, nil, ""},
		{"bad activation", "countersign://activate?v=1", Activation, false, nil, "activation code: url: is missing"},
		{"https", web, Other, false, nil, ""},
		{"garbage", garbage, Other, false, nil, ""},
		{"empty", "", Other, false, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if k := KindOf(tc.text); k != tc.kind {
				t.Errorf("KindOf = %v, want %v", k, tc.kind)
			}
			if a := IsAccountURI(tc.text); a != tc.account {
				t.Errorf("IsAccountURI = %v, want %v", a, tc.account)
			}
			got, err := Read(tc.text)
			if got.Kind != tc.kind || errText(err) != tc.err {
				t.Fatalf("Read = %v, %q; want %v, %q", got.Kind, errText(err), tc.kind, tc.err)
			}
			var ls []string
			switch got.Kind {
			case OTPAuth:
				if err == nil {
					ls = labels([]vault.Key{got.Key})
				}
			case Migration:
				ls = labels(got.Migration.Keys)
			case Activation:
				if err == nil && (got.Activation.Account != "ada" || got.Activation.URL != "https://cs.example.com/v1/activate" || got.Activation.Issuer != "Acme") {
					t.Errorf("activation = %+v", got.Activation)
				}
			}
			if !equal(ls, tc.labels) {
				t.Errorf("accounts = %q, want %q", ls, tc.labels)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	export := migration(t, gitlab, "otpauth://totp/Acme:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Acme")
	empty := migration(t)
	for _, tc := range []struct {
		name, text string
		labels     []string
		err        string
	}{
		{"otpauth", gitlab, []string{"GitLab (ada@example.com)"}, ""},
		{"upper case", upper, []string{"ACME (BOB)"}, ""},
		{"migration", export, []string{"GitLab (ada@example.com)", "Acme (bob)"}, ""},
		{"empty migration", empty, nil, "Google Authenticator export: it holds no accounts"},
		{"activation", activate, nil, `otpauth URI: scheme: must be otpauth:// (got "countersign")`},
		{"https", web, nil, `otpauth URI: scheme: must be otpauth:// (got "https")`},
		{"garbage", garbage, nil, `otpauth URI: scheme: must be otpauth:// (got "\x00not a code at all")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks, err := Keys(tc.text)
			if errText(err) != tc.err || !equal(labels(ks), tc.labels) {
				t.Errorf("Keys = %q, %q; want %q, %q", labels(ks), errText(err), tc.labels, tc.err)
			}
		})
	}
}

func TestKeysFromTexts(t *testing.T) {
	export := migration(t, gitlab, "otpauth://totp/Acme:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Acme")
	for _, tc := range []struct {
		name   string
		texts  []string
		labels []string
		err    string
	}{
		{"one", []string{gitlab}, []string{"GitLab (ada@example.com)"}, ""},
		{"web address skipped", []string{web, upper}, []string{"ACME (BOB)"}, ""},
		{"export and URI", []string{export, upper}, []string{"GitLab (ada@example.com)", "Acme (bob)", "ACME (BOB)"}, ""},
		{"first bad one", []string{gitlab, "otpauth://totp/x", "otpauth-migration://offline?data=%%%"}, nil, "otpauth URI: secret: is missing"},
		{"activation is not an account", []string{activate}, nil, "found 1 QR code(s) but no otpauth:// or otpauth-migration:// URI"},
		{"none", []string{web, garbage}, nil, "found 2 QR code(s) but no otpauth:// or otpauth-migration:// URI"},
		{"no code", nil, nil, "found 0 QR code(s) but no otpauth:// or otpauth-migration:// URI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks, err := KeysFromTexts(tc.texts)
			if errText(err) != tc.err || !equal(labels(ks), tc.labels) {
				t.Errorf("KeysFromTexts = %q, %q; want %q, %q", labels(ks), errText(err), tc.labels, tc.err)
			}
		})
	}
}

func TestDeviceName(t *testing.T) {
	for host, want := range map[string]string{
		"ada-laptop": "Countersign on ada-laptop",
		"":           "Countersign desktop",
	} {
		if got := DeviceNameFor(host); got != want {
			t.Errorf("DeviceNameFor(%q) = %q, want %q", host, got, want)
		}
	}
	if DeviceName() == "" {
		t.Error("DeviceName is empty")
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
