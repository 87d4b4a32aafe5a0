package transfer

import (
	"strings"
	"testing"

	"github.com/countersign/countersign/vault"
)

// A Steam Guard file has no issuer: Countersign names it Steam.
func steamCarry(k *vault.Key) { k.Issuer = "Steam" }

func TestSteamFiles(t *testing.T) {
	want := ixReadmeRows(t, []int{6}, steamCarry)
	skipped := []string{"Steam (Sophia): revocation code and trade confirmations"}
	ixCheckFiles(t, []ixFile{
		{file: "steam.json", format: "steam", want: want, skipped: skipped},
		{file: "steam_old.json", format: "steam", want: want, skipped: skipped},
	})
	ixCheckSniffOnlyOwn(t, "steam", "steam.json", "steam_old.json")
}

func TestSteamAccounts(t *testing.T) {
	for _, c := range []struct {
		name, data string
		want       []string
		err        string
	}{{
		name: "several accounts, in the file's order; a secret without padding",
		data: `{"accounts":{"zz":{"shared_secret":"SGVsbG8h3q2+7w==","account_name":"zed"},"aa":{"shared_secret":"SGVsbG8h3q2+7w","account_name":"ann"}}}`,
		want: []string{"steam|Steam|zed|JBSWY3DPEHPK3PXP|SHA1|5|30|0", "steam|Steam|ann|JBSWY3DPEHPK3PXP|SHA1|5|30|0"},
	}, {
		name: "a bad secret",
		data: `{"shared_secret":"not*base64","account_name":"sophia"}`,
		err:  "Steam account 1 (Steam (sophia)): shared_secret is not base64; nothing was imported",
	}, {
		name: "an empty secret",
		data: `{"accounts":{"a":{"shared_secret":"","account_name":"a"}}}`,
		err:  "shared_secret is empty",
	}, {
		name: "an account without a secret",
		data: `{"accounts":{"a":{"account_name":"a"}}}`,
		err:  "account 1 has no shared_secret",
	}, {
		name: "an encrypted maFile",
		data: "u51d1LQbPDtXbvihHPguTkF6klbc5rJgSpA6KX7oUM4=",
		err:  "turn its encryption off",
	}, {
		name: "a damaged file",
		data: `{"shared_secret":"SGVsbG8h3q2+7w==","account_name":`,
		err:  "reading the Steam Guard file: the JSON",
	}} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Decode("steam", []byte(c.data), nil)
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
		})
	}
}

func FuzzDecodeSteam(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ixFuzz(t, "steam", data, nil)
	})
}
