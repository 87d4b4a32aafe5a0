package main

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/countersign/countersign/vault"
)

// The seeds of RFC 6238 Appendix B, base32: "12345678901234567890" repeated
// to 20, 32 and 64 bytes.
const (
	rfcSHA1   = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	rfcSHA256 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA"
	rfcSHA512 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA"
)

func TestCodeURIRFC6238(t *testing.T) {
	times := []int64{59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000}
	vectors := []struct {
		alg, secret string
		codes       []string
	}{
		{"SHA1", rfcSHA1, []string{"94287082", "07081804", "14050471", "89005924", "69279037", "65353130"}},
		{"SHA256", rfcSHA256, []string{"46119246", "68084774", "67062674", "91819424", "90698825", "77737706"}},
		{"SHA512", rfcSHA512, []string{"90693936", "25091201", "99943326", "93441116", "38618901", "47863826"}},
	}
	for _, v := range vectors {
		for i, at := range times {
			uri := "otpauth://totp/RFC:6238?secret=" + v.secret + "&algorithm=" + v.alg + "&digits=8"
			got := ok(t, "code", "--uri", uri, "--at", strconv.FormatInt(at, 10))
			if want := v.codes[i] + "\n"; got != want {
				t.Errorf("%s at %d: got %q, want %q", v.alg, at, got, want)
			}
		}
	}
}

func TestCodeURIHOTPRFC4226(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for counter, code := range want {
		uri := fmt.Sprintf("otpauth://hotp/RFC:4226?secret=%s&counter=%d", rfcSHA1, counter)
		if got := ok(t, "code", "--uri", uri); got != code+"\n" {
			t.Errorf("counter %d: got %q, want %q", counter, got, code)
		}
	}
}

// TestCodeURIMatchesOathtool compares countersign code --uri with oathtool on
// generated keys: random seeds, every algorithm, 6 to 8 digits, 30 and 60
// second periods, random times; and HOTP with random counters.
func TestCodeURIMatchesOathtool(t *testing.T) {
	oathtool := lookPath(t, "oathtool")
	rng := rand.New(rand.NewPCG(6238, 4226))
	algs := []string{"SHA1", "SHA256", "SHA512"}
	for i := range 90 {
		secret := make([]byte, 10+rng.IntN(55))
		for j := range secret {
			secret[j] = byte(rng.UintN(256))
		}
		b32 := vault.EncodeSecret(secret)
		digits := 6 + rng.IntN(3)
		var uri string
		var args, oath []string
		if i%6 == 5 { // HOTP (oathtool computes HOTP with SHA1 only)
			counter := rng.Uint64N(1 << 40)
			uri = fmt.Sprintf("otpauth://hotp/Gen:%d?secret=%s&digits=%d&counter=%d", i, b32, digits, counter)
			args = []string{"code", "--uri", uri}
			oath = []string{"-b", "-d", strconv.Itoa(digits), "-c", strconv.FormatUint(counter, 10), b32}
		} else {
			alg := algs[rng.IntN(len(algs))]
			period := []int{30, 60}[rng.IntN(2)]
			at := strconv.FormatInt(rng.Int64N(4_000_000_000), 10)
			uri = fmt.Sprintf("otpauth://totp/Gen:%d?secret=%s&algorithm=%s&digits=%d&period=%d", i, b32, alg, digits, period)
			args = []string{"code", "--uri", uri, "--at", at}
			oath = []string{"--totp=" + alg, "-b", "-d", strconv.Itoa(digits), "-s", strconv.Itoa(period) + "s", "--now", "@" + at, b32}
		}
		got := ok(t, args...)
		want, err := exec.Command(oathtool, oath...).Output()
		if err != nil {
			t.Fatalf("oathtool %s: %v", strings.Join(oath, " "), err)
		}
		if got != string(want) || len(got) != digits+1 {
			t.Errorf("%s: countersign %q, oathtool %q", strings.Join(args, " "), got, want)
		}
	}
}

func TestCodeURIErrors(t *testing.T) {
	cases := []struct {
		args   []string
		status int
		reason string
	}{
		{[]string{"code", "--uri", "otpauth://totp/x?secret=AB1"}, 1,
			"otpauth URI: secret: is not valid base32 (character 3: only A-Z and 2-7 are allowed)"},
		{[]string{"code", "--uri", "otpauth://totp/x?issuer=y"}, 1, "otpauth URI: secret: is missing"},
		{[]string{"code", "--uri", "https://example.com/x?secret=JBSWY3DP"}, 1,
			`otpauth URI: scheme: must be otpauth:// (got "https")`},
		{[]string{"code", "--uri", "otpauth://totp/x?secret=JBSWY3DP&digits=12"}, 1,
			"otpauth URI: digits: 12 is out of range (1 to 10)"},
		{[]string{"code", "--uri", "otpauth://totp/x?secret=JBSWY3DP&algorithm=MD5"}, 1,
			`otpauth URI: algorithm: "MD5" is not supported; use SHA1, SHA256 or SHA512`},
		{[]string{"code", "--uri", "otpauth://hotp/x?secret=JBSWY3DP"}, 1,
			"otpauth URI: counter: is missing (required for hotp)"},
		{[]string{"code", "--uri", "otpauth-migration://offline?data=AAAA"}, 1,
			"code --uri takes one otpauth:// URI; add a Google Authenticator export with countersign add"},
		{[]string{"code", "--uri", "otpauth://totp/x?secret=JBSWY3DP", "--at", "soon"}, 2,
			`--at: "soon" is not a Unix time (whole seconds since 1970-01-01 UTC)`},
		{[]string{"code", "--uri", "otpauth://totp/x?secret=JBSWY3DP", "--at", "-1"}, 2,
			"--at: -1 is out of range (0 to 253402300799)"},
		{[]string{"code", "--uri", "otpauth://totp/x?secret=JBSWY3DP", "--at", "253402300800"}, 2,
			"--at: 253402300800 is out of range (0 to 253402300799)"},
		{[]string{"code", "--uri", "otpauth://totp/x?secret=JBSWY3DP", "github"}, 2,
			"code: give --uri or a QUERY, not both"},
		{[]string{"code", "--uri", "otpauth://totp/x?secret=JBSWY3DP", "--json"}, 2,
			"code: --json applies to the vault's codes, not to --uri"},
		{[]string{"code", "--uri"}, 2,
			"code: flag needs an argument: -uri (see countersign code --help)"},
		{[]string{"code", "--bogus"}, 2,
			"code: flag provided but not defined: -bogus (see countersign code --help)"},
		{[]string{"frobnicate"}, 2, `"frobnicate" is not a command (see countersign --help)`},
		{[]string{"--store", "cloud", "list"}, 2, `--store: "cloud" is not a store; use keyring or file`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			wantFail(t, runCS(t, c.args...), c.status, c.reason)
		})
	}
}

// TestCodeURIAtBoundaries: --at accepts 0 and the last second it can write.
func TestCodeURIAtBoundaries(t *testing.T) {
	for at, want := range map[string]string{"0": "755224\n", "29": "755224\n", "30": "287082\n"} {
		uri := "otpauth://totp/x?secret=" + rfcSHA1
		if got := ok(t, "code", "--uri", uri, "--at", at); got != want {
			t.Errorf("--at %s: got %q, want %q", at, got, want)
		}
	}
	if got := ok(t, "code", "--uri", "otpauth://totp/x?secret="+rfcSHA1, "--at", "253402300799"); len(got) != 7 {
		t.Errorf("--at 253402300799: got %q, want 6 digits", got)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		out := ok(t, args...)
		for _, want := range []string{"countersign code --uri URI [--at UNIX]", "countersign scan FILE...",
			"countersign add URI... | --scan FILE | --screen", "countersign list [--json]",
			"countersign code [QUERY] [--json] [--at UNIX]", "-vault DIR", "-store", "-passphrase-file FILE"} {
			if !strings.Contains(out, want) {
				t.Errorf("countersign %s: no %q in\n%s", args[0], want, out)
			}
		}
	}
	for _, cmd := range commands {
		for _, args := range [][]string{{cmd.name, "--help"}, {"help", cmd.name}} {
			out := ok(t, args...)
			if !strings.HasPrefix(out, "Usage:\n  countersign "+cmd.name) || !strings.Contains(out, "-vault DIR") {
				t.Errorf("countersign %s: help is\n%s", strings.Join(args, " "), out)
			}
		}
	}
}
