package transfer

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/vault"
)

// The seven accounts of Aegis's sample exports (testdata/, from the Aegis
// project's importer tests; listed in shared/testdata/interop/aegis/README.md).
var aegisSample = []string{
	"totp|Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
	"totp|SPDX|James|5OM4WOOGPLQEF6UGN3CPEOOLWU|SHA256|7|20|0",
	"totp|Airbnb|Elijah|7ELGJSGXNCCTV3O6LKJWYFV2RA|SHA512|8|50|0",
	"hotp|Issuu|James|YOOMIXWS5GN6RTBPUFFWKTW5M4|SHA1|6|0|1",
	"hotp|Air Canada|Benjamin|KUVJJOM753IHTNDSZVCNKL7GII|SHA256|7|0|50",
	"hotp|WWE|Mason|5VAML3X35THCEBVRLV24CGBKOY|SHA512|8|0|10300",
	"steam|Boeing|Sophia|JRZCL47CMXVOQMNPZR2F7J4RGI|SHA1|5|30|0",
}

func describeKeys(keys []vault.Key) []string {
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%s|%d|%d|%d", k.Type, k.Issuer, k.Name, vault.EncodeSecret(k.Secret), k.Algorithm, k.Digits, k.Period, k.Counter))
	}
	return out
}

func TestAegisSamples(t *testing.T) {
	for _, c := range []struct {
		file     string
		format   Format
		password string
	}{{"testdata/aegis_plain.json", Aegis, ""}, {"testdata/aegis_encrypted.json", AegisEncrypted, "test"}} {
		data, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Decode(c.format, data, []byte(c.password))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if got := describeKeys(r.Keys); !reflect.DeepEqual(got, aegisSample) {
			t.Errorf("%s:\n got %q\nwant %q", c.file, got, aegisSample)
		}
	}
	data, _ := os.ReadFile("testdata/aegis_encrypted.json")
	if _, err := Decode(AegisEncrypted, data, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong password: %v", err)
	}
}

// sampleKeys is a vault with every kind of account, unicode and colons.
func sampleKeys(t testing.TB) []vault.Key {
	t.Helper()
	var keys []vault.Key
	for _, uri := range []string{
		"otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP",
		"otpauth://totp/ACME%3A%20Co:j%C3%B6rg?secret=GEZDGNBVGY3TQOJQ&issuer=ACME%3A%20Co&algorithm=SHA256&digits=8&period=60",
		"otpauth://hotp/Bank:card?secret=MFRGGZDFMZTWQ2LK&counter=42&algorithm=SHA512&digits=7",
		"otpauth://steam/Steam:gaben?secret=JRZCL47CMXVOQMNPZR2F7J4RGI",
	} {
		k, err := vault.ParseURI(uri)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// codes computes every key's code at a fixed time.
func codes(t testing.TB, keys []vault.Key) []string {
	var out []string
	for _, k := range keys {
		c, err := k.CodeAt(time.Unix(1_800_000_000, 0))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestRoundTripEveryFormat(t *testing.T) {
	defaultKDF = kdfParams{Name: "argon2id", Time: 1, Memory: 64, Threads: 1} // fast; TestBackupRealParameters uses the real ones
	t.Cleanup(func() { defaultKDF = kdfParams{Name: "argon2id", Time: 3, Memory: 64 * 1024, Threads: 4} })
	aegisScryptN = 1 << 10
	t.Cleanup(func() { aegisScryptN = 1 << 15 })
	all := sampleKeys(t)
	googleable := all[:1]
	for _, c := range []struct {
		format Format
		keys   []vault.Key
	}{{Countersign, all}, {Aegis, all}, {AegisEncrypted, all}, {OTPAuth, all}, {Google, googleable}} {
		data, err := Encode(c.format, c.keys, []byte("pass phrase"))
		if err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		r, err := Decode(c.format, data, []byte("pass phrase"))
		if err != nil {
			t.Fatalf("%s: decode: %v", c.format, err)
		}
		if got, want := describeKeys(r.Keys), describeKeys(c.keys); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", c.format, got, want)
		}
		if !reflect.DeepEqual(codes(t, r.Keys), codes(t, c.keys)) {
			t.Errorf("%s: codes differ after the round trip", c.format)
		}
		if len(r.Skipped) != 0 {
			t.Errorf("%s: skipped %v", c.format, r.Skipped)
		}
	}
	if _, err := Encode(Google, all, nil); err == nil || !strings.Contains(err.Error(), "cannot be exported") {
		t.Fatalf("Google export of a Steam key: %v", err)
	}
}

// TestPropertyRandomVaults round-trips random vaults through every format
// that can hold them.
func TestPropertyRandomVaults(t *testing.T) {
	defaultKDF = kdfParams{Name: "argon2id", Time: 1, Memory: 64, Threads: 1}
	t.Cleanup(func() { defaultKDF = kdfParams{Name: "argon2id", Time: 3, Memory: 64 * 1024, Threads: 4} })
	aegisScryptN = 1 << 10
	t.Cleanup(func() { aegisScryptN = 1 << 15 })
	rng := rand.New(rand.NewPCG(7, 11))
	labels := []string{"GitHub", "ACME: Co", "jörg@example.com", "名前", "a b+c", "x%20y", ""}
	for round := range 20 {
		var keys []vault.Key
		for i := range 1 + rng.IntN(12) {
			secret := make([]byte, 10+rng.IntN(55))
			for j := range secret {
				secret[j] = byte(rng.Uint32())
			}
			p := vault.Params{Type: []vault.Type{vault.TOTP, vault.HOTP, vault.Steam}[rng.IntN(3)],
				Issuer: labels[rng.IntN(len(labels))], Name: fmt.Sprintf("user%d-%d", round, i),
				Algorithm: []vault.Algorithm{vault.SHA1, vault.SHA256, vault.SHA512}[rng.IntN(3)],
				Digits:    6 + rng.IntN(5), Period: 15 + rng.IntN(100), Counter: rng.Uint64N(1 << 40)}
			p.Normalize()
			keys = append(keys, vault.Key{Params: p, Secret: secret})
		}
		for _, f := range []Format{Countersign, Aegis, AegisEncrypted, OTPAuth} {
			data, err := Encode(f, keys, []byte("pw"))
			if err != nil {
				t.Fatalf("round %d %s: %v", round, f, err)
			}
			r, err := Decode(f, data, []byte("pw"))
			if err != nil {
				t.Fatalf("round %d %s: %v", round, f, err)
			}
			if got, want := describeKeys(r.Keys), describeKeys(keys); !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d %s:\n got %q\nwant %q", round, f, got, want)
			}
		}
	}
}

func TestBackupRealParametersAndTampering(t *testing.T) {
	keys := sampleKeys(t)[:2]
	data, err := Encode(Countersign, keys, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"memory_kib": 65536`)) || bytes.Contains(data, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatalf("backup:\n%s", data)
	}
	if _, err := Decode(Countersign, data, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	for n, want := range map[int]string{0: "not a Countersign backup", 40: "damaged or truncated", len(data) - 2: "damaged or truncated"} {
		if _, err := Decode(Countersign, data[:n], []byte("correct horse")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("truncated to %d: %v", n, err)
		}
	}
	// Flip each character of a cheap backup: every change is refused.
	defaultKDF = kdfParams{Name: "argon2id", Time: 1, Memory: 64, Threads: 1}
	t.Cleanup(func() { defaultKDF = kdfParams{Name: "argon2id", Time: 3, Memory: 64 * 1024, Threads: 4} })
	cheap, _ := Encode(Countersign, keys, []byte("pw"))
	for i := range cheap {
		bad := bytes.Clone(cheap)
		bad[i] ^= 0x01
		if r, err := Decode(Countersign, bad, []byte("pw")); err == nil {
			// A flipped bit can leave the same value (e.g. a JSON number's
			// leading space): then the content must be the same.
			if !reflect.DeepEqual(describeKeys(r.Keys), describeKeys(keys)) {
				t.Fatalf("flipping byte %d (%q) changed the accounts unnoticed", i, cheap[i])
			}
		}
	}
	hostile := strings.Replace(string(cheap), `"memory_kib": 64`, `"memory_kib": 4194304`, 1)
	if _, err := Decode(Countersign, []byte(hostile), []byte("pw")); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("hostile parameters: %v", err)
	}
}

func TestOTPAuthListErrorsNameTheLine(t *testing.T) {
	list := "# my accounts\n\notpauth://totp/A:1?secret=JBSWY3DPEHPK3PXP\notpauth://totp/B:2?secret=11\n"
	_, err := Decode(OTPAuth, []byte(list), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "line 4: otpauth URI: secret:") || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("got %v", err)
	}
	r, err := Decode(OTPAuth, []byte(list[:strings.LastIndex(list, "otpauth://totp/B")]), nil)
	if err != nil || len(r.Keys) != 1 {
		t.Fatalf("good part: %v %v", r, err)
	}
}

func TestGoogleBatches(t *testing.T) {
	var keys []vault.Key
	for i := range 23 {
		keys = append(keys, vault.Key{Params: vault.Params{Type: vault.TOTP, Issuer: "I", Name: fmt.Sprint("n", i), Algorithm: vault.SHA1, Digits: 6, Period: 30}, Secret: []byte(fmt.Sprintf("secret-%02d", i))})
	}
	uris, err := GoogleBatches(keys, 10)
	if err != nil || len(uris) != 3 {
		t.Fatalf("%d batches, %v", len(uris), err)
	}
	r, err := Decode(Google, []byte(strings.Join(uris, "\n")), nil)
	if err != nil || len(r.Keys) != 23 {
		t.Fatalf("decode: %d keys, %v", len(r.Keys), err)
	}
	if _, err := Decode(Google, []byte(uris[0]+"\n"+uris[2]), nil); err == nil ||
		err.Error() != "export: QR code 2 of 3 is missing, so its 13 account(s) were left out: scan every QR code of that export; nothing was imported" {
		t.Fatalf("missing batch: %v", err)
	}
	// The same QR code scanned twice counts once.
	if r, err := Decode(Google, []byte(uris[0]+"\n"+uris[0]+"\n"+uris[1]+"\n"+uris[2]), nil); err != nil || len(r.Keys) != 23 {
		t.Fatalf("repeated batch: %d keys, %v", len(r.Keys), err)
	}
	// Two exports in one list: each complete one is imported, an
	// incomplete one reported.
	other, _ := GoogleBatches(keys[:1], 10)
	if r, err := Decode(Google, []byte(strings.Join(uris, "\n")+"\n"+other[0]), nil); err != nil || len(r.Keys) != 24 || len(r.Skipped) != 0 {
		t.Fatalf("two complete exports: %d keys, %v, %v", len(r.Keys), r.Skipped, err)
	}
	r, err = Decode(Google, []byte(uris[0]+"\n"+other[0]), nil)
	if err != nil || len(r.Keys) != 1 || r.Keys[0].Name != "n0" || len(r.Skipped) != 1 ||
		r.Skipped[0] != (Skipped{Label: "export 1 of 2", Reason: "QR codes 2, 3 of 3 are missing, so its 10 account(s) were left out: scan every QR code of that export"}) {
		t.Fatalf("one complete export and one not: %+v, %v", r, err)
	}
}

func FuzzDecodeCountersign(f *testing.F) {
	f.Add([]byte(`{"format":"countersign-backup","version":1,"kdf":{"name":"argon2id","time":1,"memory_kib":8,"threads":1,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="},"cipher":"xchacha20poly1305","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","ciphertext":"AAAA"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Contains(data, []byte("memory_kib")) && !bytes.Contains(data, []byte(`"memory_kib":8`)) {
			return // keep the fuzzer fast: the cost bounds are tested above
		}
		if _, err := Decode(Countersign, data, []byte("pw")); err == nil {
			t.Fatal("random data decrypted")
		}
	})
}

func FuzzDecodeAegis(f *testing.F) {
	for _, name := range []string{"testdata/aegis_plain.json"} {
		data, _ := os.ReadFile(name)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Contains(data, []byte(`"slots":[`)) {
			return // scrypt costs are bounded and tested; keep the fuzzer fast
		}
		r, err := Decode(Aegis, data, nil)
		if err != nil {
			return
		}
		for _, k := range r.Keys {
			if err := k.Validate(); err != nil {
				t.Fatalf("invalid key accepted: %v", err)
			}
		}
	})
}

func FuzzDecodeOTPAuth(f *testing.F) {
	f.Add([]byte("# c\notpauth://totp/A:1?secret=JBSWY3DPEHPK3PXP\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(OTPAuth, data, nil)
		if err == nil && len(r.Keys) == 0 {
			t.Fatal("no error and no key")
		}
	})
}

func FuzzDecodeGoogle(f *testing.F) {
	f.Add([]byte("otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(Google, data, nil)
		if err == nil && len(r.Keys) == 0 {
			t.Fatal("no error and no key")
		}
	})
}
