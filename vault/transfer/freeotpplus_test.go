package transfer

import (
	"reflect"
	"strings"
	"testing"
)

func TestFreeOTPPlusSamples(t *testing.T) {
	order := []string{"WWE", "Air Canada", "Issuu", "Airbnb", "SPDX", "Deno"}
	checkImporterSampleOnce(t, oaSample{file: "freeotp_plus.json", format: FreeOTPPlus, issuers: order})
	// Its tokens.xml is FreeOTP 1's format: Detect names FreeOTP, and
	// FreeOTP+ reads it the same.
	checkImporterSampleOnce(t, oaSample{file: "freeotp_plus_internal.xml", format: FreeOTPPlus, detected: FreeOTP, issuers: order})
	xml := oaFile(t, "freeotp_plus_internal.xml")
	a, err1 := Decode(FreeOTP, xml, nil)
	b, err2 := Decode(FreeOTPPlus, xml, nil)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(describeKeys(a.Keys), describeKeys(b.Keys)) {
		t.Errorf("FreeOTP and FreeOTP+ read tokens.xml differently: %v %v", err1, err2)
	}
}

func TestFreeOTPPlusSniffClaimsOnlyItsFiles(t *testing.T) {
	oaCheckSniff(t, FreeOTPPlus, map[string]bool{"freeotp_plus.json": true})
}

// TestFreeOTPPlusExport: the order of "tokens", skips, and damaged
// exports (all-or-nothing, no secret in the error).
func TestFreeOTPPlusExport(t *testing.T) {
	const secret = `[-28,-110,112,-16,-46,31,54,92,-124,8,-8,-76,117,-59,38,124]`
	data := []byte(`{"tokenOrder":["B:b","A:a"],"tokens":[
		{"algo":"SHA1","counter":0,"digits":6,"issuerExt":"B","label":"b","period":30,"secret":` + secret + `,"type":"TOTP"},
		{"algo":"SHA512","counter":9,"digits":6,"issuerExt":"A","label":"a","period":30,"secret":` + secret + `,"type":"HOTP"},
		{"algo":"SHA1","counter":0,"digits":3,"issuerExt":"C","label":"c","period":30,"secret":` + secret + `,"type":"TOTP"}]}`)
	if ok, enc := sniffFreeOTPPlus(data); !ok || enc {
		t.Fatalf("sniff: %t %t", ok, enc)
	}
	r, err := Decode(FreeOTPPlus, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"totp|B|b|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
		"hotp|A|a|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA512|6|0|10",
	}
	if got := describeKeys(r.Keys); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if len(r.Skipped) != 1 || r.Skipped[0].Label != "C (c)" || !strings.Contains(r.Skipped[0].Reason, "digits") {
		t.Errorf("skipped %+v", r.Skipped)
	}
	for name, data := range map[string]string{
		"secret not bytes": `{"tokens":[{"digits":6,"issuerExt":"B","label":"b","secret":[-28,"x"],"type":"TOTP"}]}`,
		"counter negative": `{"tokens":[{"counter":-5,"digits":6,"issuerExt":"B","label":"b","secret":` + secret + `,"type":"HOTP"}]}`,
		"token not object": `{"tokens":[1]}`,
		"no tokens":        `{"tokens":[]}`,
		"not an export":    `{"hello":1}`,
		"truncated":        `{"tokens":[{"secret":[-28,-110`,
	} {
		if r, err := Decode(FreeOTPPlus, []byte(data), nil); err == nil {
			t.Errorf("%s: imported %d", name, len(r.Keys))
		} else if strings.Contains(err.Error(), "-110") {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
}

// FuzzDecodeFreeOTPPlus: no input makes the decoder panic, and a decoded
// file holds only valid keys.
func FuzzDecodeFreeOTPPlus(f *testing.F) {
	f.Add(oaFile(f, "freeotp_plus.json"))
	f.Add(oaFile(f, "freeotp_plus_internal.xml"))
	f.Add([]byte(`{"tokens":[{"algo":"SHA1","counter":1,"digits":6,"issuerExt":"Steam","label":"s","secret":[1,2,3],"type":"TOTP"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sniffFreeOTPPlus(data)
		r, err := decodeFreeOTPPlus(data, nil)
		if err != nil {
			return
		}
		for _, k := range r.Keys {
			if err := k.Validate(); err != nil {
				t.Fatalf("invalid key imported: %v", err)
			}
		}
	})
}
