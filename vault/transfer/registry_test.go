package transfer

import (
	"os"
	"strings"
	"testing"

	"github.com/countersign/countersign/vault"
)

// TestDetect: each built-in format is recognised from its content, with
// whether it is encrypted; anything else gets one message that says what
// it looks like and lists the formats.
func TestDetect(t *testing.T) {
	read := func(name string) []byte {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	k, err := vault.ParseURI("otpauth://totp/Deno:Mason?secret=4SJHB4GSD43FZBAI7C2HLRJGPQ&issuer=Deno")
	if err != nil {
		t.Fatal(err)
	}
	backup, err := encodeBackup([]vault.Key{k}, []byte("pw"), kdfParams{Name: "argon2id", Time: 1, Memory: 64, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	google, _ := Encode(Google, []vault.Key{k}, nil)
	for _, c := range []struct {
		name      string
		data      []byte
		format    Format
		encrypted bool
	}{
		{"aegis plain", read("testdata/aegis_plain.json"), Aegis, false},
		{"aegis encrypted", read("testdata/aegis_encrypted.json"), AegisEncrypted, true},
		{"countersign backup", backup, Countersign, true},
		{"google migration lines", google, Google, false},
		{"otpauth list", []byte("# mine\n" + k.URI() + "\n\nOTPAUTH://TOTP/x?SECRET=4SJHB4GSD43FZBAI7C2HLRJGPQ\n"), OTPAuth, false},
	} {
		d, err := Detect(c.data)
		if err != nil || d.Format != c.format || d.Encrypted != c.encrypted {
			t.Errorf("%s: %+v, %v; want %s (encrypted %t)", c.name, d, err, c.format, c.encrypted)
		}
		if got := Encrypted(c.format, c.data); got != c.encrypted {
			t.Errorf("%s: Encrypted = %t", c.name, got)
		}
	}
	// Aegis is one format: --from aegis on an encrypted file needs the password.
	if !Encrypted(Aegis, read("testdata/aegis_encrypted.json")) {
		t.Error("an encrypted Aegis file given as aegis is not seen as encrypted")
	}
	for name, c := range map[string]struct {
		data []byte
		like string
	}{
		"empty":  {nil, "empty"},
		"json":   {[]byte(`{"hello": 1}`), "JSON"},
		"xml":    {[]byte(`<?xml version="1.0"?><a/>`), "XML"},
		"sqlite": {[]byte("SQLite format 3\x00rest"), "an SQLite database"},
		"zip":    {[]byte("PK\x03\x04rest"), "a ZIP archive"},
		"png":    {[]byte("\x89PNG\r\n\x1a\nrest"), "an image without an export QR code"},
		"text":   {[]byte("hello\nworld\n"), "text"},
		"binary": {[]byte{0, 1, 2, 3}, "binary data"},
		"mixed":  {[]byte(k.URI() + "\nhello\n"), "text"},
	} {
		_, err := Detect(c.data)
		want := "this file is " + c.like + ", not an export Countersign knows; it reads: countersign, aegis, aegis-encrypted, google, otpauth"
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v\nwant prefix %q", name, err, want)
		}
	}
}
