package transfer

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAndOTPSamples(t *testing.T) {
	for _, c := range []oaSample{
		{file: "andotp_plain.json", format: AndOTP, issuers: oaOrder},
		{file: "andotp_encrypted.bin", format: AndOTP, encrypted: true, password: "test", issuers: oaOrder},
		// Old andOTP had no Steam accounts.
		{file: "andotp_encrypted_old.bin", format: AndOTP, encrypted: true, password: "test", issuers: oaOrder[:6]},
	} {
		oaCheckSample(t, c)
	}
}

func TestAndOTPSniffClaimsOnlyItsFiles(t *testing.T) {
	oaCheckSniff(t, AndOTP, map[string]bool{"andotp_plain.json": true, "andotp_encrypted.bin": true, "andotp_encrypted_old.bin": true})
}

// andotpSeal writes an andOTP backup of plain: the new layout with
// iterations, or the old one if iterations is 0.
func andotpSeal(t testing.TB, plain, password []byte, iterations uint32) []byte {
	t.Helper()
	var key, out []byte
	if iterations == 0 {
		k := sha256.Sum256(password)
		key = k[:]
	} else {
		salt := make([]byte, andotpSaltLen)
		rand.Read(salt)
		var err error
		if key, err = andotpPBKDF2(password, salt, int(iterations)); err != nil {
			t.Fatal(err)
		}
		out = binary.BigEndian.AppendUint32(nil, iterations)
		out = append(out, salt...)
	}
	nonce := make([]byte, andotpNonceLen)
	rand.Read(nonce)
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	return gcm.Seal(append(out, nonce...), nonce, plain, nil)
}

// TestAndOTPEntries: the label forms of old versions, types andOTP has and
// Countersign does not, parameters out of Countersign's range, tags, and
// damaged entries (all-or-nothing, no secret in the error).
func TestAndOTPEntries(t *testing.T) {
	r, err := decodeAndOTP([]byte(`[
		{"secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","label":"Deno - Mason","digits":6,"type":"TOTP","algorithm":"SHA1","period":30},
		{"secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","label":"alone","digits":6,"type":"TOTP","algorithm":"SHA1","period":30},
		{"secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","issuer":"Deno","label":"Deno:Mason","digits":6,"type":"TOTP","algorithm":"SHA1","period":30,"tags":["work"]},
		{"secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","issuer":"M","label":"motp","digits":6,"type":"MOTP","algorithm":"SHA1","period":10},
		{"secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","issuer":"Four","label":"digits","digits":4,"type":"TOTP","algorithm":"SHA1","period":30},
		{"secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","issuer":"Md5","label":"x","digits":6,"type":"TOTP","algorithm":"MD5","period":30}
	]`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := describeKeys(r.Keys)
	want := []string{
		"totp|Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
		"totp||alone|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
		"totp|Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q\nwant %q", got, want)
	}
	var labels []string
	for _, s := range r.Skipped {
		labels = append(labels, s.Label)
	}
	if strings.Join(labels, ",") != "M (motp),Four (digits),Md5 (x),andOTP tags" {
		t.Errorf("skipped %+v", r.Skipped)
	}

	for name, data := range map[string]string{
		"bad secret": `[{"secret":"4SJHB4GSD43FZBAI7C2HLRJGP!","issuer":"A","label":"a","digits":6,"type":"TOTP"}]`,
		"not a list": `[1, 2]`,
		"truncated":  `[{"secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ"`,
	} {
		if r, err := decodeAndOTP([]byte(data), nil); err == nil {
			t.Errorf("%s: imported %d", name, len(r.Keys))
		} else if strings.Contains(err.Error(), "4SJHB4GSD43FZBAI7C2HLRJGP") {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
}

// TestAndOTPHostileFiles: iteration counts out of bounds are not run (the
// reader falls back to the old layout and reports a wrong password at
// once); short and truncated files are refused; sealed backups of both
// layouts round-trip.
func TestAndOTPHostileFiles(t *testing.T) {
	plain := []byte(`[{"secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","issuer":"Deno","label":"Mason","digits":6,"type":"TOTP","algorithm":"SHA1","period":30}]`)
	for _, iter := range []uint32{0, 1000, andotpMinWritten} {
		data := andotpSeal(t, plain, []byte("pw"), iter)
		r, err := Decode(AndOTP, data, []byte("pw"))
		if err != nil || len(r.Keys) != 1 {
			t.Errorf("iterations %d: %v", iter, err)
		}
	}
	huge := andotpSeal(t, plain, []byte("pw"), andotpMinWritten)
	binary.BigEndian.PutUint32(huge, 0xfffffff0)
	start := time.Now()
	if _, err := Decode(AndOTP, huge, []byte("pw")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("huge iteration count: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("huge iteration count took %v", d)
	}
	for _, n := range []int{0, 5, andotpNonceLen + andotpTagLen - 1} {
		if _, err := Decode(AndOTP, make([]byte, n), []byte("pw")); err == nil {
			t.Errorf("%d bytes: no error", n)
		}
	}
	if _, err := Decode(AndOTP, huge[:len(huge)-1], []byte("pw")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("truncated: %v", err)
	}
	// A sealed backup is detected by its iteration count or, old, by its
	// randomness once it is long enough.
	for _, c := range []struct {
		data []byte
		ok   bool
	}{
		{andotpSeal(t, plain, []byte("pw"), andotpMinWritten), true},
		{andotpSeal(t, []byte("[]"), []byte("pw"), andotpMaxWritten), true},
		{andotpSeal(t, plain, []byte("pw"), 0), true},
		{andotpSeal(t, []byte("[]"), []byte("pw"), 0), false},
		{[]byte(strings.Repeat("\x00\x01\x02\x03", 100)), false},
	} {
		if ok, enc := sniffAndOTP(c.data); ok != c.ok || !enc {
			t.Errorf("sniff %d bytes: %t, %t", len(c.data), ok, enc)
		}
	}
}

// FuzzDecodeAndOTP: no input makes the decoder panic, and a decoded file
// holds only valid keys. The key derivation is made cheap.
func FuzzDecodeAndOTP(f *testing.F) {
	saved := andotpPBKDF2
	andotpPBKDF2 = func(password, salt []byte, _ int) ([]byte, error) {
		k := sha256.Sum256(append(append([]byte{}, password...), salt...))
		return k[:], nil
	}
	f.Cleanup(func() { andotpPBKDF2 = saved })
	for _, name := range []string{"andotp_plain.json", "andotp_encrypted.bin", "andotp_encrypted_old.bin"} {
		f.Add(oaFile(f, name))
	}
	f.Add([]byte(`[{"secret":"AAAA","issuer":"a","label":"b - c","type":"HOTP","counter":-1}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sniffAndOTP(data)
		for _, pw := range [][]byte{nil, []byte("test")} {
			r, err := decodeAndOTP(data, pw)
			if err != nil {
				continue
			}
			for _, k := range r.Keys {
				if err := k.Validate(); err != nil {
					t.Fatalf("invalid key imported: %v", err)
				}
			}
		}
	})
}

// TestAndOTPOldBackupStartingWithBracket: an old encrypted backup (no
// iteration count: its nonce comes first) whose random nonce starts with
// '[', or with white space and '[' (one backup in about 250), is still
// an encrypted backup: detected as one and opened with its password. It
// was taken for an unencrypted JSON backup and refused as damaged (and
// TestAndOTPHostileFiles failed now and then on it). A damaged
// unencrypted backup is still called damaged, not encrypted.
func TestAndOTPOldBackupStartingWithBracket(t *testing.T) {
	plain := []byte(`[{"secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","issuer":"Deno","label":"Mason","digits":6,"type":"TOTP","algorithm":"SHA1","period":30}]`)
	key := sha256.Sum256([]byte("pw"))
	block, _ := aes.NewCipher(key[:])
	gcm, _ := cipher.NewGCM(block)
	for _, start := range []string{"[", " [", "\n\t["} {
		nonce := make([]byte, andotpNonceLen)
		rand.Read(nonce)
		copy(nonce, start)
		data := gcm.Seal(append([]byte(nil), nonce...), nonce, plain, nil)
		if ok, enc := sniffAndOTP(data); !ok || !enc {
			t.Errorf("nonce starting %q: sniffed %t, %t; want an encrypted andOTP backup", start, ok, enc)
		}
		r, err := Decode(AndOTP, data, []byte("pw"))
		if err != nil || len(r.Keys) != 1 || r.Keys[0].Issuer != "Deno" || r.Keys[0].Name != "Mason" {
			t.Errorf("nonce starting %q: %+v, %v", start, r, err)
		}
	}
	damaged := []byte(`[{"secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","issuer":"Deno","label":"Mason","digits":6,"type":"TOTP","algorithm":"SHA1","period":30},{"secret":"JBSWY3DP`)
	if _, err := Decode(AndOTP, damaged, nil); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("a damaged unencrypted backup: %v", err)
	}
}
