package transfer

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/countersign/countersign/vault"
)

// TOTP Authenticator carries digits and period but no algorithm; the test
// files hold the names in lower case.
func totpAuthCarry(k *vault.Key) { k.Algorithm, k.Name = vault.SHA1, strings.ToLower(k.Name) }

func TestTOTPAuthenticatorFiles(t *testing.T) {
	want := ixReadmeRows(t, []int{0, 1, 2}, totpAuthCarry)
	ixCheckFiles(t, []ixFile{
		{file: "totp_authenticator.bin", format: "totp-authenticator", encrypted: true, password: "Testtest1", want: want},
		{file: "totp_authenticator_internal.xml", format: "totp-authenticator", want: want},
	})
	ixCheckSniffOnlyOwn(t, "totp-authenticator", "totp_authenticator.bin", "totp_authenticator_internal.xml")
}

// totpAuthBackup encrypts an account list as the app does, in lines of 76
// characters as Android's base64 writes them.
func totpAuthBackup(t *testing.T, password, list string) []byte {
	plain, err := json.Marshal(map[string]string{list: "1608293023"})
	if err != nil {
		t.Fatal(err)
	}
	n := 16 - len(plain)%16
	plain = append(plain, []byte(strings.Repeat(string(rune(n)), n))...)
	key := sha256.Sum256([]byte(password))
	block, _ := aes.NewCipher(key[:])
	cipher.NewCBCEncrypter(block, make([]byte, 16)).CryptBlocks(plain, plain)
	text := base64.StdEncoding.EncodeToString(plain)
	var b strings.Builder
	for len(text) > 76 {
		b.WriteString(text[:76] + "\n")
		text = text[76:]
	}
	b.WriteString(text + "\n")
	return []byte(b.String())
}

func TestTOTPAuthenticatorBackups(t *testing.T) {
	list := `["{\"base\":32,\"key\":\"JBSWY3DPEHPK3PXP\",\"name\":\"ada\",\"issuer\":\"GitHub\",\"digits\":\"8\",\"period\":\"60\"}",
		{"base":64,"key":"SGVsbG8h3q2+7w==","name":"bob","issuer":"","digits":6,"period":30},
		{"base":10,"key":"123","name":"odd","issuer":"X"}]`
	want := []string{"totp|GitHub|ada|JBSWY3DPEHPK3PXP|SHA1|8|60|0", "totp||bob|JBSWY3DPEHPK3PXP|SHA1|6|30|0"}

	// A backup made without a password needs none.
	data := totpAuthBackup(t, "TotpAuthenticator", list)
	if d, err := Detect(data); err != nil || d.Format != "totp-authenticator" || d.Encrypted {
		t.Fatalf("a backup under the built-in password: %+v, %v", d, err)
	}
	for _, pw := range []string{"", "anything"} {
		r, err := Decode("totp-authenticator", data, []byte(pw))
		if err != nil {
			t.Fatalf("password %q: %v", pw, err)
		}
		if got := describeKeys(r.Keys); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got %q\nwant %q", got, want)
		}
		if len(r.Skipped) != 1 || r.Skipped[0].Label != "X (odd)" || !strings.Contains(r.Skipped[0].Reason, "base 10") {
			t.Errorf("skipped %v", r.Skipped)
		}
	}

	// A backup under a password.
	data = totpAuthBackup(t, "pw", list)
	if d, err := Detect(data); err != nil || !d.Encrypted {
		t.Fatalf("a backup under a password: %+v, %v", d, err)
	}
	if _, err := Decode("totp-authenticator", data, []byte("pw")); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode("totp-authenticator", data, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong password: %v", err)
	}

	for _, c := range []struct{ name, list, err string }{
		{"a bad hex key", `[{"base":16,"key":"E49270F0D21F365C8408F8B475C5267","name":"a"}]`, "TOTP Authenticator account 1 (a): secret: is not valid hex; nothing was imported"},
		{"a bad base32 key", `[{"base":32,"key":"JBSWY3DPEHPK3PX1","name":"a"}]`, "secret: is not valid base32"},
		{"a bad period", `[{"base":32,"key":"JBSWY3DPEHPK3PXP","name":"a","period":"-5"}]`, "period: -5 is out of range"},
		{"digits not a number", `[{"base":32,"key":"JBSWY3DPEHPK3PXP","name":"a","digits":"six"}]`, "a number field holds something other than a whole number"},
		{"no accounts", `[]`, "holds no accounts"},
		{"not a list", `{}`, "the TOTP Authenticator account list: "},
	} {
		_, err := Decode("totp-authenticator", totpAuthBackup(t, "pw", c.list), []byte("pw"))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: got %v, want an error with %q", c.name, err, c.err)
		}
	}
}

func FuzzDecodeTOTPAuthenticator(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ixFuzz(t, "totp-authenticator", data, []byte("Testtest1"))
		// AES stands between the fuzzer and a backup's JSON: fuzz the
		// plaintext and the account list directly too.
		lists := [][]byte{data}
		if list, err := totpAuthBackupList(data); err == nil {
			lists = append(lists, list)
		}
		for _, list := range lists {
			r, err := totpAuthEntries(list)
			if err != nil {
				continue
			}
			if len(r.Keys) == 0 && len(r.Skipped) == 0 {
				t.Fatal("no error, no account and nothing skipped")
			}
			for _, k := range r.Keys {
				if err := k.Validate(); err != nil {
					t.Fatalf("invalid account accepted: %v", err)
				}
			}
		}
	})
}
