package vault

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// RFC 6238 Appendix B seeds.
var (
	rfcSeedSHA1   = []byte("12345678901234567890")
	rfcSeedSHA256 = []byte("12345678901234567890123456789012")
	rfcSeedSHA512 = []byte(strings.Repeat("1234567890", 7)[:64])
)

func TestHOTPCodeRFC4226(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	k := Key{Params: Params{Type: HOTP, Name: "rfc4226", Algorithm: SHA1, Digits: 6}, Secret: rfcSeedSHA1}
	for counter, w := range want {
		got, err := k.HOTPCode(uint64(counter))
		if err != nil {
			t.Fatalf("counter %d: %v", counter, err)
		}
		if got != w {
			t.Errorf("counter %d: got %s, want %s", counter, got, w)
		}
	}
}

func TestTOTPCodeRFC6238(t *testing.T) {
	vectors := []struct {
		unix                 int64
		sha1, sha256, sha512 string
	}{
		{59, "94287082", "46119246", "90693936"},
		{1111111109, "07081804", "68084774", "25091201"},
		{1111111111, "14050471", "67062674", "99943326"},
		{1234567890, "89005924", "91819424", "93441116"},
		{2000000000, "69279037", "90698825", "38618901"},
		{20000000000, "65353130", "77737706", "47863826"},
	}
	for _, v := range vectors {
		for _, c := range []struct {
			alg  Algorithm
			seed []byte
			want string
		}{{SHA1, rfcSeedSHA1, v.sha1}, {SHA256, rfcSeedSHA256, v.sha256}, {SHA512, rfcSeedSHA512, v.sha512}} {
			k := Key{Params: Params{Type: TOTP, Name: "rfc6238", Algorithm: c.alg, Digits: 8, Period: 30}, Secret: c.seed}
			got, err := k.CodeAt(time.Unix(v.unix, 0))
			if err != nil {
				t.Fatalf("%s at %d: %v", c.alg, v.unix, err)
			}
			if got != c.want {
				t.Errorf("%s at %d: got %s, want %s", c.alg, v.unix, got, c.want)
			}
		}
	}
}

func TestSteamCode(t *testing.T) {
	secret, err := DecodeSecret("BASE32SECRET3232")
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Params: Params{Type: Steam, Name: "gabe"}, Secret: secret}
	k.Normalize()
	for _, c := range []struct {
		unix int64
		want string
	}{{0, "2TC8B"}, {29, "2TC8B"}, {30, "YKKK4"}} {
		got, err := k.CodeAt(time.Unix(c.unix, 0))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("steam at %d: got %s, want %s", c.unix, got, c.want)
		}
	}
}

func TestCodeAtRejectsTimeBefore1970(t *testing.T) {
	k := Key{Params: Params{Type: TOTP, Name: "x", Algorithm: SHA1, Digits: 6, Period: 30}, Secret: rfcSeedSHA1}
	_, err := k.CodeAt(time.Unix(-1, 0))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "time" {
		t.Fatalf("got %v, want a FieldError on time", err)
	}
}

func TestWindow(t *testing.T) {
	p := Params{Type: TOTP, Period: 30}
	start, end := p.Window(time.Unix(59, 0))
	if start.Unix() != 30 || end.Unix() != 60 {
		t.Fatalf("window of 59: got %d..%d, want 30..60", start.Unix(), end.Unix())
	}
}

func TestGroupCode(t *testing.T) {
	for in, want := range map[string]string{
		"2TC8B":      "2TC8B",
		"123456":     "123 456",
		"1234567":    "1234 567",
		"12345678":   "1234 5678",
		"123456789":  "123 456 789",
		"1234567890": "12345 67890",
	} {
		if got := GroupCode(in); got != want {
			t.Errorf("GroupCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeSecretTolerance(t *testing.T) {
	want := []byte("Hello!\xde\xad\xbe\xef")
	for _, in := range []string{"JBSWY3DPEHPK3PXP", "jbswy3dpehpk3pxp", "JBSW Y3DP EHPK 3PXP", "JBSW-Y3DP-EHPK-3PXP", "JBSWY3DPEHPK3PXP===="} {
		got, err := DecodeSecret(in)
		if err != nil {
			t.Errorf("DecodeSecret(%q): %v", in, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("DecodeSecret(%q) = %x, want %x", in, got, want)
		}
	}
	if got := EncodeSecret(want); got != "JBSWY3DPEHPK3PXP" {
		t.Errorf("EncodeSecret = %q", got)
	}
}

func TestLabel(t *testing.T) {
	for _, c := range []struct {
		p    Params
		want string
	}{
		{Params{Issuer: "GitHub", Name: "ada"}, "GitHub (ada)"},
		{Params{Issuer: "GitHub"}, "GitHub"},
		{Params{Name: "ada"}, "ada"},
	} {
		if got := c.p.Label(); got != c.want {
			t.Errorf("Label(%+v) = %q, want %q", c.p, got, c.want)
		}
	}
}
