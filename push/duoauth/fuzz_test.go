package duoauth

import (
	"encoding/base64"
	"errors"
	"net/http/httptest"
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

// FuzzVerify: any request, whatever its headers, query and body, is either
// verified or refused with one of Duo's errors; it never panics, and a
// request verifies only with the secret key's signature.
func FuzzVerify(f *testing.F) {
	f.Add(authHeader(vecIKey, vecV2SHA1), vecDate, "application/x-www-form-urlencoded", vecParams.Encode(), "")
	f.Add(authHeader(vecIKey, vecV5), vecDate, "application/json", vecV5Body, "")
	f.Add(authHeader(vecIKey, vecV2SHA512), vecDate, "application/json", `{"a":[1,{"b":null}],"c":1e400}`, "x=%zz")
	f.Add("Basic", "", "multipart/form-data; boundary=\"", "\x00\xff", "a=1&a=2&;=")
	f.Fuzz(func(t *testing.T, auth, date, contentType, body, query string) {
		r := httptest.NewRequest("POST", "https://"+vecHost+"/auth/v2/auth", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Authorization", auth)
		r.Header.Set("Date", date)
		r.Header.Set("Content-Type", contentType)
		got, err := vecVerifier().Verify(r)
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("an error that is not Duo's: %v", err)
		}
		if err == nil && (got.IKey != vecIKey || got.Version == 0) {
			t.Fatalf("verified as %+v", got)
		}
	})
}
