package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustSecret(t testing.TB, s string) []byte {
	t.Helper()
	b, err := DecodeSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseURI(t *testing.T) {
	jbs := "JBSWY3DPEHPK3PXP"
	cases := []struct {
		uri  string
		want Params
	}{
		{"otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
			Params{Type: TOTP, Issuer: "Example", Name: "alice@google.com", Algorithm: SHA1, Digits: 6, Period: 30}},
		// issuer parameter wins over the label prefix
		{"otpauth://totp/Old%20Name:alice?secret=JBSWY3DPEHPK3PXP&issuer=New%20Name",
			Params{Type: TOTP, Issuer: "New Name", Name: "alice", Algorithm: SHA1, Digits: 6, Period: 30}},
		// %3A separator and a space after it, lower-case padded secret, all parameters
		{"otpauth://TOTP/ACME%20Co%3A%20john.doe%40email.com?secret=jbswy3dpehpk3pxp%3D%3D%3D%3D&algorithm=sha256&digits=8&period=60",
			Params{Type: TOTP, Issuer: "ACME Co", Name: "john.doe@email.com", Algorithm: SHA256, Digits: 8, Period: 60}},
		{"otpauth://hotp/Bank:bob?secret=JBSW%20Y3DP%20EHPK%203PXP&counter=42&algorithm=SHA512&digits=10",
			Params{Type: HOTP, Issuer: "Bank", Name: "bob", Algorithm: SHA512, Digits: 10, Counter: 42}},
		{"otpauth://totp/noissuer?secret=JBSWY3DPEHPK3PXP",
			Params{Type: TOTP, Name: "noissuer", Algorithm: SHA1, Digits: 6, Period: 30}},
		{"otpauth://steam/Steam:gaben?secret=JBSWY3DPEHPK3PXP&issuer=Steam",
			Params{Type: Steam, Issuer: "Steam", Name: "gaben", Algorithm: SHA1, Digits: 5, Period: 30}},
		{"otpauth://totp/Steam:gaben?secret=JBSWY3DPEHPK3PXP&encoder=steam&digits=5",
			Params{Type: Steam, Issuer: "Steam", Name: "gaben", Algorithm: SHA1, Digits: 5, Period: 30}},
		// unknown parameters (image, lock) are ignored
		{"otpauth://totp/X:y?secret=JBSWY3DPEHPK3PXP&image=https%3A%2F%2Fexample.com%2Fa.png&lock=true",
			Params{Type: TOTP, Issuer: "X", Name: "y", Algorithm: SHA1, Digits: 6, Period: 30}},
		// parameter names in any case, as other libraries accept them
		{"OTPAUTH://TOTP/ACME:eve?SECRET=JBSWY3DPEHPK3PXP&Issuer=ACME&ALGORITHM=SHA256&Digits=8&PERIOD=60",
			Params{Type: TOTP, Issuer: "ACME", Name: "eve", Algorithm: SHA256, Digits: 8, Period: 60}},
		// the same name in two cases: the lower-case one wins
		{"otpauth://totp/X:y?ISSUER=Upper&secret=JBSWY3DPEHPK3PXP&issuer=Lower",
			Params{Type: TOTP, Issuer: "Lower", Name: "y", Algorithm: SHA1, Digits: 6, Period: 30}},
		// a '+' in a label path is literal; in the query it is a space
		{"otpauth://totp/A+B:c?secret=JBSWY3DPEHPK3PXP&issuer=A+B",
			Params{Type: TOTP, Issuer: "A B", Name: "c", Algorithm: SHA1, Digits: 6, Period: 30}},
	}
	for _, c := range cases {
		k, err := ParseURI(c.uri)
		if err != nil {
			t.Errorf("ParseURI(%q): %v", c.uri, err)
			continue
		}
		if k.Params != c.want {
			t.Errorf("ParseURI(%q)\n got %+v\nwant %+v", c.uri, k.Params, c.want)
		}
		if !bytes.Equal(k.Secret, mustSecret(t, jbs)) {
			t.Errorf("ParseURI(%q): secret %x", c.uri, k.Secret)
		}
	}
}

func TestParseURIErrors(t *testing.T) {
	cases := []struct {
		uri, field, problem string
	}{
		{"https://example.com/?secret=JBSWY3DPEHPK3PXP", "scheme", "must be otpauth://"},
		{"otpauth://motp/x?secret=JBSWY3DPEHPK3PXP", "type", `"motp" is not supported`},
		{"otpauth://totp/x", "secret", "is missing"},
		{"otpauth://totp/x?secret=", "secret", "is missing"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PX1", "secret", "not valid base32 (character 16"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", "algorithm", `"MD5" is not supported`},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=5", "digits", "5 is out of range; use 6 to 10"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=11", "digits", "11 is out of range (1 to 10)"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=six", "digits", `"six" is not a whole number`},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0", "period", "0 is out of range (1 to 86400)"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=-30", "period", "-30 is out of range"},
		{"otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP", "counter", "is missing (required for hotp)"},
		{"otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=-1", "counter", `"-1" is not a non-negative whole number`},
		{"otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1&encoder=steam", "encoder", "steam applies to time-based keys"},
		{"otpauth://totp/?secret=JBSWY3DPEHPK3PXP", "name", "is missing"},
		{"otpauth://totp/a%ZZ?secret=JBSWY3DPEHPK3PXP", "label", "bad %-escape"},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&issuer=%ZZ", "query", "is malformed"},
		{"otpauth://totp/x?secret=" + strings.Repeat("A", MaxURILength), "uri", "is too long"},
	}
	for _, c := range cases {
		_, err := ParseURI(c.uri)
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("ParseURI(%.60q): got %v, want a FieldError on %s", c.uri, err, c.field)
			continue
		}
		var ue *URIError
		if !errors.As(err, &ue) {
			t.Errorf("ParseURI(%.60q): %T is not a URIError", c.uri, err)
		}
		if fe.Field != c.field || !strings.Contains(fe.Problem, c.problem) {
			t.Errorf("ParseURI(%.60q): got %s: %s, want %s: …%s…", c.uri, fe.Field, fe.Problem, c.field, c.problem)
		}
		if !strings.HasPrefix(err.Error(), "otpauth URI: "+c.field+": ") {
			t.Errorf("ParseURI(%.60q): message %q does not name the field first", c.uri, err)
		}
	}
}

func TestParseURIErrorNeverContainsSecret(t *testing.T) {
	// A secret with one bad character: the error must say where, not echo it.
	uri := "otpauth://totp/x?secret=JBSWY3DPEHPK3PX8&digits=6"
	_, err := ParseURI(uri)
	if err == nil || strings.Contains(err.Error(), "JBSWY3DPEHPK3PX") {
		t.Fatalf("error %q must exist and must not contain the secret", err)
	}
}

func TestURIRoundTrip(t *testing.T) {
	keys := []Key{
		{Params: Params{Type: TOTP, Issuer: "ACME: Co/Ltd & Sons", Name: "jo+e@x.com", Algorithm: SHA256, Digits: 8, Period: 60}, Secret: []byte("0123456789abcdefghij")},
		{Params: Params{Type: HOTP, Issuer: "", Name: "plain", Algorithm: SHA1, Digits: 6, Counter: 99}, Secret: []byte{0, 1, 2, 255}},
		{Params: Params{Type: Steam, Issuer: "Steam", Name: "ünïcødé name", Algorithm: SHA1, Digits: 5, Period: 30}, Secret: []byte("steamsteam")},
	}
	for _, k := range keys {
		got, err := ParseURI(k.URI())
		if err != nil {
			t.Fatalf("ParseURI(%s): %v", k.URI(), err)
		}
		if !reflect.DeepEqual(got, k) {
			t.Errorf("round trip of %s\n got %+v\nwant %+v", k.URI(), got, k)
		}
	}
	want := "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30"
	k := Key{Params: Params{Type: TOTP, Issuer: "Example", Name: "alice@google.com", Algorithm: SHA1, Digits: 6, Period: 30}, Secret: mustSecret(t, "JBSWY3DPEHPK3PXP")}
	if got := k.URI(); got != want {
		t.Errorf("URI() = %s\nwant %s", got, want)
	}
}

// TestAgreesWithOathtool compares codes with oathtool, the reference
// implementation shipped by the OATH Toolkit, on generated cases.
func TestAgreesWithOathtool(t *testing.T) {
	if _, err := exec.LookPath("oathtool"); err != nil {
		t.Fatal("oathtool is missing: apt-get install -y oathtool (make test installs it)")
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	algs := []Algorithm{SHA1, SHA256, SHA512}
	for i := range 60 {
		secret := make([]byte, 10+rng.IntN(40))
		rand.Read(secret)
		alg := algs[i%3]
		digits := 6 + rng.IntN(3)
		var k Key
		var args []string
		if i%4 == 3 {
			// oathtool's HOTP mode knows SHA1 only.
			counter := rng.Uint64N(1 << 40)
			k = Key{Params: Params{Type: HOTP, Name: "n", Algorithm: SHA1, Digits: digits, Counter: counter}, Secret: secret}
			args = []string{"--hotp", "-d", fmt.Sprint(digits), "-c", fmt.Sprint(counter)}
		} else {
			period := []int{30, 60, 15}[rng.IntN(3)]
			at := rng.Int64N(4_000_000_000)
			k = Key{Params: Params{Type: TOTP, Name: "n", Algorithm: alg, Digits: digits, Period: period}, Secret: secret}
			args = []string{"--totp=" + string(alg), "-d", fmt.Sprint(digits), "-s", fmt.Sprint(period), "--now", time.Unix(at, 0).UTC().Format("2006-01-02 15:04:05 UTC")}
			got, err := k.CodeAt(time.Unix(at, 0))
			if err != nil {
				t.Fatal(err)
			}
			checkOathtool(t, args, secret, got)
			continue
		}
		got, err := k.HOTPCode(k.Counter)
		if err != nil {
			t.Fatal(err)
		}
		checkOathtool(t, args, secret, got)
	}
}

func checkOathtool(t *testing.T, args []string, secret []byte, got string) {
	t.Helper()
	// The key goes through standard input, not the command line.
	cmd := exec.Command("oathtool", append(args, "-")...)
	cmd.Stdin = strings.NewReader(hex.EncodeToString(secret))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("oathtool %v: %v: %s", args, err, out)
	}
	if want := strings.TrimSpace(string(out)); got != want {
		t.Errorf("oathtool %v: want %s, we computed %s", args, want, got)
	}
}

func FuzzParseURI(f *testing.F) {
	f.Add("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example")
	f.Add("otpauth://hotp/Bank:bob?secret=JBSWY3DPEHPK3PXP&counter=42&algorithm=SHA512&digits=10")
	f.Add("otpauth://steam/Steam:gaben?secret=JBSWY3DPEHPK3PXP")
	f.Fuzz(func(t *testing.T, uri string) {
		k, err := ParseURI(uri)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FieldError", err)
			}
			return
		}
		if err := k.Validate(); err != nil {
			t.Fatalf("parsed key does not validate: %v", err)
		}
		again, err := ParseURI(k.URI())
		if err != nil {
			t.Fatalf("ParseURI(URI()) of %q: %v", k.URI(), err)
		}
		if !reflect.DeepEqual(again, k) {
			t.Fatalf("round trip differs:\n %+v\n %+v", again, k)
		}
		if _, err := k.CodeAt(time.Unix(1234567890, 0)); err != nil {
			t.Fatalf("valid key gives no code: %v", err)
		}
	})
}
