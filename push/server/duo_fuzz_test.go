package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/countersign/countersign/push/telephony"
	duoapi "github.com/duosecurity/duo_api_golang"
)

// handlerTransport hands each request of a client straight to a server's
// handler, as a fuzz target must (thousands of requests a second, no
// sockets), and keeps the answer as the handler wrote it in last. A 429
// reaches the client as 499: Duo's client sleeps and retries a 429, which
// would stall the fuzzer; last keeps the real status.
type handlerTransport struct {
	h    http.Handler
	last *httptest.ResponseRecorder
}

func (t *handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.last = httptest.NewRecorder()
	t.h.ServeHTTP(t.last, r)
	resp := t.last.Result()
	if resp.StatusCode == http.StatusTooManyRequests {
		resp.StatusCode = 499
	}
	return resp, nil
}

// fuzzServer opens a server of public URL http://127.0.0.1:1 in a
// temporary directory, its log discarded, its demo page on, texts and
// calls to British and American numbers written to a file (the file
// gateway stands in for phones, which a test cannot reach), with the user
// ada: the server the fuzz targets send their requests to.
func fuzzServer(f *testing.F) *Server {
	f.Helper()
	dir := f.TempDir()
	phones, err := telephony.Parse("file:" + filepath.Join(dir, "phones.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	srv, err := Open(dir, Config{PublicURL: "http://127.0.0.1:1", Demo: true, Telephony: phones, TelephonyCountries: []string{"GB", "US"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	if err := srv.AddUser("ada", true); err != nil {
		f.Fatal(err)
	}
	return srv
}

// FuzzDuoAPIParams signs arbitrary parameters with an integration's real
// keys (Duo's own Go client signs them) and sends them to each endpoint
// of the Duo-compatible Auth API, by GET and by POST: past the signature,
// the server never fails (no 5xx, no panic) and always answers in Duo's
// envelope, stat OK with a response or FAIL with a code and a message.
// FuzzVerify (push/duoauth) covers the requests that are not signed.
func FuzzDuoAPIParams(f *testing.F) {
	srv := fuzzServer(f)
	c, err := srv.NewRelyingParty("shop", RelyingPartyOptions{})
	if err != nil {
		f.Fatal(err)
	}
	tr := &handlerTransport{h: srv.Handler()}
	api := duoapi.NewDuoApi(c.IKey, c.SKey, c.APIHostname, "countersign-fuzz")
	api.SetCustomHTTPClient(&http.Client{Transport: tr})
	paths := []string{"check", "preauth", "auth", "auth_status", "enroll", "enroll_status"}
	// Seeds: the parameters Duo's clients send (duo_universal, the Go
	// and Python clients' authapi), and a few they never would.
	f.Add(uint8(0), false, "")
	f.Add(uint8(1), true, "username=ada")
	f.Add(uint8(1), true, "user_id=ada&ipaddr=203.0.113.7&trusted_device_token=x")
	f.Add(uint8(2), true, "username=ada&factor=auto&device=auto&async=1")
	f.Add(uint8(2), true, "username=ada&factor=push&device=auto&type=Login&display_username=Ada&pushinfo=from%3Dshop%26ip%3D1&async=1")
	f.Add(uint8(2), true, "username=ada&factor=passcode&passcode=123456")
	f.Add(uint8(2), true, "username=ada&factor=sms&device=auto")
	f.Add(uint8(2), true, "username=ada&factor=phone&device=auto&async=1")
	f.Add(uint8(3), false, "txid=0123456789abcdef0123456789abcdef")
	f.Add(uint8(4), true, "username=bob&valid_secs=3600")
	f.Add(uint8(5), true, "user_id=bob&activation_code=AAAAAAAAAAAAAAAAAAAAAA")
	f.Add(uint8(2), true, "username=ada&factor=passcode&passcode=%00%ff&async=2&async=1")
	f.Fuzz(func(t *testing.T, which uint8, post bool, query string) {
		params, _ := url.ParseQuery(query) // what parses; the rest is dropped, as a client would
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		path := "/auth/v2/" + paths[int(which)%len(paths)]
		if _, _, err := api.SignedCall(method, path, params); err != nil {
			t.Fatalf("%s %s %q: %v", method, path, query, err)
		}
		rec := tr.last
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, query, rec.Code, rec.Body)
		}
		var out struct {
			Stat     string          `json:"stat"`
			Code     int             `json:"code"`
			Message  string          `json:"message"`
			Response json.RawMessage `json:"response"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s %q: %d, not JSON: %s", method, path, query, rec.Code, rec.Body)
		}
		switch {
		case out.Stat == "OK" && rec.Code == http.StatusOK && len(out.Response) > 0:
		case out.Stat == "FAIL" && rec.Code >= 400 && out.Code != 0 && out.Message != "":
		default:
			t.Fatalf("%s %s %q: %d, not Duo's envelope: %s", method, path, query, rec.Code, rec.Body)
		}
	})
}
