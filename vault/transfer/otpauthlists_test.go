package transfer

import (
	"testing"
)

// TestOTPAuthListsFromOtherApps: WinAuth's plain.txt and Ente Auth's
// export are lists of otpauth:// URIs, read by the otpauth format with
// every field of the README's table: URL-escaped issuers (%20 in the
// label, + in the query), lower-case algorithm names, steam:// as the
// type, a period on an HOTP URI (ignored), and Ente's extra codeDisplay
// parameter (ignored).
func TestOTPAuthListsFromOtherApps(t *testing.T) {
	for _, c := range []struct {
		file string
		want []string
	}{
		// WinAuth: the README's first seven accounts, in its order.
		{"testdata/importers/plain.txt", impReadmeRows(1, 2, 3, 4, 5, 6, 7)},
		// Ente Auth: the same seven, sorted by issuer as the app writes them.
		{"testdata/importers/ente_auth.txt", impReadmeRows(5, 3, 7, 1, 4, 2, 6)},
	} {
		data := impRead(t, c.file)
		d, err := Detect(data)
		if err != nil || d.Format != OTPAuth || d.Encrypted {
			t.Errorf("Detect(%s) = %+v, %v; want otpauth", c.file, d, err)
		}
		r, err := Decode(OTPAuth, data, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		impCheckKeys(t, c.file, r, c.want)
		if len(r.Skipped) != 0 {
			t.Errorf("%s: skipped %+v", c.file, r.Skipped)
		}
	}
}
