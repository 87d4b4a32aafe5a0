package vault

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseMigrationURIWorkedExample(t *testing.T) {
	const uri = "otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC"
	m, err := ParseMigrationURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Keys) != 1 {
		t.Fatalf("got %d keys, want 1", len(m.Keys))
	}
	const want = "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30"
	if got := m.Keys[0].URI(); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if m.BatchSize != 0 || m.BatchIndex != 0 || m.BatchID != 0 {
		t.Errorf("batch fields %d/%d/%d, want zero (absent)", m.BatchSize, m.BatchIndex, m.BatchID)
	}
}

func TestMigrationRoundTripWithBatch(t *testing.T) {
	in := Migration{
		Version: 1, BatchSize: 3, BatchIndex: 2, BatchID: -1320898453,
		Keys: []Key{
			{Params: Params{Type: TOTP, Issuer: "GitHub", Name: "ada", Algorithm: SHA256, Digits: 8, Period: 30}, Secret: []byte("0123456789abcdef")},
			{Params: Params{Type: HOTP, Issuer: "", Name: "bank:card", Algorithm: SHA512, Digits: 6, Counter: 7}, Secret: []byte{1, 2, 3, 4, 5}},
		},
	}
	uri, err := MigrationURI(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseMigrationURI(uri)
	if err != nil {
		t.Fatalf("ParseMigrationURI(%s): %v", uri, err)
	}
	// A name with a colon and no issuer is a name: it reads back as it was.
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}
}

func TestMigrationURIRefusesWhatGoogleCannotHold(t *testing.T) {
	for _, c := range []struct {
		k     Key
		field string
	}{
		{Key{Params: Params{Type: Steam, Name: "s", Algorithm: SHA1, Digits: 5, Period: 30}, Secret: []byte("x")}, "type"},
		{Key{Params: Params{Type: TOTP, Name: "p", Algorithm: SHA1, Digits: 6, Period: 60}, Secret: []byte("x")}, "period"},
		{Key{Params: Params{Type: TOTP, Name: "d", Algorithm: SHA1, Digits: 7, Period: 30}, Secret: []byte("x")}, "digits"},
	} {
		_, err := MigrationURI(Migration{Keys: []Key{c.k}})
		if err == nil || !strings.Contains(err.Error(), c.field+":") || !strings.Contains(err.Error(), c.k.Name+" cannot be exported") {
			t.Errorf("%s: got %v, want an error naming the account and %s", c.k.Name, err, c.field)
		}
	}
}

func TestParseMigrationURIErrors(t *testing.T) {
	for _, c := range []struct{ uri, want string }{
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", "not an otpauth-migration:// URI"},
		{"otpauth-migration://online?data=CjEKCkhl", `unknown kind "online"`},
		{"otpauth-migration://offline", "the data parameter is missing"},
		{"otpauth-migration://offline?data=!!!", "not valid base64"},
		{"otpauth-migration://offline?data=CjEKCkhlbGxv", "corrupt data"},
		{"otpauth-migration://offline?data=EAE%3D", "it holds no accounts"},
		// one account whose algorithm is MD5 (4)
		{"otpauth-migration://offline?data=CggKAUESAXggBA%3D%3D", "account 1: algorithm: MD5 is not supported"},
		// one account without a secret
		{"otpauth-migration://offline?data=CgMSAXg%3D", "account 1: secret: is missing"},
	} {
		_, err := ParseMigrationURI(c.uri)
		var me *MigrationError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseMigrationURI(%q): got %v, want …%s…", c.uri, err, c.want)
		}
	}
}

func FuzzParseMigrationURI(f *testing.F) {
	f.Add("otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC")
	f.Add("otpauth-migration://offline?data=CggKAUESAXggBA%3D%3D")
	f.Fuzz(func(t *testing.T, uri string) {
		m, err := ParseMigrationURI(uri)
		if err != nil {
			var me *MigrationError
			if !errors.As(err, &me) {
				t.Fatalf("error %v is not a MigrationError", err)
			}
			return
		}
		for _, k := range m.Keys {
			if err := k.Validate(); err != nil {
				t.Fatalf("parsed key does not validate: %v", err)
			}
		}
	})
}

// TestMigrationNameWithAColon: without an issuer, the name field is the
// name, colon and all; with one, exactly "Issuer:" is taken off.
func TestMigrationNameWithAColon(t *testing.T) {
	for _, c := range []struct{ issuer, name, wantName string }{
		{"", "encoding: ¿äÄéÉ? (demo)", "encoding: ¿äÄéÉ? (demo)"},
		{"GitHub", "ada", "ada"},
		{"Bank: EU", "card:1", "card:1"},
	} {
		k := Key{Params: Params{Type: TOTP, Issuer: c.issuer, Name: c.name, Algorithm: SHA1, Digits: 6, Period: 30}, Secret: []byte("0123456789")}
		uri, err := MigrationURI(Migration{Version: 1, BatchSize: 1, Keys: []Key{k}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseMigrationURI(uri)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Keys[0]; got.Issuer != c.issuer || got.Name != c.wantName {
			t.Errorf("%q/%q read back as %q/%q", c.issuer, c.name, got.Issuer, got.Name)
		}
	}
}
