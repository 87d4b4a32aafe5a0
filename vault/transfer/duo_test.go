package transfer

import (
	"strings"
	"testing"

	"github.com/countersign/countersign/vault"
)

func TestDuoFiles(t *testing.T) {
	want := ixReadmeRows(t, []int{0, 3}, func(k *vault.Key) {
		k.Issuer = "" // Duo has no issuer
		if k.Type == vault.HOTP {
			k.Counter = 3 // the README says 1; Duo's file holds 3 (codes were made since)
		}
	})
	ixCheckFiles(t, []ixFile{{file: "duo.json", format: "duo", want: want}})
	ixCheckSniffOnlyOwn(t, "duo", "duo.json")
}

func TestDuoAccounts(t *testing.T) {
	for _, c := range []struct {
		name, data string
		want       []string
		skipped    []string
		err        string
	}{{
		name:    "a push-only account is skipped; the counter may be a string",
		data:    `[{"accountType":"DuoAccount","name":"Acme SSO"},{"accountType":"OtpAccount","name":"ada","otpGenerator":{"otpSecret":"JBSWY3DPEHPK3PXP","counter":"7"}}]`,
		want:    []string{"hotp||ada|JBSWY3DPEHPK3PXP|SHA1|6|0|7"},
		skipped: []string{"Acme SSO"},
	}, {
		name: "a bad secret",
		data: `[{"accountType":"OtpAccount","name":"ada","otpGenerator":{"otpSecret":"JBSWY3DPEHPK3PX!"}}]`,
		err:  "Duo account 1 (ada): secret: is not valid base32 (character 16",
	}, {
		name: "a negative counter",
		data: `[{"accountType":"OtpAccount","name":"ada","otpGenerator":{"otpSecret":"JBSWY3DPEHPK3PXP","counter":-1}}]`,
		err:  "counter: is negative",
	}, {
		name: "not Duo's",
		data: `[{"secret":"JBSWY3DPEHPK3PXP","otpGenerator":null,"issuer":"x"}]`,
		err:  "account 1 is not a Duo account",
	}, {
		name: "no accounts",
		data: `[]`,
		err:  "holds no accounts",
	}} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Decode("duo", []byte(c.data), nil)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want an error with %q", err, c.err)
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

func FuzzDecodeDuo(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ixFuzz(t, "duo", data, nil)
	})
}
