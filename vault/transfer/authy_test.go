package transfer

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/countersign/countersign/vault"
)

// Authy carries the digits of its authenticator tokens; they are all
// SHA1 and 30 seconds.
func authyCarry(k *vault.Key) { k.Algorithm, k.Period = vault.SHA1, 30 }

func TestAuthyFiles(t *testing.T) {
	want := ixReadmeRows(t, []int{0, 1, 2}, authyCarry)
	ixCheckFiles(t, []ixFile{
		{file: "authy_plain.xml", format: "authy", want: want},
		{file: "authy_encrypted.xml", format: "authy", encrypted: true, password: "testtest", want: want},
	})
	ixCheckSniffOnlyOwn(t, "authy", "authy_plain.xml", "authy_encrypted.xml")
}

// authyPrefs wraps a JSON token list in Authy's preferences file.
func authyPrefs(pref, tokens string) []byte {
	var b strings.Builder
	xml.EscapeText(&b, []byte(tokens))
	return []byte(`<?xml version='1.0' encoding='utf-8' standalone='yes' ?>
<map>
    <int name="key_version" value="121" />
    <string name="` + pref + `">` + b.String() + `</string>
</map>
`)
}

// authySeal encrypts a base32 secret as Authy does.
func authySeal(t *testing.T, password, salt, secret string) string {
	key, err := pbkdf2.Key(sha1.New, password, []byte(salt), 1000, 32)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	n := 16 - len(secret)%16
	plain := []byte(secret + strings.Repeat(string(rune(n)), n))
	cipher.NewCBCEncrypter(block, make([]byte, 16)).CryptBlocks(plain, plain)
	return base64.StdEncoding.EncodeToString(plain)
}

func TestAuthyTokens(t *testing.T) {
	for _, c := range []struct {
		name, pref, tokens, password string
		want                         []string
		skipped                      []string
		err                          string
	}{{
		name: "labels: name with a dash, brand account type, renamed token",
		pref: authyAuthenticatorPref,
		tokens: `[{"accountType":"authenticator","name":"GitLab - ada","originalName":"ada","digits":6,"decryptedSecret":"JBSWY3DPEHPK3PXP"},
			{"accountType":"dropbox","name":"ada@example.com","digits":8,"decryptedSecret":"jbsw y3dp ehpk 3pxp"},
			{"accountType":"authenticator","name":"Work mail","originalName":"Example:ada","originalIssuer":"Example","digits":"6","decryptedSecret":"JBSWY3DPEHPK3PXP"},
			{"accountType":"authenticator","name":"Example","originalName":"Example:bob","digits":6,"decryptedSecret":"JBSWY3DPEHPK3PXP"}]`,
		want: []string{
			"totp|GitLab|ada|JBSWY3DPEHPK3PXP|SHA1|6|30|0",
			"totp|Dropbox|ada@example.com|JBSWY3DPEHPK3PXP|SHA1|8|30|0",
			"totp|Example|Work mail|JBSWY3DPEHPK3PXP|SHA1|6|30|0",
			"totp|Example|bob|JBSWY3DPEHPK3PXP|SHA1|6|30|0",
		},
	}, {
		name:    "Authy's own tokens: hex seed, 10 seconds, 7 digits",
		pref:    authyAppPref,
		tokens:  `[{"name":"Twilio","secretSeed":"48656c6c6f21deadbeef","digits":7},{"name":"NoSecret","digits":7}]`,
		want:    []string{"totp|Twilio||JBSWY3DPEHPK3PXP|SHA1|7|10|0"},
		skipped: []string{"NoSecret"},
	}, {
		name:     "a token that does not open with the password that opens the others",
		pref:     authyAuthenticatorPref,
		tokens:   `[{"name":"A: a","originalName":"A:a","digits":6,"encryptedSecret":"` + authySeal(t, "pw", "salt1", "JBSWY3DPEHPK3PXP") + `","salt":"salt1"},{"name":"B: b","originalName":"B:b","digits":6,"encryptedSecret":"` + authySeal(t, "other", "salt2", "JBSWY3DPEHPK3PXP") + `","salt":"salt2"}]`,
		password: "pw",
		err:      "Authy token 2 (B (b)): its secret does not open with the password that opens the others: the file is damaged; nothing was imported",
	}, {
		name:     "newer encryption",
		pref:     authyAuthenticatorPref,
		tokens:   `[{"name":"A","digits":6,"encryptedSecret":"AAAAAAAAAAAAAAAAAAAAAA==","salt":"s","unique_iv":"00","key_derivation_iterations":100000}]`,
		password: "pw",
		err:      "newer Authy versions",
	}, {
		name:   "a bad secret",
		pref:   authyAuthenticatorPref,
		tokens: `[{"name":"A","digits":6,"decryptedSecret":"JBSWY3DPEHPK3PX1"}]`,
		err:    "Authy token 1 (A): secret: is not valid base32 (character 16",
	}, {
		name:   "digits out of range",
		pref:   authyAuthenticatorPref,
		tokens: `[{"name":"A","digits":99999999999,"decryptedSecret":"JBSWY3DPEHPK3PXP"}]`,
		err:    "digits: -1 is out of range",
	}, {
		name:   "no tokens",
		pref:   authyAuthenticatorPref,
		tokens: `[]`,
		err:    "holds no tokens",
	}, {
		name:   "damaged list",
		pref:   authyAuthenticatorPref,
		tokens: `[{"name":"A","decryptedSecret":"JBSWY3DPEHPK3PXP"`,
		err:    "reading the Authy file: the token list com.authy.storage.tokens.authenticator.key: the JSON",
	}} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Decode("authy", authyPrefs(c.pref, c.tokens), []byte(c.password))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want an error with %q", err, c.err)
				}
				if errors.Is(err, ErrWrongPassphrase) {
					t.Fatalf("not a wrong password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := describeKeys(r.Keys); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
			var skipped []string
			for _, s := range r.Skipped {
				skipped = append(skipped, s.Label)
			}
			if strings.Join(skipped, ",") != strings.Join(c.skipped, ",") {
				t.Errorf("skipped %v, want %v", r.Skipped, c.skipped)
			}
		})
	}
}

func FuzzDecodeAuthy(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ixFuzz(t, "authy", data, []byte("testtest"))
	})
}
