package transfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/countersign/countersign/vault"
)

// bitwardenSteam is what a steam:// key carries: the secret alone; the
// item names the account ("Test Steam", "Test 4"), with no username.
func bitwardenSteam(item string) func(f []string) {
	return func(f []string) { f[1], f[2] = item, "" }
}

// The password-protected samples (password "test") were written with
// Python's cryptography package, not with this package, from
// importers/bitwarden.json, as Bitwarden's clients write them:
// bitwarden_protected_pbkdf2.json with PBKDF2 (5000 iterations),
// bitwarden_protected_argon2id.json with Argon2id (2 iterations, 16 MiB,
// parallelism 2).
func TestBitwardenSamples(t *testing.T) {
	dir := "testdata/importers/"
	totp := func(steamItem string) []string {
		return append(tfbwRows(t, nil, "Deno", "SPDX", "Airbnb"), tfbwRows(t, bitwardenSteam(steamItem), "Boeing")...)
	}
	for _, c := range []tfbwSample{
		{dir + "bitwarden.json", Bitwarden, false, "", totp("Test Steam")},
		{dir + "bitwarden.csv", BitwardenCSV, false, "", totp("Test 4")},
		{"testdata/bitwarden_protected_pbkdf2.json", Bitwarden, true, "test", totp("Test Steam")},
		{"testdata/bitwarden_protected_argon2id.json", Bitwarden, true, "test", totp("Test Steam")},
	} {
		tfbwCheck(t, c)
	}
}

func TestBitwardenSniffClaimsOnlyItsFiles(t *testing.T) {
	tfbwSniffOnlyOwn(t, Bitwarden, map[string]bool{"bitwarden.json": false})
	tfbwSniffOnlyOwn(t, BitwardenCSV, map[string]bool{"bitwarden.csv": false})
	for _, s := range []string{"", "{}", `{"encrypted": false}`, `{"items": []}`, `{"encrypted": true, "passwordProtected": true}`, `{"encrypted": "no", "items": []}`} {
		if ok, _ := sniffBitwarden([]byte(s)); ok {
			t.Errorf("JSON sniffer claims %q", s)
		}
	}
	for _, s := range []string{"", "name,login_totp\n", "a,b\nname,login_username,login_totp\n", "\x00name,login_username,login_totp"} {
		if ok, _ := sniffBitwardenCSV([]byte(s)); ok {
			t.Errorf("CSV sniffer claims %q", s)
		}
	}
}

func TestBitwardenRoundTrip(t *testing.T) {
	bitwardenExportIterations = bitwardenMinPBKDF2
	t.Cleanup(func() { bitwardenExportIterations = 600_000 })
	rng := rand.New(rand.NewPCG(3, 5))
	for round := range 6 {
		keys := tfbwRandomKeys(rng, 6+rng.IntN(20), []vault.Type{vault.TOTP, vault.Steam}, 1)
		for _, password := range []string{"", "pass phrase ünïcode"} {
			data, err := Encode(Bitwarden, keys, []byte(password))
			if err != nil {
				t.Fatal(err)
			}
			if d, err := Detect(data); err != nil || d.Format != Bitwarden || d.Encrypted != (password != "") {
				t.Fatalf("round %d: Detect = %+v, %v", round, d, err)
			}
			if password != "" && bytes.Contains(data, []byte(vault.EncodeSecret(keys[0].Secret))) {
				t.Fatal("a password-protected export holds a secret in clear")
			}
			r, err := Decode(Bitwarden, data, []byte(password))
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if got, want := describeKeys(r.Keys), describeKeys(keys); !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d (password %q):\n got %q\nwant %q", round, password, got, want)
			}
			if !reflect.DeepEqual(codes(t, r.Keys), codes(t, keys)) {
				t.Fatalf("round %d: codes differ", round)
			}
			if len(r.Skipped) != 0 {
				t.Fatalf("round %d: skipped %+v", round, r.Skipped)
			}
			if password != "" {
				_, err := Decode(Bitwarden, data, []byte("wrong"))
				if !errors.Is(err, ErrWrongPassphrase) {
					t.Fatalf("wrong password: %v", err)
				}
			}
		}
	}
	hotp := tfbwRandomKeys(rng, 1, []vault.Type{vault.HOTP}, 100)
	if _, err := Encode(Bitwarden, hotp, nil); err == nil || !strings.Contains(err.Error(), "cannot be exported to Bitwarden: Bitwarden makes only time-based codes") {
		t.Errorf("HOTP export: %v", err)
	}
	steam := tfbwRandomKeys(rng, 1, []vault.Type{vault.Steam}, 1)
	steam[0].Period = 60
	if _, err := Encode(Bitwarden, steam, nil); err == nil || !strings.Contains(err.Error(), "Steam codes change every 60 seconds") {
		t.Errorf("Steam export with a 60 s period: %v", err)
	}
	if !Bitwarden.CanExport() || BitwardenCSV.CanExport() || !TwoFAS.CanExport() {
		t.Error("CanExport")
	}
}

// TestBitwardenWrites: the file is laid out as Bitwarden's own exports.
func TestBitwardenWrites(t *testing.T) {
	var keys []vault.Key
	for _, uri := range []string{"otpauth://totp/Deno:Mason?secret=4SJHB4GSD43FZBAI7C2HLRJGPQ&issuer=Deno", "otpauth://steam/Steam:gaben?secret=JRZCL47CMXVOQMNPZR2F7J4RGI"} {
		k, err := vault.ParseURI(uri)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	data, err := Encode(Bitwarden, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Encrypted *bool `json:"encrypted"`
		Folders   []any `json:"folders"`
		Items     []struct {
			ID    string `json:"id"`
			Type  int    `json:"type"`
			Name  string `json:"name"`
			Login struct {
				Username string `json:"username"`
				TOTP     string `json:"totp"`
			} `json:"login"`
		} `json:"items"`
	}
	if err := json.Unmarshal(data, &f); err != nil || f.Encrypted == nil || *f.Encrypted || f.Folders == nil || len(f.Items) != 2 {
		t.Fatalf("%s: %v", data, err)
	}
	a, b := f.Items[0], f.Items[1]
	if len(a.ID) != 36 || a.Type != 1 || a.Name != "Deno" || a.Login.Username != "Mason" || !strings.HasPrefix(a.Login.TOTP, "otpauth://totp/Deno:Mason?secret=4SJHB4GSD43FZBAI7C2HLRJGPQ&") ||
		b.Name != "Steam" || b.Login.Username != "gaben" || b.Login.TOTP != "steam://JRZCL47CMXVOQMNPZR2F7J4RGI" {
		t.Errorf("%s", data)
	}
}

func TestBitwardenItems(t *testing.T) {
	export := func(items ...string) []byte {
		return []byte(`{"encrypted": false, "folders": [], "items": [` + strings.Join(items, ",") + `]}`)
	}
	item := func(name, username, totp string) string {
		b, _ := json.Marshal(map[string]any{"type": 1, "name": name, "login": map[string]any{"username": username, "totp": totp}})
		return string(b)
	}
	for name, c := range map[string]struct {
		data    []byte
		keys    []string
		skipped []string
		err     string
	}{
		"bare secret": {data: export(item("GitHub", "ada", "jbsw y3dp ehpk 3pxp")),
			keys: []string{"totp|GitHub|ada|JBSWY3DPEHPK3PXP|SHA1|6|30|0"}},
		"uri without issuer takes the item's name": {data: export(item("GitHub", "ada", "otpauth://totp/ada?secret=JBSWY3DPEHPK3PXP&digits=8")),
			keys: []string{"totp|GitHub|ada|JBSWY3DPEHPK3PXP|SHA1|8|30|0"}},
		"uri without a label": {data: export(item("GitHub", "ada", "otpauth://totp/?secret=JBSWY3DPEHPK3PXP")),
			keys: []string{"totp|GitHub|ada|JBSWY3DPEHPK3PXP|SHA1|6|30|0"}},
		"hotp uri": {data: export(item("Bank", "me", "otpauth://hotp/Bank:me?secret=JBSWY3DPEHPK3PXP&counter=5")),
			keys: []string{"hotp|Bank|me|JBSWY3DPEHPK3PXP|SHA1|6|0|5"}},
		"logins without a key, notes and cards are not accounts": {data: export(item("Mail", "me", ""), `{"type": 2, "name": "note", "secureNote": {"type": 0}}`, `{"type": 3, "name": "card", "login": null}`, item("A", "", "JBSWY3DPEHPK3PXP")),
			keys: []string{"totp|A||JBSWY3DPEHPK3PXP|SHA1|6|30|0"}},
		"a key that does not read is skipped": {data: export(item("Bad", "me", "4SJHB4GSD43FZBAI7C2HLRJGP!"), item("Worse", "", "https://example.com/?secret=4SJHB4GSD43FZBAI7C2HLRJGPQ"), item("A", "", "JBSWY3DPEHPK3PXP")),
			keys:    []string{"totp|A||JBSWY3DPEHPK3PXP|SHA1|6|30|0"},
			skipped: []string{"Bad: its authenticator key does not read (secret: is not valid base32 (character 26", "Worse: its authenticator key does not read (it is neither otpauth://"}},
		"no key at all":      {data: export(item("Mail", "me", "")), err: "holds no authenticator key"},
		"account restricted": {data: []byte(`{"encrypted": true, "encKeyValidation_DO_NOT_EDIT": "2.a|b|c", "folders": [], "items": [{"type": 1, "name": "2.x|y|z"}]}`), err: `"account restricted"`},
		"not an export":      {data: []byte(`{"items": []}`), err: "does not say whether it is encrypted"},
		"not json":           {data: []byte(`{"encrypted": false, "items": [`), err: "not a Bitwarden JSON export"},
	} {
		r, err := Decode(Bitwarden, c.data, nil)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := describeKeys(r.Keys); !reflect.DeepEqual(got, c.keys) {
			t.Errorf("%s:\n got %q\nwant %q", name, got, c.keys)
		}
		if len(r.Skipped) != len(c.skipped) {
			t.Errorf("%s: skipped %+v, want %q", name, r.Skipped, c.skipped)
			continue
		}
		for i, s := range r.Skipped {
			got := s.Label + ": " + s.Reason
			if !strings.HasPrefix(got, c.skipped[i]) || strings.Contains(got, "4SJHB4GSD43FZBAI7C2HLRJGP") {
				t.Errorf("%s: skipped %q, want %q and no secret", name, got, c.skipped[i])
			}
		}
	}
}

func TestBitwardenCSV(t *testing.T) {
	header := "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n"
	for name, c := range map[string]struct {
		data string
		keys []string
		err  string
	}{
		"quoted fields and a note on two lines": {data: "\xef\xbb\xbf" + header + `,,login,"GitHub, Inc.","line 1` + "\n" + `line 2",,0,https://github.com,ada,pw,"otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"` + "\n" + ",,note,Note,text,,0,,,,\n",
			keys: []string{"totp|GitHub|ada|JBSWY3DPEHPK3PXP|SHA1|6|30|0"}},
		"organisation export": {data: "collections,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\nteam,login,Steam,,,0,,gaben,,steam://JRZCL47CMXVOQMNPZR2F7J4RGI\n",
			keys: []string{"steam|Steam|gaben|JRZCL47CMXVOQMNPZR2F7J4RGI|SHA1|5|30|0"}},
		"a line with a column missing": {data: header + ",,login,A,,,0,,,\n", err: "wrong number of fields"},
		"no key":                       {data: header + ",,login,A,,,0,,u,p,\n", err: "holds no authenticator key"},
		"no totp column":               {data: "name,login_username\nA,u\n", err: "does not name the columns"},
	} {
		r, err := Decode(BitwardenCSV, []byte(c.data), nil)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := describeKeys(r.Keys); !reflect.DeepEqual(got, c.keys) || len(r.Skipped) != 0 {
			t.Errorf("%s:\n got %q %+v\nwant %q", name, got, r.Skipped, c.keys)
		}
	}
}

// TestBitwardenProtectedHostile: key derivation parameters out of bounds
// and damaged encrypted strings are refused before any costly work, and a
// changed ciphertext is damage, not a wrong password.
func TestBitwardenProtectedHostile(t *testing.T) {
	data := tfbwRead(t, "testdata/bitwarden_protected_pbkdf2.json")
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	with := func(change map[string]any) []byte {
		g := map[string]any{}
		for k, v := range f {
			g[k] = v
		}
		for k, v := range change {
			g[k] = v
		}
		out, _ := json.Marshal(g)
		return out
	}
	dataStr := f["data"].(string)
	iv, rest, _ := strings.Cut(dataStr, "|")
	tampered := iv + "|" + map[bool]string{true: "B", false: "A"}[rest[0] == 'A'] + rest[1:]
	for name, c := range map[string]struct {
		data    []byte
		want    string
		wrongPW bool
	}{
		"huge pbkdf2":      {with(map[string]any{"kdfIterations": 1 << 30}), "PBKDF2 iterations (1073741824) are out of range", false},
		"tiny pbkdf2":      {with(map[string]any{"kdfIterations": 1}), "out of range", false},
		"huge argon2":      {with(map[string]any{"kdfType": 1, "kdfIterations": 3, "kdfMemory": 1 << 20, "kdfParallelism": 4}), "Argon2id parameters are out of range", false},
		"argon2 no memory": {with(map[string]any{"kdfType": 1, "kdfIterations": 3}), "memory or parallelism is missing", false},
		"unknown kdf":      {with(map[string]any{"kdfType": 7}), "key derivation 7", false},
		"no salt":          {with(map[string]any{"salt": ""}), "salt is missing", false},
		"other enc type":   {with(map[string]any{"data": "0." + dataStr[2:]}), "data is not an encrypted string of type 2", false},
		"short mac":        {with(map[string]any{"encKeyValidation_DO_NOT_EDIT": "2.AAAAAAAAAAAAAAAAAAAAAA==|AAAAAAAAAAAAAAAAAAAAAA==|AAAA"}), "wrong-sized", false},
		"tampered data":    {with(map[string]any{"data": tampered}), "does not decrypt though the password is right", false},
		"wrong password":   {data, "wrong passphrase", true},
	} {
		pw := "test"
		if c.wrongPW {
			pw = "tset"
		}
		_, err := Decode(Bitwarden, c.data, []byte(pw))
		if err == nil || !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrWrongPassphrase) != c.wrongPW {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzBitwarden(f *testing.F) {
	f.Add(tfbwRead(f, "testdata/importers/bitwarden.json"))
	f.Add(tfbwRead(f, "testdata/bitwarden_protected_pbkdf2.json"))
	// Instrumented key derivation is slow: the fuzzer's exports cost 1
	// PBKDF2 iteration, or Argon2id's least (and the samples do not open).
	bitwardenMinPBKDF2, bitwardenExportIterations = 1, 1
	f.Cleanup(func() { bitwardenMinPBKDF2, bitwardenExportIterations = 5_000, 600_000 })
	cheap, err := Encode(Bitwarden, tfbwRandomKeys(rand.New(rand.NewPCG(1, 2)), 4, []vault.Type{vault.TOTP, vault.Steam}, 1), []byte("test"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cheap)
	f.Add([]byte(`{"encrypted": true, "passwordProtected": true, "salt": "c2FsdA==", "kdfType": 1, "kdfIterations": 1, "kdfMemory": 1, "kdfParallelism": 1, "encKeyValidation_DO_NOT_EDIT": "2.AAAAAAAAAAAAAAAAAAAAAA==|AAAAAAAAAAAAAAAAAAAAAA==|AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "data": "2.AAAAAAAAAAAAAAAAAAAAAA==|AAAAAAAAAAAAAAAAAAAAAA==|AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sniffBitwarden(data)
		var e bitwardenIn
		if json.Unmarshal(bytes.TrimPrefix(data, bitwardenBOM), &e) == nil && (e.KdfIterations > 1 || e.KdfMemory != nil && *e.KdfMemory > 1) {
			return // keep the fuzzer fast: the cost bounds are tested above
		}
		for _, pw := range [][]byte{nil, []byte("test")} {
			r, err := decodeBitwarden(data, pw)
			if err != nil {
				continue
			}
			if len(r.Keys) == 0 && len(r.Skipped) == 0 {
				t.Fatal("no error, no account and nothing skipped")
			}
			for _, k := range r.Keys {
				if err := k.Validate(); err != nil {
					t.Fatalf("invalid account accepted: %v", err)
				}
			}
		}
	})
}

func FuzzBitwardenCSV(f *testing.F) {
	f.Add(tfbwRead(f, "testdata/importers/bitwarden.csv"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sniffBitwardenCSV(data)
		r, err := decodeBitwardenCSV(data, nil)
		if err != nil {
			return
		}
		if len(r.Keys) == 0 && len(r.Skipped) == 0 {
			t.Fatal("no error, no account and nothing skipped")
		}
		for _, k := range r.Keys {
			if err := k.Validate(); err != nil {
				t.Fatalf("invalid account accepted: %v", err)
			}
		}
	})
}
