package duoauth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The vectors below were computed by hand with Python's standard library
// and the canonicalisation of Duo's Python client (duo_client/client.py:
// canon_params with urllib.parse.quote(s, '~'), canon_x_duo_headers), not
// with this package.
const (
	vecDate = "Tue, 21 Aug 2012 17:29:18 -0000"
	vecHost = "API-xxxxxxxx.duosecurity.com"
	vecIKey = "DIWJ8X6AEYOR5OMC6TQ1"
	vecSKey = "gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT"
	// vecCanon is the version 2 canonical text of vecFormRequest.
	vecCanon = "Tue, 21 Aug 2012 17:29:18 -0000\nPOST\napi-xxxxxxxx.duosecurity.com\n/auth/v2/auth\n" +
		"email=Z%40x&email=a%2Bb%40example.com&realname=First%20Last&username=root&~tilde%21=%2A%28%29%27%2F"
	vecV2SHA1   = "a19bad43ef0234ec885e4c0118d6de3d4ddce3c3"
	vecV2SHA512 = "858a6aa1b3337df6b9b5b5bdc39302d89e643262fff1c21b12c82bd2092f256247297d36dca609a020c7588759bdbd1e8526958a73554d121eb71d24a4fd1f97"
	vecV5       = "ae8a5689a73a624646957ba172d233a657344006ac7a488ea2b1c4fa36cc32e420b2427cf0088764347c0edf4f485923a1c3f9aa8bb4bf739314ec036c8c3bfc"
	vecV5Body   = `{"factor":"push","username":"root"}`
	vecXDuo     = "d347bc9506d98eb9cc8325aea4c33d73edcf515591e1d3dab5beec6ba7036b49be45c73508cd91daed1012a75077803907857338ffee78a3ce43092666d3fea8"
)

var vecParams = url.Values{"username": {"root"}, "realname": {"First Last"}, "email": {"a+b@example.com", "Z@x"}, "~tilde!": {"*()'/"}}

func vecTime() time.Time {
	t, _ := time.Parse(time.RFC1123Z, "Tue, 21 Aug 2012 17:29:18 +0000")
	return t
}

func authHeader(ikey, sig string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(ikey+":"+sig))
}

func vecFormRequest(sig string) *http.Request {
	r := httptest.NewRequest("POST", "https://"+vecHost+"/auth/v2/auth", strings.NewReader(vecParams.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Date", vecDate)
	r.Header.Set("Authorization", authHeader(vecIKey, sig))
	return r
}

func vecJSONRequest(sig string) *http.Request {
	r := httptest.NewRequest("POST", "https://"+vecHost+"/auth/v2/auth", strings.NewReader(vecV5Body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Date", vecDate)
	r.Header.Set("X-Duo-Fake-Header", "one")
	r.Header.Set("x-duo-another", "two")
	r.Header.Set("Authorization", authHeader(vecIKey, sig))
	return r
}

func vecVerifier() *Verifier {
	return &Verifier{Secret: secrets(map[string]string{vecIKey: vecSKey}), Now: vecTime}
}

// secrets is a SecretFunc over a map of integration keys.
func secrets(m map[string]string) SecretFunc {
	return func(ikey string) ([]byte, error) {
		s, ok := m[ikey]
		if !ok {
			return nil, ErrUnknownIKey
		}
		return []byte(s), nil
	}
}

func TestCanonicalMatchesDuosPython(t *testing.T) {
	if got := canonical(2, vecDate, "post", vecHost, "/auth/v2/auth", vecParams, nil, ""); got != vecCanon {
		t.Fatalf("canonical:\n%q\nwant\n%q", got, vecCanon)
	}
	h := http.Header{}
	h.Set("X-Duo-Fake-Header", "one")
	h.Set("x-duo-another", "two")
	h.Set("X-Other", "not signed")
	if got, ok := canonXDuoHeaders(h); !ok || got != vecXDuo {
		t.Fatalf("X-Duo headers: %q %t, want %q", got, ok, vecXDuo)
	}
}

func TestHandComputedVectors(t *testing.T) {
	for _, c := range []struct {
		name    string
		req     *http.Request
		version int
		params  url.Values
	}{
		{"v2 HMAC-SHA1", vecFormRequest(vecV2SHA1), 2, vecParams},
		{"v2 HMAC-SHA512", vecFormRequest(vecV2SHA512), 2, vecParams},
		{"v2 upper-case hex", vecFormRequest(strings.ToUpper(vecV2SHA1)), 2, vecParams},
		{"v5 JSON body and X-Duo headers", vecJSONRequest(vecV5), 5, url.Values{"factor": {"push"}, "username": {"root"}}},
	} {
		got, err := vecVerifier().Verify(c.req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.IKey != vecIKey || got.Version != c.version || got.Params.Encode() != c.params.Encode() {
			t.Fatalf("%s: got %+v", c.name, got)
		}
	}
}

// TestTampering changes one signed part of a correctly signed request at a
// time: each change is refused as a bad signature.
func TestTampering(t *testing.T) {
	for _, c := range []struct {
		name   string
		req    func() *http.Request
		change func(r *http.Request)
	}{
		{"parameter value", func() *http.Request { return vecFormRequest(vecV2SHA1) }, func(r *http.Request) {
			p := url.Values{}
			for k, v := range vecParams {
				p[k] = v
			}
			p.Set("username", "rooT")
			r.Body = nopCloser(p.Encode())
		}},
		{"added parameter", func() *http.Request { return vecFormRequest(vecV2SHA512) }, func(r *http.Request) { r.URL.RawQuery = "async=1" }},
		{"method", func() *http.Request { return vecFormRequest(vecV2SHA1) }, func(r *http.Request) { r.Method = "PUT" }},
		{"path", func() *http.Request { return vecFormRequest(vecV2SHA1) }, func(r *http.Request) { r.URL.Path = "/auth/v2/preauth" }},
		{"host", func() *http.Request { return vecFormRequest(vecV2SHA1) }, func(r *http.Request) { r.Host = "api-other.duosecurity.com" }},
		{"date a second later", func() *http.Request { return vecFormRequest(vecV2SHA1) }, func(r *http.Request) { r.Header.Set("Date", "Tue, 21 Aug 2012 17:29:19 -0000") }},
		{"signature", func() *http.Request { return vecFormRequest("b" + vecV2SHA1[1:]) }, func(*http.Request) {}},
		{"v5 body", func() *http.Request { return vecJSONRequest(vecV5) }, func(r *http.Request) { r.Body = nopCloser(`{"factor":"push","username":"rooT"}`) }},
		{"v5 X-Duo header value", func() *http.Request { return vecJSONRequest(vecV5) }, func(r *http.Request) { r.Header.Set("X-Duo-Another", "three") }},
		{"v5 X-Duo header added", func() *http.Request { return vecJSONRequest(vecV5) }, func(r *http.Request) { r.Header.Set("X-Duo-Extra", "x") }},
		{"v5 X-Duo header sent twice", func() *http.Request { return vecJSONRequest(vecV5) }, func(r *http.Request) { r.Header.Add("X-Duo-Another", "two") }},
	} {
		r := c.req()
		c.change(r)
		if _, err := vecVerifier().Verify(r); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%s: %v, want %v", c.name, err, ErrInvalidSignature)
		}
	}
}

func nopCloser(s string) *readCloser { return &readCloser{strings.NewReader(s)} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func TestRefusals(t *testing.T) {
	v := vecVerifier()
	check := func(name string, r *http.Request, want *Error) {
		t.Helper()
		_, err := v.Verify(r)
		var e *Error
		if !errors.As(err, &e) || e.Code != want.Code || e.Message != want.Message || e.Status() != want.Code/100 {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
	r := vecFormRequest(vecV2SHA1)
	r.Header.Del("Authorization")
	check("no Authorization", r, ErrMissingCredentials)
	r = vecFormRequest(vecV2SHA1)
	r.Header.Set("Authorization", "Bearer cs_x")
	check("a native API key", r, ErrMissingCredentials)
	r = vecFormRequest(vecV2SHA1)
	r.Header.Del("Date")
	check("no Date", r, ErrMissingCredentials)
	r = vecFormRequest(vecV2SHA1)
	r.Header.Set("Authorization", authHeader("DIUNKNOWN00000000000", vecV2SHA1))
	check("unknown integration key", r, ErrInvalidIKey)
	wrong := &Verifier{Secret: secrets(map[string]string{vecIKey: strings.Repeat("x", 40)}), Now: vecTime}
	if _, err := wrong.Verify(vecFormRequest(vecV2SHA1)); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("wrong secret key: %v", err)
	}
	big := vecFormRequest(vecV2SHA1)
	big.Body = nopCloser(strings.Repeat("a", DefaultMaxBody+1))
	check("body over the bound", big, ErrTooLarge)
	r = vecJSONRequest(vecV5)
	r.Body = nopCloser(`{"username":{"nested":1}}`)
	check("nested JSON", r, ErrInvalidParams)

	// The Date may be up to five minutes off either way, not more.
	for _, c := range []struct {
		offset time.Duration
		ok     bool
	}{{-5 * time.Minute, true}, {5 * time.Minute, true}, {-5*time.Minute - time.Second, false}, {5*time.Minute + time.Second, false}} {
		v := vecVerifier()
		v.Now = func() time.Time { return vecTime().Add(c.offset) }
		_, err := v.Verify(vecFormRequest(vecV2SHA1))
		if c.ok && err != nil || !c.ok && !errors.Is(err, ErrStaleDate) {
			t.Errorf("server clock %v from the Date: %v", c.offset, err)
		}
	}
}

func TestSecretLookupFailureIsNotARefusal(t *testing.T) {
	boom := errors.New("database is locked")
	v := &Verifier{Secret: func(string) ([]byte, error) { return nil, boom }, Now: vecTime}
	_, err := v.Verify(vecFormRequest(vecV2SHA1))
	var e *Error
	if !errors.Is(err, boom) || errors.As(err, &e) {
		t.Fatalf("got %v", err)
	}
}

func TestEnvelopes(t *testing.T) {
	w := httptest.NewRecorder()
	WriteOK(w, map[string]int64{"time": 1357020061})
	if w.Code != 200 || w.Body.String() != `{"stat":"OK","response":{"time":1357020061}}`+"\n" {
		t.Fatalf("OK: %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	WriteFail(w, ErrInvalidParams.WithDetail("username"))
	if w.Code != 400 || w.Body.String() != `{"stat":"FAIL","code":40002,"message":"Invalid request parameters","message_detail":"username"}`+"\n" {
		t.Fatalf("FAIL: %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	WriteFail(w, ErrInvalidSignature)
	if w.Code != 401 || w.Body.String() != `{"stat":"FAIL","code":40103,"message":"Invalid signature in request credentials"}`+"\n" {
		t.Fatalf("FAIL: %d %s", w.Code, w.Body)
	}
}
