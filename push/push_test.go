package push

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

// testKey returns a fixed key pair (RFC 8032 test 1 seed).
func testKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	priv := ed25519.NewKeyFromSeed(seed)
	return priv.Public().(ed25519.PublicKey), priv
}

func TestActivationRoundTrip(t *testing.T) {
	pub, _ := testKey(t)
	a := Activation{
		URL:         "http://127.0.0.1:8443/v1/activate",
		Code:        "q1w2e3r4t5y6u7i8o9p0aAsSdDfFgG", // 22+ base64url chars = 128+ bits
		Issuer:      "Acme & Co",
		Account:     "ada@example.com",
		Fingerprint: Fingerprint(pub),
	}
	got, err := ParseActivationURI(a.URI())
	if err != nil {
		t.Fatalf("ParseActivationURI(%s): %v", a.URI(), err)
	}
	if got != a {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, a)
	}
	if !IsActivationURI(a.URI()) || IsActivationURI("otpauth://totp/x?secret=AA") {
		t.Fatal("IsActivationURI misclassifies")
	}
}

func TestParseActivationURIErrors(t *testing.T) {
	pub, _ := testKey(t)
	fp := Fingerprint(pub)
	base := Activation{URL: "https://cs.example.com/v1/activate", Code: "q1w2e3r4t5y6u7i8o9p0aA", Account: "ada", Fingerprint: fp}
	mut := func(f func(*Activation)) string { a := base; f(&a); return a.URI() }
	for _, c := range []struct{ uri, field, problem string }{
		{"countersign://enroll?v=1", "uri", "must start with countersign://activate"},
		{strings.Replace(base.URI(), "v=1", "v=2", 1), "v", `version "2" is not supported`},
		{mut(func(a *Activation) { a.URL = "http://cs.example.com/v1/activate" }), "url", "plain http off this machine"},
		{mut(func(a *Activation) { a.URL = "ftp://cs.example.com/" }), "url", `scheme "ftp" is not https`},
		{mut(func(a *Activation) { a.URL = "" }), "url", "is missing"},
		{mut(func(a *Activation) { a.Code = "" }), "code", "is missing"},
		{mut(func(a *Activation) { a.Code = "abcdef" }), "code", "is too short (32 bits, at least 128)"},
		{mut(func(a *Activation) { a.Code = "no+base64/url=" }), "code", "is not base64url"},
		{mut(func(a *Activation) { a.Account = " " }), "account", "is missing"},
		{mut(func(a *Activation) { a.Fingerprint = "MD5:abc" }), "fp", "not a SHA256: fingerprint"},
	} {
		_, err := ParseActivationURI(c.uri)
		var ae *ActivationError
		if !errors.As(err, &ae) || ae.Field != c.field || !strings.Contains(ae.Problem, c.problem) {
			t.Errorf("ParseActivationURI(%s): got %v, want %s: …%s…", c.uri, err, c.field, c.problem)
		}
	}
}

func TestCheckEndpointLoopback(t *testing.T) {
	for _, ok := range []string{"http://localhost:1/x", "http://127.0.0.1/x", "http://[::1]:80/", "https://example.com/"} {
		if err := CheckEndpoint(ok); err != nil {
			t.Errorf("CheckEndpoint(%s): %v", ok, err)
		}
	}
	for _, bad := range []string{"http://localhost.evil.com/", "http://10.0.0.1/", "http://127.0.0.1.nip.io/", "relative/path"} {
		if err := CheckEndpoint(bad); err == nil {
			t.Errorf("CheckEndpoint(%s) accepted it", bad)
		}
	}
}

func TestFingerprint(t *testing.T) {
	pub, _ := testKey(t)
	other, _, _ := ed25519.GenerateKey(nil)
	fp := Fingerprint(pub)
	if !strings.HasPrefix(fp, "SHA256:") || len(fp) != len("SHA256:")+43 {
		t.Fatalf("fingerprint %q has the wrong shape", fp)
	}
	if !MatchFingerprint(pub, fp) || MatchFingerprint(other, fp) || MatchFingerprint(pub[:31], fp) {
		t.Fatal("MatchFingerprint accepts a wrong key or rejects the right one")
	}
}

func sampleRequest() Request {
	return Request{
		ID: "req-1", User: "ada", Nonce: "bm9uY2U",
		Context:   Context{App: "Payroll", IP: "203.0.113.9", Location: "Lyon, FR", UserAgent: "Firefox"},
		CreatedAt: time.Unix(1700000000, 0), ExpiresAt: time.Unix(1700000120, 0),
	}
}

func TestRequestSignatureCoversEveryField(t *testing.T) {
	pub, priv := testKey(t)
	r := sampleRequest()
	sig := Sign(priv, r.SigningBytes())
	if err := Verify(pub, r.SigningBytes(), sig); err != nil {
		t.Fatalf("valid signature rejected: %v", err)
	}
	for name, change := range map[string]func(*Request){
		"id":         func(r *Request) { r.ID = "req-2" },
		"user":       func(r *Request) { r.User = "bob" },
		"app":        func(r *Request) { r.Context.App = "Payrol" },
		"ip":         func(r *Request) { r.Context.IP = "203.0.113.8" },
		"location":   func(r *Request) { r.Context.Location = "Paris, FR" },
		"user_agent": func(r *Request) { r.Context.UserAgent = "Chrome" },
		"nonce":      func(r *Request) { r.Nonce = "other" },
		"created_at": func(r *Request) { r.CreatedAt = r.CreatedAt.Add(time.Second) },
		"expires_at": func(r *Request) { r.ExpiresAt = r.ExpiresAt.Add(time.Hour) },
		// moving a byte between adjacent fields must not keep the signature valid
		"boundary": func(r *Request) { r.Context.App, r.Context.IP = "Payroll2", "03.0.113.9" },
	} {
		m := sampleRequest()
		change(&m)
		if err := Verify(pub, m.SigningBytes(), sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("changing %s kept the signature valid (%v)", name, err)
		}
	}
}

func TestAnswerSignatureAndDomainSeparation(t *testing.T) {
	pub, priv := testKey(t)
	a := Answer{RequestID: "req-1", DeviceID: "dev-1", Decision: Deny, Reason: ReasonNotMe, Nonce: "bm9uY2U"}
	sig := Sign(priv, a.SigningBytes())
	if err := Verify(pub, a.SigningBytes(), sig); err != nil {
		t.Fatal(err)
	}
	downgraded := a
	downgraded.Reason = ReasonCancelled
	if Verify(pub, downgraded.SigningBytes(), sig) == nil {
		t.Error("a not_me denial could be downgraded to cancelled")
	}
	approved := a
	approved.Decision, approved.Reason, approved.Number = Approve, "", "42"
	if Verify(pub, approved.SigningBytes(), sig) == nil {
		t.Error("a denial verified as an approval")
	}
	// A connect signature over the same strings is not an answer signature.
	connectSig := Sign(priv, ConnectSigningBytes("req-1", "dev-1"))
	if Verify(pub, a.SigningBytes(), connectSig) == nil {
		t.Error("connect signature verified as an answer")
	}
	if Verify(pub[:10], a.SigningBytes(), sig) == nil || Verify(pub, a.SigningBytes(), sig[:63]) == nil {
		t.Error("malformed key or signature accepted")
	}
}

func TestAnswerValidate(t *testing.T) {
	ok := Answer{RequestID: "r", DeviceID: "d", Nonce: "n"}
	for _, c := range []struct {
		decision Decision
		reason   Reason
		number   string
		wantErr  string
	}{
		{Approve, "", "42", ""},
		{Approve, "", "", "needs the number"},
		{Approve, ReasonNotMe, "42", "carries no reason"},
		{Deny, ReasonNotMe, "", ""},
		{Deny, ReasonCancelled, "", ""},
		{Deny, "bored", "", `unknown reason "bored"`},
		{Fraud, "", "", ""},
		{Fraud, ReasonCancelled, "", "fraud carries no reason"},
		{"maybe", "", "", `unknown decision "maybe"`},
	} {
		a := ok
		a.Decision, a.Reason, a.Number = c.decision, c.reason, c.number
		err := a.Validate()
		if (c.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("%s/%s/%s: got %v, want %q", c.decision, c.reason, c.number, err, c.wantErr)
		}
	}
	if err := (Answer{Decision: Fraud}).Validate(); err == nil {
		t.Error("answer without ids accepted")
	}
}

func FuzzParseActivationURI(f *testing.F) {
	f.Add("countersign://activate?v=1&url=https%3A%2F%2Fcs.example.com%2Fv1%2Factivate&code=q1w2e3r4t5y6u7i8o9p0aA&issuer=Acme&account=ada&fp=SHA256%3Aabc")
	f.Add("countersign://activate?v=1&url=http://[::1]:80/&code=AAAAAAAAAAAAAAAAAAAAAA&account=x&fp=SHA256:")
	f.Fuzz(func(t *testing.T, uri string) {
		a, err := ParseActivationURI(uri)
		if err != nil {
			var ae *ActivationError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an ActivationError", err)
			}
			return
		}
		again, err := ParseActivationURI(a.URI())
		if err != nil || again != a {
			t.Fatalf("round trip of %+v: %+v, %v", a, again, err)
		}
	})
}
