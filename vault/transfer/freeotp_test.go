package transfer

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"strings"
	"testing"
	"time"
)

// FreeOTP 2 backups are a HashMap: accounts come by issuer, then name.
var freeotpV2Order = []string{"Air Canada", "Airbnb", "Deno", "Issuu", "SPDX", "WWE"}

func TestFreeOTPSamples(t *testing.T) {
	samples := []oaSample{
		{file: "freeotp.xml", format: FreeOTP, issuers: []string{"WWE", "Issuu", "Airbnb", "Deno"}},
		// FreeOTP+ kept FreeOTP 1's tokens.xml; Detect names FreeOTP,
		// which reads it (see also TestFreeOTPPlusSamples).
		{file: "freeotp_plus_internal.xml", format: FreeOTP, issuers: []string{"WWE", "Air Canada", "Issuu", "Airbnb", "SPDX", "Deno"}},
		{file: "freeotp_v2_null_algo.xml", format: FreeOTP, encrypted: true, password: "test", issuers: []string{"Deno"}},
	}
	for _, f := range []string{"freeotp_v2_api23.xml", "freeotp_v2_api25.xml", "freeotp_v2_api27.xml", "freeotp_v2_api34.xml"} {
		samples = append(samples, oaSample{file: f, format: FreeOTP, encrypted: true, password: "test", issuers: freeotpV2Order})
	}
	for _, c := range samples {
		checkImporterSampleOnce(t, c)
	}
}

// checkImporterSampleOnce runs oaCheckSample in a subtest named after the
// file.
func checkImporterSampleOnce(t *testing.T, c oaSample) {
	t.Run(c.file, func(t *testing.T) { oaCheckSample(t, c) })
}

func TestFreeOTPSniffClaimsOnlyItsFiles(t *testing.T) {
	oaCheckSniff(t, FreeOTP, map[string]bool{
		"freeotp.xml": true, "freeotp_v2_api23.xml": true, "freeotp_v2_api25.xml": true, "freeotp_v2_api27.xml": true,
		"freeotp_v2_api34.xml": true, "freeotp_v2_null_algo.xml": true,
		// The same file format as FreeOTP 1's (see TestFreeOTPSamples).
		"freeotp_plus_internal.xml": true,
	})
}

// freeotpPrefsXML writes a tokens.xml of the given strings.
func freeotpPrefsXML(pairs ...string) []byte {
	var b strings.Builder
	b.WriteString("<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n")
	for i := 0; i < len(pairs); i += 2 {
		v := strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;").Replace(pairs[i+1])
		b.WriteString(`    <string name="` + pairs[i] + `">` + v + "</string>\n")
	}
	b.WriteString("</map>\n")
	return []byte(b.String())
}

// TestFreeOTPTokens: order, renamed labels, Steam by issuer, the counter
// of the next code, types and parameters Countersign cannot keep, other
// settings, and damaged tokens (all-or-nothing, no secret in the error).
func TestFreeOTPTokens(t *testing.T) {
	// Secret bytes of 4SJHB4GSD43FZBAI7C2HLRJGPQ.
	const secret = `[-28,-110,112,-16,-46,31,54,92,-124,8,-8,-76,117,-59,38,124]`
	data := freeotpPrefsXML(
		"b", `{"algo":"SHA1","counter":0,"digits":6,"issuerExt":"B","label":"b","period":30,"secret":`+secret+`,"type":"TOTP"}`,
		"a", `{"algo":"SHA256","counter":41,"digits":8,"issuerExt":"A","issuerAlt":"Renamed","label":"a","labelAlt":"me","secret":`+secret+`,"type":"HOTP"}`,
		"Steam:s", `{"algo":"SHA1","digits":5,"issuerExt":"Steam","label":"s","period":30,"secret":`+secret+`,"type":"TOTP"}`,
		"x", `{"algo":"MD5","digits":6,"issuerExt":"X","label":"x","period":30,"secret":`+secret+`,"type":"TOTP"}`,
		"y", `{"algo":"SHA1","digits":6,"issuerExt":"Y","label":"y","period":30,"secret":`+secret+`,"type":"YAOTP"}`,
		"tokenOrder", `["a","gone","b"]`,
	)
	if ok, enc := sniffFreeOTP(data); !ok || enc {
		t.Fatalf("sniff: %t %t", ok, enc)
	}
	r, err := Decode(FreeOTP, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"hotp|Renamed|me|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA256|8|0|42",
		"totp|B|b|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
		"steam|Steam|s|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|5|30|0",
	}
	if got := describeKeys(r.Keys); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if len(r.Skipped) != 2 || r.Skipped[0].Label != "X (x)" || r.Skipped[1].Label != "Y (y)" {
		t.Errorf("skipped %+v", r.Skipped)
	}

	// Another setting beside the tokens: read, but not claimed by the sniffer.
	other := freeotpPrefsXML("tokenOrder", `["b"]`, "theme", "dark",
		"b", `{"algo":"SHA1","digits":6,"issuerExt":"B","label":"b","period":30,"secret":`+secret+`,"type":"TOTP"}`)
	if ok, _ := sniffFreeOTP(other); ok {
		t.Error("sniffer claims a map with other settings")
	}
	if r, err := Decode(FreeOTP, other, nil); err != nil || len(r.Keys) != 1 {
		t.Errorf("other settings: %v", err)
	}

	for name, data := range map[string][]byte{
		"secret not bytes": freeotpPrefsXML("tokenOrder", `["b"]`, "b", `{"digits":6,"issuerExt":"B","label":"b","secret":[-28,-110,900,-16],"type":"TOTP"}`),
		"no secret":        freeotpPrefsXML("tokenOrder", `["b"]`, "b", `{"digits":6,"issuerExt":"B","label":"b","secret":[],"type":"TOTP"}`),
		"digits a string":  freeotpPrefsXML("tokenOrder", `["b"]`, "b", `{"digits":"six","issuerExt":"B","label":"b","secret":`+secret+`,"type":"TOTP"}`),
		"listed not token": freeotpPrefsXML("tokenOrder", `["b"]`, "b", `{"hello":1}`),
		"bad order":        freeotpPrefsXML("tokenOrder", `{}`),
		"no accounts":      freeotpPrefsXML("tokenOrder", `[]`),
		"not xml":          []byte("hello"),
	} {
		if r, err := Decode(FreeOTP, data, nil); err == nil {
			t.Errorf("%s: imported %d", name, len(r.Keys))
		} else if strings.Contains(err.Error(), "-110") {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
}

// jserStr writes a serialised string.
func jserStr(s string) []byte {
	return append([]byte{jserString, byte(len(s) >> 8), byte(len(s))}, s...)
}

// jserHashMap writes a serialised java.util.HashMap of strings, as
// Android's ObjectOutputStream does.
func jserHashMap(pairs ...string) []byte {
	b := []byte{0xac, 0xed, 0x00, 0x05, jserObject, jserClassDesc, 0, 17}
	b = append(b, "java.util.HashMap"...)
	b = append(b, 0x05, 0x07, 0xda, 0xc1, 0xc3, 0x16, 0x60, 0xd1, jserSerializable|jserWriteMethod, 0, 1, 'F', 0, 10)
	b = append(b, "loadFactor"...)
	b = append(b, jserEndBlockData, jserNull, 0x3f, 0x40, 0, 0, jserBlockData, 8)
	b = binary.BigEndian.AppendUint32(b, 16)
	b = binary.BigEndian.AppendUint32(b, uint32(len(pairs)/2))
	for _, p := range pairs {
		b = append(b, jserStr(p)...)
	}
	return append(b, jserEndBlockData)
}

// TestFreeOTPSerialisation: the Java reader reads what it must (long
// strings, references, non-string values left out) and refuses what is
// damaged or hostile without panicking.
func TestFreeOTPSerialisation(t *testing.T) {
	// 😀 as Java writes it (two surrogates) and as UTF-8 writes it.
	m, err := freeotpReadHashMap(jserHashMap("a", "1", "é€\xed\xa0\xbd\xed\xb8\x80", "😀"))
	if err != nil || len(m) != 2 || m[1] != [2]string{"é€😀", "😀"} {
		t.Fatalf("%q, %v", m, err)
	}
	// A reference to the first key (handle 0x7e0002: class, map, "a").
	ref := jserHashMap("a", "1", "b", "2")
	i := bytes.LastIndex(ref, jserStr("2"))
	ref = append(append(ref[:i:i], jserReference, 0x00, 0x7e, 0x00, 0x02), jserEndBlockData)
	if m, err := freeotpReadHashMap(ref); err != nil || m[1] != [2]string{"b", "a"} {
		t.Errorf("reference: %q, %v", m, err)
	}
	long := jserHashMap("k", "v")
	i = bytes.LastIndex(long, jserStr("v"))
	long = append(append(long[:i:i], jserLongString, 0, 0, 0, 0, 0, 0, 0, 3), "xyz"...)
	long = append(long, jserEndBlockData)
	if m, err := freeotpReadHashMap(long); err != nil || m[0] != [2]string{"k", "xyz"} {
		t.Errorf("long string: %q, %v", m, err)
	}
	good := jserHashMap("a", "1")
	for name, data := range map[string][]byte{
		"empty":          nil,
		"magic only":     {0xac, 0xed, 0x00, 0x05},
		"truncated":      good[:len(good)-3],
		"size mismatch":  bytes.Replace(good, []byte{0, 0, 0, 1, jserString}, []byte{0, 0, 0, 2, jserString}, 1),
		"bad reference":  append(good[:len(good)-1:len(good)-1], jserReference, 0x00, 0x7e, 0x10, 0x00, jserEndBlockData),
		"huge long str":  append(good[:len(good)-1:len(good)-1], jserLongString, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
		"deep nesting":   append([]byte{0xac, 0xed, 0x00, 0x05}, bytes.Repeat([]byte{jserObject, jserClassDesc, 0, 1, 'X', 0, 0, 0, 0, 0, 0, 0, 0, jserSerializable, 0, 1, 'L', 0, 1, 'f', jserString, 0, 1, 'X', jserEndBlockData, jserNull}, 200)...),
		"array":          {0xac, 0xed, 0x00, 0x05, 0x75},
		"not a hash map": append([]byte{0xac, 0xed, 0x00, 0x05}, jserStr("hello")...),
	} {
		if m, err := freeotpReadHashMap(data); err == nil {
			t.Errorf("%s: %q", name, m)
		}
	}
}

// TestFreeOTPBackupHostile: a backup asking for too many iterations is
// refused before any key derivation; damaged master keys and accounts are
// refused with a message, not a panic.
func TestFreeOTPBackupHostile(t *testing.T) {
	data := oaFile(t, "freeotp_v2_null_algo.xml")
	m, err := freeotpReadHashMap(data)
	if err != nil {
		t.Fatal(err)
	}
	rebuild := func(edit func(k, v string) string) []byte {
		var pairs []string
		for _, e := range m {
			pairs = append(pairs, e[0], edit(e[0], e[1]))
		}
		return jserHashMap(pairs...)
	}
	if r, err := Decode(FreeOTP, rebuild(func(_, v string) string { return v }), []byte("test")); err != nil || len(r.Keys) != 1 {
		t.Fatalf("rebuilt sample: %v", err)
	}
	start := time.Now()
	for name, c := range map[string]struct {
		key, from, to string
		wrong         bool
	}{
		"too many iterations": {"masterKey", `"mIterations":100000`, `"mIterations":2000000000`, false},
		"no iterations":       {"masterKey", `"mIterations":100000`, `"mIterations":0`, false},
		"unknown kdf":         {"masterKey", `PBKDF2withHmacSHA512`, `scrypt`, false},
		"other cipher":        {"masterKey", `AES/GCM/NoPadding`, `AES/CBC/PKCS5Padding`, false},
		"bad parameters":      {"masterKey", `"mParameters":[48,17,4,12`, `"mParameters":[48,17,4,40`, false},
		"wrapped key changed": {"masterKey", `"mCipherText":[-46`, `"mCipherText":[-45`, true},
		"secret changed":      {"f8cf4725-4972-4bb5-8dff-c9cb7a0d59ac", `mCipherText\":[-92`, `mCipherText\":[-91`, false},
		"token damaged":       {"f8cf4725-4972-4bb5-8dff-c9cb7a0d59ac-token", `{`, `[`, false},
	} {
		data := rebuild(func(k, v string) string {
			if k == c.key {
				if !strings.Contains(v, c.from) {
					t.Fatalf("%s: %q not in %s", name, c.from, k)
				}
				return strings.Replace(v, c.from, c.to, 1)
			}
			return v
		})
		_, err := Decode(FreeOTP, data, []byte("test"))
		if err == nil || errors.Is(err, ErrWrongPassphrase) != c.wrong {
			t.Errorf("%s: %v", name, err)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	noMaster := jserHashMap("x", "y")
	if _, err := Decode(FreeOTP, noMaster, []byte("test")); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Errorf("no master key: %v", err)
	}
}

// FuzzDecodeFreeOTP: no input makes the decoder panic, and a decoded file
// holds only valid keys. The key derivation is made cheap.
func FuzzDecodeFreeOTP(f *testing.F) {
	saved := freeotpPBKDF2
	freeotpPBKDF2 = func(_ func() hash.Hash, password, salt []byte, _ int) ([]byte, error) {
		k := sha256.Sum256(append(append([]byte{}, password...), salt...))
		return k[:], nil
	}
	f.Cleanup(func() { freeotpPBKDF2 = saved })
	for _, name := range []string{"freeotp.xml", "freeotp_plus_internal.xml", "freeotp_v2_null_algo.xml", "freeotp_v2_api23.xml"} {
		f.Add(oaFile(f, name))
	}
	f.Add(jserHashMap("masterKey", `{"mAlgorithm":"PBKDF2withHmacSHA1","mIterations":1,"mSalt":[1],"mEncryptedKey":{"mCipher":"AES/GCM/NoPadding","mCipherText":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16],"mParameters":[48,17,4,12,1,2,3,4,5,6,7,8,9,10,11,12,2,1,16],"mToken":"AES"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sniffFreeOTP(data)
		for _, pw := range [][]byte{nil, []byte("test")} {
			r, err := decodeFreeOTP(data, pw)
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
