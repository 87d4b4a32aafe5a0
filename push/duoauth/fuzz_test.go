package duoauth

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzParseAuthorization: any header either is refused or gives an
// integration key of printable ASCII without a colon and a lower-case hex
// signature of 40 or 128 digits, which read back the same once encoded
// again. It never panics.
func FuzzParseAuthorization(f *testing.F) {
	f.Add(authHeader(vecIKey, vecV2SHA1))
	f.Add(authHeader(vecIKey, vecV2SHA512))
	f.Add("Basic " + base64.StdEncoding.EncodeToString([]byte("DI:"+strings.Repeat("A", 40))))
	f.Add("basic  " + base64.StdEncoding.EncodeToString([]byte(":")))
	f.Add("Bearer cs_abc")
	f.Add("Basic %%%")
	f.Fuzz(func(t *testing.T, header string) {
		ikey, sig, err := ParseAuthorization(header)
		if err != nil {
			return
		}
		if ikey == "" || len(ikey) > maxIKey || strings.ContainsAny(ikey, ": \t\x00") {
			t.Fatalf("integration key %q accepted", ikey)
		}
		if (len(sig) != 40 && len(sig) != 128) || strings.Trim(sig, "0123456789abcdef") != "" {
			t.Fatalf("signature %q accepted", sig)
		}
		ikey2, sig2, err := ParseAuthorization(authHeader(ikey, sig))
		if err != nil || ikey2 != ikey || sig2 != sig {
			t.Fatalf("re-encoded: %q %q %v", ikey2, sig2, err)
		}
	})
}
