package transfer

import (
	"strings"
	"testing"
)

func TestProtonFiles(t *testing.T) {
	ixCheckFiles(t, []ixFile{{file: "proton_authenticator.json", format: "proton", want: ixReadmeRows(t, []int{0, 1, 2}, nil)}})
	ixCheckSniffOnlyOwn(t, "proton", "proton_authenticator.json")
}

func TestProtonEntries(t *testing.T) {
	encrypted := []byte(`{"version":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA==","content":"AAAA"}`)
	if ok, _ := sniffProton(encrypted); ok {
		t.Error("the sniffer claims a password-protected export, which Countersign cannot read")
	}
	for _, c := range []struct {
		name, data string
		want       []string
		skipped    []string
		err        string
	}{{
		name: "Steam entries in base64 and base32, a renamed entry, a note, an unknown type",
		data: `{"version":1,"entries":[
			{"id":"1","content":{"uri":"steam://SGVsbG8h3q2+7w==","entry_type":"Steam","name":"gaben"},"note":null},
			{"id":"2","content":{"uri":"steam://JBSWY3DPEHPK3PXP","entry_type":"Steam","name":"gabe"},"note":"main account"},
			{"id":"3","content":{"uri":"otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP&issuer=GitHub","entry_type":"Totp","name":"Work"},"note":""},
			{"id":"4","content":{"uri":"otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP","entry_type":"Hotp","name":"counter"},"note":null}]}`,
		want: []string{
			"steam|Steam|gaben|JBSWY3DPEHPK3PXP|SHA1|5|30|0",
			"steam|Steam|gabe|JBSWY3DPEHPK3PXP|SHA1|5|30|0",
			"totp|GitHub|Work|JBSWY3DPEHPK3PXP|SHA1|6|30|0",
		},
		skipped: []string{"counter", "Proton Authenticator notes"},
	}, {
		name: "a password-protected export",
		data: string(encrypted),
		err:  "protected by a password, which Countersign does not read",
	}, {
		name: "another version",
		data: `{"version":2,"entries":[]}`,
		err:  "version 2 is not supported",
	}, {
		name: "a bad URI",
		data: `{"version":1,"entries":[{"content":{"uri":"otpauth://totp/a?secret=JBSWY3DPEHPK3PX1","entry_type":"Totp","name":"a"}}]}`,
		err:  "Proton Authenticator entry 1 (a): otpauth URI: secret: is not valid base32",
	}, {
		name: "a bad Steam URI",
		data: `{"version":1,"entries":[{"content":{"uri":"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP","entry_type":"Steam","name":"a"}}]}`,
		err:  "does not start with steam://",
	}, {
		name: "no entries",
		data: `{"version":1,"entries":[]}`,
		err:  "holds no entries",
	}} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Decode("proton", []byte(c.data), nil)
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

func FuzzDecodeProton(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ixFuzz(t, "proton", data, nil)
	})
}
