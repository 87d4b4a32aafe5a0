package telephony

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The seeds of these fuzz tests are in testdata/fuzz/<FuzzName>.

var e164Form = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// FuzzNormalizeE164: no input panics; what is accepted is E.164, stays the
// same when normalised again, and has a country or is non-geographic.
func FuzzNormalizeE164(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeE164(s)
		if err != nil {
			if got != "" {
				t.Fatalf("error %v with result %q", err, got)
			}
			return
		}
		if !e164Form.MatchString(got) {
			t.Fatalf("NormalizeE164(%q) = %q, not E.164", s, got)
		}
		if again, err := NormalizeE164(got); err != nil || again != got {
			t.Fatalf("NormalizeE164(%q) = %q, %v; not stable", got, again, err)
		}
		region, err := Country(got)
		if err != nil && !errors.Is(err, ErrNonGeographic) || err == nil && len(region) != 2 {
			t.Fatalf("Country(%q) = %q, %v", got, region, err)
		}
	})
}

// FuzzParseCallback: no body panics; what is accepted keeps to the limits
// and reads the same when written again.
func FuzzParseCallback(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := ParseCallback(body)
		if err != nil {
			return
		}
		if cb.ID == "" || len(cb.ID) > MaxIDLength || strings.Trim(cb.Digits, "0123456789#*") != "" || len(cb.Digits) > 16 ||
			cb.Status != StatusCompleted && cb.Status != StatusNoAnswer && cb.Status != StatusFailed {
			t.Fatalf("ParseCallback(%q) = %+v", body, cb)
		}
		again, _ := json.Marshal(map[string]string{"id": cb.ID, "digits": cb.Digits, "status": cb.Status})
		if cb2, err := ParseCallback(again); err != nil || cb2 != cb {
			t.Fatalf("%+v written as %s reads %+v, %v", cb, again, cb2, err)
		}
	})
}

// FuzzVerifyCallback: no header panics; a header is accepted only if it
// holds the right signature; a body signed is always verified.
func FuzzVerifyCallback(f *testing.F) {
	secret := []byte("fuzz secret")
	now := time.Unix(1764115200, 0)
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		want := hex.EncodeToString(callbackMAC(secret, "1764115200", body))
		if err := VerifyCallback(secret, header, body, now); err == nil && !strings.Contains(strings.ToLower(header), want) {
			ts, _, _ := parseSignatureHeader(header)
			if !strings.Contains(strings.ToLower(header), hex.EncodeToString(callbackMAC(secret, ts, body))) {
				t.Fatalf("header %q accepted without the signature of the body", header)
			}
		}
		if err := VerifyCallback(secret, SignCallback(secret, now, body), body, now); err != nil {
			t.Fatalf("a signed body refused: %v", err)
		}
	})
}

// FuzzWebhookConfig: no config panics; an accepted one renders the sample
// messages and never shows an environment value it did not write itself.
func FuzzWebhookConfig(f *testing.F) {
	f.Fuzz(func(t *testing.T, config []byte) {
		g, err := parseWebhookConfig(config, testEnv)
		if err != nil {
			return
		}
		g.source = "fuzz.json"
		d := g.Describe()
		for _, secret := range []string{"s3cr3t-token", "query-secret"} {
			if strings.Contains(d, secret) && !bytes.Contains(config, []byte(secret)) {
				t.Fatalf("Describe shows the secret %s: %s", secret, d)
			}
		}
		for _, m := range sampleMessages {
			tmpl := g.smsBody
			if m.Kind == Voice {
				tmpl = g.voiceBody
			}
			if tmpl == nil {
				continue
			}
			if _, err := g.render(tmpl, m); err != nil {
				t.Fatalf("an accepted config does not render: %v", err)
			}
		}
	})
}
