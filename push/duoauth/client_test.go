package duoauth

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	duoapi "github.com/duosecurity/duo_api_golang"
	"github.com/duosecurity/duo_api_golang/authapi"
)

// echoServer verifies every request and answers, in Duo's envelope, the
// signature version and the parameters it read.
func echoServer(t *testing.T, keys map[string]string) *httptest.Server {
	t.Helper()
	v := &Verifier{Secret: secrets(keys)}
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := v.Verify(r)
		var e *Error
		if errors.As(err, &e) {
			WriteFail(w, e)
			return
		}
		if err != nil {
			WriteFail(w, ErrInternal)
			return
		}
		WriteOK(w, map[string]any{"version": req.Version, "params": req.Params.Encode(), "time": 1357020061})
	}))
	t.Cleanup(ts.Close)
	return ts
}

// duoClient is Duo's Go client pointed at ts: duoapi.SetTransport lets the
// caller trust another CA than the ones it pins.
func duoClient(ts *httptest.Server, ikey, skey string) *duoapi.DuoApi {
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	return duoapi.NewDuoApi(ikey, skey, ts.Listener.Addr().String(), "countersign-test",
		duoapi.SetTransport(func(tr *http.Transport) { tr.TLSClientConfig.RootCAs = pool }))
}

type echoed struct {
	Stat     string `json:"stat"`
	Code     int    `json:"code"`
	Message  string `json:"message"`
	Response struct {
		Version int    `json:"version"`
		Params  string `json:"params"`
	} `json:"response"`
}

// TestDuosGoClientSigns signs with Duo's own Go library (its v2 signature
// in SignedCall, its v5 in JSONSignedCall) and verifies with this package.
func TestDuosGoClientSigns(t *testing.T) {
	const ikey, skey = "DIWJ8X6AEYOR5OMC6TQ1", "gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT"
	ts := echoServer(t, map[string]string{ikey: skey})
	api := duoClient(ts, ikey, skey)
	odd := url.Values{"username": {"ada lovelace"}, "pushinfo": {"from=login&ip=192.0.2.1"}, "x": {"2", "1"}, "~tilde!": {"*()'/+"}}
	for _, c := range []struct {
		name    string
		call    func() (*http.Response, []byte, error)
		version int
		params  url.Values
	}{
		{"SignedCall GET", func() (*http.Response, []byte, error) {
			return api.SignedCall("GET", "/auth/v2/auth_status", url.Values{"txid": {"abc"}, "a b": {"c d"}})
		}, 2, url.Values{"txid": {"abc"}, "a b": {"c d"}}},
		{"SignedCall POST form", func() (*http.Response, []byte, error) { return api.SignedCall("POST", "/auth/v2/auth", odd) }, 2, odd},
		{"JSONSignedCall POST", func() (*http.Response, []byte, error) {
			return api.JSONSignedCall("POST", "/auth/v2/enroll_status", duoapi.JSONParams{"user_id": "ada", "activation_code": "c d"})
		}, 5, url.Values{"user_id": {"ada"}, "activation_code": {"c d"}}},
		{"JSONSignedCall GET", func() (*http.Response, []byte, error) {
			return api.JSONSignedCall("GET", "/auth/v2/check", duoapi.JSONParams{"q": "x y/z"})
		}, 5, url.Values{"q": {"x y/z"}}},
	} {
		resp, body, err := c.call()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got echoed
		if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 || got.Stat != "OK" {
			t.Fatalf("%s: %d %s", c.name, resp.StatusCode, body)
		}
		if got.Response.Version != c.version || got.Response.Params != c.params.Encode() {
			t.Fatalf("%s: verified as version %d with %q, want %d with %q", c.name, got.Response.Version, got.Response.Params, c.version, c.params.Encode())
		}
	}

	// authapi's own calls, as an integration makes them.
	check, err := authapi.NewAuthApi(*api).Check()
	if err != nil || check.Stat != "OK" || check.Response.Time != 1357020061 {
		t.Fatalf("authapi Check: %+v %v", check, err)
	}
	for name, client := range map[string]*duoapi.DuoApi{
		"wrong secret key":        duoClient(ts, ikey, strings.Repeat("x", 40)),
		"unknown integration key": duoClient(ts, "DIUNKNOWN00000000000", skey),
	} {
		check, err := authapi.NewAuthApi(*client).Check()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int32{"wrong secret key": 40103, "unknown integration key": 40102}[name]
		if check.Stat != "FAIL" || check.Code == nil || *check.Code != want {
			t.Fatalf("%s: %+v", name, check.StatResult)
		}
	}
}
