package telephony

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSignCallbackKnownValue(t *testing.T) {
	// The value below was computed independently with
	//   printf '%s' '1764115200.{"id":"req-1","digits":"#","status":"completed"}' |
	//     openssl dgst -sha256 -hmac 'whsec_test'
	body := []byte(`{"id":"req-1","digits":"#","status":"completed"}`)
	got := SignCallback([]byte("whsec_test"), time.Unix(1764115200, 0), body)
	want := "t=1764115200,v1=" + opensslHMAC
	if got != want {
		t.Errorf("SignCallback = %s\nwant %s", got, want)
	}
}

func TestVerifyCallback(t *testing.T) {
	secret := []byte("shared secret")
	body := []byte(`{"id":"req-1","digits":"0#","status":"completed"}`)
	now := time.Unix(1764115200, 0)
	good := SignCallback(secret, now.Add(-4*time.Minute), body)
	if err := VerifyCallback(secret, good, body, now); err != nil {
		t.Fatalf("good signature refused: %v", err)
	}
	if err := VerifyCallback(secret, " "+strings.ReplaceAll(good, ",", " , ")+",v0=ignored", body, now); err != nil {
		t.Errorf("good signature with spaces and an unknown scheme refused: %v", err)
	}
	rotated := SignCallback([]byte("old secret"), now, body) + "," + strings.Split(SignCallback(secret, now, body), ",")[1]
	if err := VerifyCallback(secret, rotated, body, now); err != nil {
		t.Errorf("two v1 signatures, the second good, refused: %v", err)
	}
	tampered := []byte(`{"id":"req-1","digits":"#","status":"completed"}`)
	otherT := "t=" + fmt.Sprint(now.Unix()-1) + good[strings.Index(good, ","):]
	for _, tc := range []struct {
		name, header string
		body         []byte
		secret       []byte
		want         error
	}{
		{"tampered body", good, tampered, secret, ErrSignatureMismatch},
		{"wrong secret", good, body, []byte("another secret"), ErrSignatureMismatch},
		{"time changed", otherT, body, secret, ErrSignatureMismatch},
		{"stale", SignCallback(secret, now.Add(-5*time.Minute-time.Second), body), body, secret, ErrSignatureStale},
		{"future", SignCallback(secret, now.Add(5*time.Minute+time.Second), body), body, secret, ErrSignatureStale},
		{"empty header", "", body, secret, ErrSignatureMalformed},
		{"no t", "v1=" + strings.Repeat("ab", 32), body, secret, ErrSignatureMalformed},
		{"no v1", "t=1764115200", body, secret, ErrSignatureMalformed},
		{"short v1", "t=1764115200,v1=abcd", body, secret, ErrSignatureMalformed},
		{"not hex", "t=1764115200,v1=" + strings.Repeat("zz", 32), body, secret, ErrSignatureMalformed},
		{"t not a number", "t=-5,v1=" + strings.Repeat("ab", 32), body, secret, ErrSignatureMalformed},
		{"two t", "t=1,t=2,v1=" + strings.Repeat("ab", 32), body, secret, ErrSignatureMalformed},
		{"no equals", "t1764115200", body, secret, ErrSignatureMalformed},
		{"sha256= of the relying-party webhooks", "sha256=" + strings.Repeat("ab", 32), body, secret, ErrSignatureMalformed},
		{"huge", "t=1," + strings.Repeat("x=y,", 300), body, secret, ErrSignatureMalformed},
	} {
		err := VerifyCallback(tc.secret, tc.header, tc.body, now)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v; want %v", tc.name, err, tc.want)
		}
	}
	if err := VerifyCallback(nil, good, body, now); err == nil || !strings.Contains(err.Error(), "secret is empty") {
		t.Errorf("empty secret: %v", err)
	}
}

func TestParseCallback(t *testing.T) {
	for _, tc := range []struct {
		body string
		want Callback
	}{
		{`{"id":"req-1","digits":"#","status":"completed"}`, Callback{"req-1", "#", "completed"}},
		{`{"status":"completed","digits":"0#","id":"req-1"}`, Callback{"req-1", "0#", "completed"}},
		{` {"id":"req-1","status":"no-answer"} ` + "\n", Callback{"req-1", "", "no-answer"}},
		{`{"id":"r","digits":"","status":"failed"}`, Callback{"r", "", "failed"}},
		{`{"id":"r","digits":"123*#","status":"completed"}`, Callback{"r", "123*#", "completed"}},
	} {
		got, err := ParseCallback([]byte(tc.body))
		if err != nil || got != tc.want {
			t.Errorf("ParseCallback(%s) = %+v, %v; want %+v", tc.body, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ body, want string }{
		{`{"id":"r","status":"completed","extra":"x"}`, `unknown field "extra"`},
		{`{"ID":"r","status":"completed"}`, `unknown field "ID"`},
		{`{"id":"r","id":"s","status":"completed"}`, `field "id" is given twice`},
		{`{"id":"r","digits":"1a","status":"completed"}`, `may hold only 0-9, # and *`},
		{`{"id":"r","digits":"` + strings.Repeat("1", 17) + `","status":"completed"}`, `at most 16`},
		{`{"id":"r","status":"busy"}`, `status "busy" is not completed`},
		{`{"id":"r"}`, `no status`},
		{`{"status":"completed"}`, `no id`},
		{`{"id":"","status":"completed"}`, `no id`},
		{`{"id":"a b","status":"completed"}`, `printable ASCII`},
		{`{"id":5,"status":"completed"}`, `field "id" is not a string`},
		{`{"id":null,"status":"completed"}`, `field "id" is not a string`},
		{`{"id":{"a":"b"},"status":"completed"}`, `field "id" is not a string`},
		{`{"id":"r","status":"completed"}{}`, `more than one JSON value`},
		{`{"id":"r","status":"completed"`, `not valid JSON`},
		{`["id"]`, `not a JSON object`},
		{``, `not a JSON object`},
		{`{"id":"` + strings.Repeat("a", MaxCallbackBody) + `"}`, `more than 4096`},
	} {
		if _, err := ParseCallback([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCallback(%.60s) error = %v; want %q", tc.body, err, tc.want)
		}
	}
}

// opensslHMAC is openssl's answer for TestSignCallbackKnownValue.
const opensslHMAC = "c6e94b741d75da8757892f1d60a50fa8fae193e0409f2cbeba4555dc95b9080c"
