package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/net/html"

	"github.com/countersign/countersign/assets"
	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
	"github.com/countersign/countersign/push/telephony"
	"github.com/countersign/countersign/scanner"
)

// pageHeaders are the security headers every page and every file of the
// pages is served with, over HTTP (hsts "") and HTTPS.
func pageHeaders(hsts string) map[string]string {
	return map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
			"form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
		"X-Frame-Options":           "DENY",
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "no-referrer",
		"Cache-Control":             "no-store",
		"Strict-Transport-Security": hsts,
	}
}

// TestEveryPageSharesHeadersAndStyle: the enrollment, self-service and demo
// pages, the console's sign-in page, and every file under /static/, answer
// 200 with the same security
// headers (HSTS only with TLS); each page links the one style sheet and
// names its own body class, which scopes its own rules there.
func TestEveryPageSharesHeadersAndStyle(t *testing.T) {
	files, err := fs.Glob(assets.Web, "web/static/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("static files %v: %v", files, err)
	}
	css, err := fs.ReadFile(assets.Web, "web/static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, tls := range []bool{false, true} {
		s := servertest.Start(t, server.Config{Demo: true, TLS: tls})
		if err := s.AddUser("ada", true); err != nil {
			t.Fatal(err)
		}
		enr, err := s.Enroll("ada")
		if err != nil {
			t.Fatal(err)
		}
		hsts := ""
		if tls {
			hsts = "max-age=31536000"
		}
		pages := map[string]string{"/": "page-demo", enr.EnrollURL[len(s.URL):]: "page-enroll", "/self-service": "page-self-service",
			"/admin/sign-in": "page-console"}
		paths := []string{}
		for p := range pages {
			paths = append(paths, p)
		}
		for _, f := range files {
			paths = append(paths, strings.TrimPrefix(f, "web"))
		}
		for _, path := range paths {
			a := call(t, "GET", s.URL+path, nil, "")
			if a.status != http.StatusOK {
				t.Errorf("GET %s: HTTP %d", path, a.status)
			}
			for k, want := range pageHeaders(hsts) {
				if k == "Referrer-Policy" && strings.HasPrefix(path, "/admin/") {
					// The console's forms POST: no-referrer would make
					// browsers send "Origin: null" (console.go).
					want = "same-origin"
				}
				if got := a.header.Get(k); got != want {
					t.Errorf("GET %s (TLS %v): %s: %q, want %q", path, tls, k, got, want)
				}
			}
			class, ok := pages[path]
			if !ok {
				continue
			}
			doc, err := html.Parse(bytes.NewReader(a.body))
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			var sheets []string
			bodyClass := ""
			for n := range doc.Descendants() {
				if n.Type != html.ElementNode {
					continue
				}
				attr := map[string]string{}
				for _, at := range n.Attr {
					attr[at.Key] = at.Val
				}
				if n.Data == "link" && attr["rel"] == "stylesheet" {
					sheets = append(sheets, attr["href"])
				}
				if n.Data == "body" {
					bodyClass = attr["class"]
				}
			}
			if len(sheets) != 1 || sheets[0] != "/static/style.css" {
				t.Errorf("GET %s links %q, want only /static/style.css", path, sheets)
			}
			if bodyClass != class {
				t.Errorf("GET %s: body class %q, want %q", path, bodyClass, class)
			}
			if !bytes.Contains(css, []byte("."+class+" ")) {
				t.Errorf("style.css has no rule scoped to .%s", class)
			}
		}
	}
}

// pageStatus is what the enrollment page reads.
type pageStatus struct {
	Status       string `json:"status"`
	Kind         string `json:"kind"`
	Number       string `json:"number"`
	Confirmed    bool   `json:"confirmed"`
	Renewable    bool   `json:"renewable"`
	PhoneOffered bool   `json:"phone_offered"`
}

// getStatus reads an enrollment as the page does (wait=0s).
func getStatus(t *testing.T, s *servertest.Server, enrollURL string) pageStatus {
	t.Helper()
	token := enrollURL[strings.LastIndex(enrollURL, "/")+1:]
	a := call(t, "GET", s.URL+"/v1/enrollments/"+token+"?wait=0s", nil, "")
	var st pageStatus
	if err := json.Unmarshal(a.body, &st); err != nil || a.status != http.StatusOK {
		t.Fatalf("enrollment status: HTTP %d %s: %v", a.status, a.body, err)
	}
	return st
}

// pagePost posts JSON to an enrollment endpoint as the page does.
func pagePost(t *testing.T, s *servertest.Server, enrollURL, what, body string) answer {
	t.Helper()
	token := enrollURL[strings.LastIndex(enrollURL, "/")+1:]
	return call(t, "POST", s.URL+"/v1/enrollments/"+token+"/"+what, map[string]string{"Content-Type": "application/json", "Origin": s.URL}, body)
}

// TestEnrollmentSaysOnlyWhatIsTrue: another authenticator app's code spent
// by the page is active but not confirmed (the page must not call it
// added) until a code of it is accepted; then it is, and its seed's QR code
// is no longer served. A Countersign app's activation is confirmed only by
// a code too.
func TestEnrollmentSaysOnlyWhatIsTrue(t *testing.T) {
	s := servertest.Start(t, server.Config{})
	if err := s.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	enr, err := s.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	if st := getStatus(t, s, enr.EnrollURL); st != (pageStatus{Status: "pending"}) {
		t.Fatalf("a new enrollment: %+v", st)
	}
	if a := pagePost(t, s, enr.EnrollURL, "otpauth", "{}"); a.status != http.StatusOK {
		t.Fatalf("otpauth: HTTP %d %s", a.status, a.body)
	}
	want := pageStatus{Status: "activated", Kind: "otp"}
	if st := getStatus(t, s, enr.EnrollURL); st != want {
		t.Fatalf("spent for another app: %+v, want %+v", st, want)
	}
	qr := call(t, "GET", enr.EnrollURL+"/otpauth.png", nil, "")
	if qr.status != http.StatusOK {
		t.Fatalf("otpauth.png: HTTP %d", qr.status)
	}
	texts, err := scanner.DecodeBytes(qr.body)
	if err != nil || len(texts) != 1 {
		t.Fatalf("otpauth.png reads %q: %v", texts, err)
	}
	key, err := otp.NewKeyFromURL(texts[0])
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(key.Secret(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1000000)
	if a := pagePost(t, s, enr.EnrollURL, "confirm", `{"code":"`+wrong+`"}`); a.status != http.StatusOK || !strings.Contains(string(a.body), `"valid":false`) {
		t.Fatalf("a wrong code: HTTP %d %s", a.status, a.body)
	}
	if st := getStatus(t, s, enr.EnrollURL); st != want {
		t.Fatalf("after a wrong code: %+v, want %+v", st, want)
	}
	if a := pagePost(t, s, enr.EnrollURL, "confirm", `{"code":"`+code+`"}`); a.status != http.StatusOK || !strings.Contains(string(a.body), `"valid":true`) {
		t.Fatalf("the right code: HTTP %d %s", a.status, a.body)
	}
	want.Confirmed = true
	if st := getStatus(t, s, enr.EnrollURL); st != want {
		t.Fatalf("after the right code: %+v, want %+v", st, want)
	}
	if a := call(t, "GET", enr.EnrollURL+"/otpauth.png", nil, ""); a.status != http.StatusGone {
		t.Errorf("otpauth.png once confirmed: HTTP %d, want 410", a.status)
	}

	// The Countersign app: activated when it spent the code, confirmed
	// once a code of it is accepted.
	if err := s.AddUser("bob", true); err != nil {
		t.Fatal(err)
	}
	bob, err := s.Enroll("bob")
	if err != nil {
		t.Fatal(err)
	}
	phone := pushtest.Activate(t, bob.ActivationURI, "phone")
	if st := getStatus(t, s, bob.EnrollURL); st != (pageStatus{Status: "activated", Kind: "app"}) {
		t.Fatalf("the app activated: %+v", st)
	}
	if a := pagePost(t, s, bob.EnrollURL, "confirm", `{"code":"`+pushtest.Code(t, phone)+`"}`); !strings.Contains(string(a.body), `"valid":true`) {
		t.Fatalf("the app's code: HTTP %d %s", a.status, a.body)
	}
	if st := getStatus(t, s, bob.EnrollURL); st != (pageStatus{Status: "activated", Kind: "app", Confirmed: true}) {
		t.Fatalf("the app's code accepted: %+v", st)
	}
}

// selfServiceEnrollment is what a user who holds a device does to add
// another: signs in to self-service with a code of it, asks for an
// enrollment link, and reads the page's activation QR code.
func selfServiceEnrollment(t *testing.T, s *servertest.Server, user, code string) (enrollURL, activationURI string) {
	t.Helper()
	hdr := map[string]string{"Content-Type": "application/json", "Origin": s.URL}
	var signedIn struct{ Token string }
	a := call(t, "POST", s.URL+"/v1/self-service/sign-in", hdr, `{"user":"`+user+`","code":"`+code+`"}`)
	if err := json.Unmarshal(a.body, &signedIn); err != nil || signedIn.Token == "" {
		t.Fatalf("self-service sign-in: HTTP %d %s", a.status, a.body)
	}
	hdr["Authorization"] = "Bearer " + signedIn.Token
	var enrolled struct {
		EnrollURL string `json:"enroll_url"`
	}
	a = call(t, "POST", s.URL+"/v1/self-service/enroll", hdr, "{}")
	if err := json.Unmarshal(a.body, &enrolled); err != nil || enrolled.EnrollURL == "" {
		t.Fatalf("self-service enroll: HTTP %d %s", a.status, a.body)
	}
	texts, err := scanner.DecodeBytes(call(t, "GET", enrolled.EnrollURL+"/qr.png", nil, "").body)
	if err != nil || len(texts) != 1 || !push.IsActivationURI(texts[0]) {
		t.Fatalf("the enrollment page's QR code reads %q: %v", texts, err)
	}
	return enrolled.EnrollURL, texts[0]
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// offsetClock is the real clock, which a test moves forward.
type offsetClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *offsetClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// TestEnrollmentApprovalLostInRestart: a new device waits for an approval
// when the server restarts; the new server has no timer for that request.
// Once its time is up, the enrollment is rejected (not waiting forever for
// a number that will not come), and the device is turned away.
func TestEnrollmentApprovalLostInRestart(t *testing.T) {
	var c offsetClock
	s := servertest.Start(t, server.Config{Now: c.Now})
	if err := s.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	laptop := pushtest.AdminDevice(t, s, "ada", "laptop")
	enrollURL, uri := selfServiceEnrollment(t, s, "ada", pushtest.Code(t, laptop))
	phone := pushtest.Activate(t, uri, "phone")
	if !phone.Pending {
		t.Fatal("the phone joined without an approval")
	}
	if st := getStatus(t, s, enrollURL); st.Status != "approval_pending" || st.Number != phone.ApprovalNumber {
		t.Fatalf("waiting for the approval: %+v, want the number %s", st, phone.ApprovalNumber)
	}
	s.Restart()
	c.Add(3 * time.Minute) // past the request's 2 minutes
	if st := getStatus(t, s, enrollURL); st.Status != "rejected" {
		t.Fatalf("after the approval ran out: %+v, want rejected", st)
	}
	if d, err := s.Store().Device(phone.DeviceID); err != nil || d.Revoked.IsZero() {
		t.Errorf("the phone on the server: %+v, %v; want turned away", d, err)
	}
}

// TestEnrollmentOffers: a pending enrollment offers the phone only where
// the server has a telephony gateway and the user no method yet; an
// expired one offers renewal only to a user with a device, within a day.
func TestEnrollmentOffers(t *testing.T) {
	var c offsetClock
	g, err := telephony.Parse("file:" + filepath.Join(t.TempDir(), "outbox.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	withPhone := servertest.Start(t, server.Config{Telephony: g, TelephonyCountries: []string{"GB"}, Now: c.Now})
	without := servertest.Start(t, server.Config{})
	for _, s := range []*servertest.Server{withPhone, without} {
		for _, u := range []string{"ada", "bob"} {
			if err := s.AddUser(u, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	pushtest.AdminDevice(t, withPhone, "bob", "laptop")
	enrollment := func(s *servertest.Server, user string) string {
		t.Helper()
		e, err := s.Enroll(user)
		if err != nil {
			t.Fatal(err)
		}
		return e.EnrollURL
	}
	ada, bob := enrollment(withPhone, "ada"), enrollment(withPhone, "bob")
	for _, tc := range []struct {
		name string
		s    *servertest.Server
		url  string
		want pageStatus
	}{
		{"no method yet, a gateway", withPhone, ada, pageStatus{Status: "pending", PhoneOffered: true}},
		{"a device already", withPhone, bob, pageStatus{Status: "pending"}},
		{"no gateway", without, enrollment(without, "ada"), pageStatus{Status: "pending"}},
	} {
		if st := getStatus(t, tc.s, tc.url); st != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, st, tc.want)
		}
	}
	c.Add(11 * time.Minute)
	if st := getStatus(t, withPhone, ada); st != (pageStatus{Status: "expired"}) {
		t.Errorf("expired, no device: %+v", st)
	}
	if st := getStatus(t, withPhone, bob); st != (pageStatus{Status: "expired", Renewable: true}) {
		t.Errorf("expired, a device: %+v", st)
	}
	c.Add(24 * time.Hour)
	if st := getStatus(t, withPhone, bob); st != (pageStatus{Status: "expired"}) {
		t.Errorf("expired a day ago: %+v", st)
	}
}
