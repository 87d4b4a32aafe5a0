package transfer

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestBattleNetFiles(t *testing.T) {
	ixCheckFiles(t, []ixFile{{file: "battle_net_authenticator.xml", format: "battle-net", want: ixReadmeRows(t, []int{7}, nil)}})
	ixCheckSniffOnlyOwn(t, "battle-net", "battle_net_authenticator.xml")
}

// battleNetPrefs writes the Battle.net preferences of a masked secret and serial.
func battleNetPrefs(typ, secret, serial string) []byte {
	xml := `<?xml version='1.0' encoding='utf-8' standalone='yes' ?>
<map>
    <string name="com.blizzard.messenger.AUTHENTICATOR_CREDENTIALS_ENCRYPTION_TYPE">` + typ + `</string>
    <string name="com.blizzard.messenger.AUTHENTICATOR_DEVICE_SECRET">` + secret + `</string>
`
	if serial != "" {
		xml += `    <string name="com.blizzard.messenger.AUTHENTICATOR_SERIAL">` + serial + `</string>
`
	}
	return []byte(xml + "</map>\n")
}

func battleNetMasked(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] ^= battleNetMask[i]
	}
	return hex.EncodeToString(b)
}

func TestBattleNetPrefs(t *testing.T) {
	seed := battleNetMasked("48656c6c6f21deadbeef48656c6c6f21deadbeef")
	for _, c := range []struct {
		name string
		data []byte
		want string
		err  string
	}{
		{"no serial", battleNetPrefs("MASK", seed, ""), "totp|Battle.net||JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP|SHA1|8|30|0", ""},
		{"no type", battleNetPrefs("", seed, battleNetMasked("EU-1234-5678-9012")), "totp|Battle.net|EU-1234-5678-9012|JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP|SHA1|8|30|0", ""},
		{"keystore encryption", battleNetPrefs("KEYSTORE", seed, ""), "", `encrypted this authenticator ("KEYSTORE") with a key kept in the phone`},
		{"not hex", battleNetPrefs("MASK", "zz"+seed, ""), "", "the Battle.net secret: it is not hex"},
		{"unmasked not hex", battleNetPrefs("MASK", battleNetMasked("not hex at all"), ""), "", "unmasked, it is not hex"},
		{"too long", battleNetPrefs("MASK", seed+seed, ""), "", "longer (80 bytes) than the mask (57)"},
		{"serial not text", battleNetPrefs("MASK", seed, battleNetMasked("\x00\x01")), "", "serial is damaged"},
		{"no secret", []byte(`<map><string name="com.blizzard.messenger.AUTHENTICATOR_SERIAL">00</string></map>`), "", "hold no Battle.net authenticator"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Decode("battle-net", c.data, nil)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want an error with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := describeKeys(r.Keys); len(got) != 1 || got[0] != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func FuzzDecodeBattleNet(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ixFuzz(t, "battle-net", data, nil)
	})
}
