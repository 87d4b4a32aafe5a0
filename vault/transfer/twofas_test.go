package transfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/countersign/countersign/vault"
)

// tfbwReadme are the accounts of testdata/importers/README.md, by issuer
// (one row each), as describeKeys writes them. The helpers prefixed tfbw
// serve the 2FAS and Bitwarden tests.
var tfbwReadme = map[string]string{
	"Deno":       "totp|Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
	"SPDX":       "totp|SPDX|James|5OM4WOOGPLQEF6UGN3CPEOOLWU|SHA256|7|20|0",
	"Airbnb":     "totp|Airbnb|Elijah|7ELGJSGXNCCTV3O6LKJWYFV2RA|SHA512|8|50|0",
	"Issuu":      "hotp|Issuu|James|YOOMIXWS5GN6RTBPUFFWKTW5M4|SHA1|6|0|1",
	"Air Canada": "hotp|Air Canada|Benjamin|KUVJJOM753IHTNDSZVCNKL7GII|SHA256|7|0|50",
	"WWE":        "hotp|WWE|Mason|5VAML3X35THCEBVRLV24CGBKOY|SHA512|8|0|10300",
	"Boeing":     "steam|Boeing|Sophia|JRZCL47CMXVOQMNPZR2F7J4RGI|SHA1|5|30|0",
	"Battle.net": "totp|Battle.net|US-2211-2050-3346|BMGRXPGFARQQF4GMT25JATL2VYLAHDBI|SHA1|8|30|0",
}

// tfbwRows returns the README rows of the issuers, each changed by carry
// (what the format cannot hold) if given.
func tfbwRows(t testing.TB, carry func(f []string), issuers ...string) []string {
	t.Helper()
	var out []string
	for _, is := range issuers {
		row, ok := tfbwReadme[is]
		if !ok {
			t.Fatalf("no README account of issuer %q", is)
		}
		f := strings.Split(row, "|")
		if carry != nil {
			carry(f)
		}
		out = append(out, strings.Join(f, "|"))
	}
	return out
}

func tfbwRead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// tfbwSample is one sample file and what it holds.
type tfbwSample struct {
	file      string
	format    Format
	encrypted bool
	password  string
	want      []string // describeKeys of the accounts, in order
}

// tfbwCheck: Detect names the format and whether the file is encrypted;
// Decode imports exactly the accounts, every field, in order, skipping
// nothing, and their codes are the README accounts' codes; an encrypted
// file asks for a missing password and refuses a wrong one with
// ErrWrongPassphrase, without a secret in the message.
func tfbwCheck(t *testing.T, c tfbwSample) {
	t.Helper()
	data := tfbwRead(t, c.file)
	d, err := Detect(data)
	if err != nil || d.Format != c.format || d.Encrypted != c.encrypted {
		t.Errorf("%s: Detect = %+v, %v; want %s, encrypted %t", c.file, d, err, c.format, c.encrypted)
	}
	if got := Encrypted(c.format, data); got != c.encrypted {
		t.Errorf("%s: Encrypted = %t", c.file, got)
	}
	r, err := Decode(c.format, data, []byte(c.password))
	if err != nil {
		t.Errorf("%s: %v", c.file, err)
		return
	}
	if got := describeKeys(r.Keys); !reflect.DeepEqual(got, c.want) {
		t.Errorf("%s:\n got %q\nwant %q", c.file, got, c.want)
	}
	if len(r.Skipped) != 0 {
		t.Errorf("%s: skipped %+v", c.file, r.Skipped)
	}
	var want []vault.Key
	for _, row := range c.want {
		want = append(want, tfbwKey(t, row))
	}
	if len(r.Keys) == len(want) && !reflect.DeepEqual(codes(t, r.Keys), codes(t, want)) {
		t.Errorf("%s: codes differ from the README accounts'", c.file)
	}
	if !c.encrypted {
		return
	}
	if _, err := Decode(c.format, data, nil); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("%s without a password: %v", c.file, err)
	}
	_, err = Decode(c.format, data, []byte(c.password+"x"))
	if !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("%s with a wrong password: %v", c.file, err)
	}
	tfbwNoSecret(t, c.file, err, r.Keys)
}

// tfbwKey is the key a describeKeys row describes.
func tfbwKey(t testing.TB, row string) vault.Key {
	t.Helper()
	f := strings.Split(row, "|")
	var digits, period int
	var counter uint64
	fmt.Sscan(f[5], &digits)
	fmt.Sscan(f[6], &period)
	fmt.Sscan(f[7], &counter)
	secret, err := vault.DecodeSecret(f[3])
	if err != nil {
		t.Fatal(err)
	}
	return vault.Key{Params: vault.Params{Type: vault.Type(f[0]), Issuer: f[1], Name: f[2], Algorithm: vault.Algorithm(f[4]),
		Digits: digits, Period: period, Counter: counter}, Secret: secret}
}

// tfbwNoSecret fails if an error message holds a secret of keys (in
// base32, in any case).
func tfbwNoSecret(t *testing.T, what string, err error, keys []vault.Key) {
	t.Helper()
	if err == nil {
		return
	}
	msg := strings.ToUpper(err.Error())
	for _, k := range keys {
		if s := vault.EncodeSecret(k.Secret); strings.Contains(msg, s[:16]) {
			t.Errorf("%s: the error holds a secret: %v", what, err)
		}
	}
}

// tfbwOthers lists every sample file of other apps and the Aegis ones.
func tfbwOthers(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/importers/*")
	if err != nil {
		t.Fatal(err)
	}
	aegis, err := filepath.Glob("testdata/aegis_*.json")
	if err != nil {
		t.Fatal(err)
	}
	return append(files, aegis...)
}

// tfbwSniffOnlyOwn: a format's sniffer says yes to its own files (with
// whether each is encrypted) and no to every other one.
func tfbwSniffOnlyOwn(t *testing.T, f Format, own map[string]bool) {
	t.Helper()
	imp, ok := lookup(f)
	if !ok {
		t.Fatalf("format %s is not registered", f)
	}
	seen := 0
	for _, path := range tfbwOthers(t) {
		if filepath.Base(path) == "README.md" {
			continue
		}
		enc, mine := own[filepath.Base(path)]
		if mine {
			seen++
		}
		ok, gotEnc := imp.sniff(tfbwRead(t, path))
		if ok != mine || (mine && gotEnc != enc) {
			t.Errorf("%s sniffer on %s: %t (encrypted %t), want %t (encrypted %t)", f, path, ok, gotEnc, mine, enc)
		}
	}
	if seen != len(own) {
		t.Errorf("%s: %d of its %d sample files found", f, seen, len(own))
	}
}

// twofasSchema1 is what 2FAS's schema 1 holds: TOTP accounts, with no
// digits, period or algorithm (SHA1, 6 digits, 30 s).
func twofasSchema1(f []string) { f[0], f[4], f[5], f[6], f[7] = "totp", "SHA1", "6", "30", "0" }

// twofasSchema2 is what 2FAS's schema 2 holds: no token type (every
// account is TOTP); the sample's accounts that were HOTP elsewhere have no
// period (30 s) and no counter.
func twofasSchema2(f []string) {
	if f[0] == "hotp" {
		f[0], f[6], f[7] = "totp", "30", "0"
	}
}

func TestTwoFASSamples(t *testing.T) {
	dir := "testdata/importers/"
	all := []string{"Deno", "SPDX", "Airbnb", "Issuu", "Air Canada", "WWE"}
	v2 := []string{"Deno", "Airbnb", "Issuu", "WWE"}
	v4 := []string{"Deno", "Issuu", "Air Canada", "WWE", "Boeing"}
	for _, c := range []tfbwSample{
		{dir + "2fas_authenticator.json", TwoFAS, false, "", tfbwRows(t, twofasSchema1, all...)},
		{dir + "2fas_authenticator_plain.2fas", TwoFAS, false, "", tfbwRows(t, twofasSchema2, v2...)},
		{dir + "2fas_authenticator_encrypted.2fas", TwoFAS, true, "test", tfbwRows(t, twofasSchema2, v2...)},
		{dir + "2fas_authenticator_plain_v3.2fas", TwoFAS, false, "", tfbwRows(t, nil, all...)},
		{dir + "2fas_authenticator_encrypted_v3.2fas", TwoFAS, true, "test", tfbwRows(t, nil, all...)},
		{dir + "2fas_authenticator_plain_v4.2fas", TwoFAS, false, "", tfbwRows(t, nil, v4...)},
		{dir + "2fas_authenticator_encrypted_v4.2fas", TwoFAS, true, "test", tfbwRows(t, nil, v4...)},
	} {
		tfbwCheck(t, c)
	}
}

func TestTwoFASSniffClaimsOnlyItsFiles(t *testing.T) {
	tfbwSniffOnlyOwn(t, TwoFAS, map[string]bool{
		"2fas_authenticator.json": false, "2fas_authenticator_plain.2fas": false,
		"2fas_authenticator_plain_v3.2fas": false, "2fas_authenticator_plain_v4.2fas": false,
		"2fas_authenticator_encrypted.2fas": true, "2fas_authenticator_encrypted_v3.2fas": true,
		"2fas_authenticator_encrypted_v4.2fas": true,
	})
	for _, s := range []string{"", "{}", "[]", `{"schemaVersion": 4}`, `{"services": []}`, `{"schemaVersion": 4, "services": {}}`, "schemaVersion"} {
		if ok, _ := sniffTwoFAS([]byte(s)); ok {
			t.Errorf("sniffer claims %q", s)
		}
	}
}

// tfbwRandomKeys makes n keys of the given types, every algorithm, digits
// and labels with spaces, colons, unicode, no issuer or no name.
func tfbwRandomKeys(rng *rand.Rand, n int, types []vault.Type, maxCounter uint64) []vault.Key {
	issuers := []string{"GitHub", "ACME: Co", "jörg@example.com", "名前", "a b+c", "x%20y", ""}
	algs := []vault.Algorithm{vault.SHA1, vault.SHA256, vault.SHA512}
	var keys []vault.Key
	for i := range n {
		secret := make([]byte, 10+rng.IntN(55))
		for j := range secret {
			secret[j] = byte(rng.Uint32())
		}
		p := vault.Params{Type: types[i%len(types)], Issuer: issuers[rng.IntN(len(issuers))], Name: fmt.Sprintf("user%d", i),
			Algorithm: algs[(i/len(types))%len(algs)], Digits: 6 + rng.IntN(5), Period: 1 + rng.IntN(300), Counter: rng.Uint64N(maxCounter)}
		if i%11 == 10 {
			p.Issuer, p.Name = "Alone", "" // an issuer alone
		}
		if p.Type == vault.Steam {
			p.Period = vault.DefaultPeriod // as Steam has it
		}
		p.Normalize()
		keys = append(keys, vault.Key{Params: p, Secret: secret})
	}
	return keys
}

func TestTwoFASRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 4))
	every := []vault.Type{vault.TOTP, vault.HOTP, vault.Steam}
	for round := range 6 {
		keys := tfbwRandomKeys(rng, 9+rng.IntN(20), every, 1<<31)
		for _, password := range []string{"", "pass phrase ünïcode"} {
			data, err := Encode(TwoFAS, keys, []byte(password))
			if err != nil {
				t.Fatal(err)
			}
			if d, err := Detect(data); err != nil || d.Format != TwoFAS || d.Encrypted != (password != "") {
				t.Fatalf("round %d: Detect = %+v, %v", round, d, err)
			}
			if password != "" && bytes.Contains(data, []byte(vault.EncodeSecret(keys[0].Secret))) {
				t.Fatal("an encrypted backup holds a secret in clear")
			}
			r, err := Decode(TwoFAS, data, []byte(password))
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
		}
	}
	// The same account and issuer, or no issuer at all, come back as they were.
	for _, p := range []vault.Params{{Issuer: "Same", Name: "Same"}, {Name: "alone"}, {Issuer: "alone"}} {
		k := vault.Key{Params: p, Secret: []byte("0123456789")}
		k.Normalize()
		data, _ := Encode(TwoFAS, []vault.Key{k}, nil)
		r, err := Decode(TwoFAS, data, nil)
		if err != nil || !reflect.DeepEqual(describeKeys(r.Keys), describeKeys([]vault.Key{k})) {
			t.Errorf("%+v: %q, %v", p, describeKeys(r.Keys), err)
		}
	}
	big := vault.Key{Params: vault.Params{Type: vault.HOTP, Issuer: "I", Counter: 1 << 31}, Secret: []byte("0123456789")}
	big.Normalize()
	if _, err := Encode(TwoFAS, []vault.Key{big}, nil); err == nil || !strings.Contains(err.Error(), "counter") {
		t.Errorf("a counter 2FAS cannot keep: %v", err)
	}
}

// TestTwoFASWrites: the file is laid out as 2FAS's own schema 4 backups.
func TestTwoFASWrites(t *testing.T) {
	k, _ := vault.ParseURI("otpauth://hotp/Issuu:James?secret=YOOMIXWS5GN6RTBPUFFWKTW5M4&counter=7&digits=7&algorithm=SHA256")
	data, err := Encode(TwoFAS, []vault.Key{k}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if f["schemaVersion"] != 4.0 || f["appOrigin"] != "android" || f["groups"] == nil || f["servicesEncrypted"] != nil {
		t.Errorf("header: %s", data)
	}
	s := f["services"].([]any)[0].(map[string]any)
	otp := s["otp"].(map[string]any)
	if s["name"] != "Issuu" || s["secret"] != "YOOMIXWS5GN6RTBPUFFWKTW5M4" || otp["account"] != "James" || otp["issuer"] != "Issuu" ||
		otp["tokenType"] != "HOTP" || otp["counter"] != 7.0 || otp["digits"] != 7.0 || otp["algorithm"] != "SHA256" || otp["period"] != nil ||
		s["order"].(map[string]any)["position"] != 0.0 || s["icon"].(map[string]any)["label"].(map[string]any)["text"] != "IS" {
		t.Errorf("service: %s", data)
	}
}

func TestTwoFASServices(t *testing.T) {
	backup := func(schema int, services ...string) []byte {
		return fmt.Appendf(nil, `{"schemaVersion": %d, "services": [%s], "groups": []}`, schema, strings.Join(services, ","))
	}
	deno := `{"name": "Deno", "secret": "4SJHB4GSD43FZBAI7C2HLRJGPQ", "otp": {"account": "Mason", "issuer": "Deno"}, "order": {"position": 1}}`
	for name, c := range map[string]struct {
		data    []byte
		keys    []string
		skipped []string
		err     string
	}{
		"order by position": {data: backup(4, deno, `{"name": "A", "secret": "JBSWY3DPEHPK3PXP", "otp": {"tokenType": "TOTP"}, "order": {"position": 0}}`),
			keys: []string{"totp|A||JBSWY3DPEHPK3PXP|SHA1|6|30|0", "totp|Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0"}},
		"account from the label": {data: backup(2, `{"name": "Deno", "secret": "4SJHB4GSD43FZBAI7C2HLRJGPQ", "otp": {"label": "Deno:Mason", "issuer": "Deno"}}`),
			keys: []string{"totp|Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0"}},
		"renamed service": {data: backup(4, `{"name": "My Deno", "secret": "4SJHB4GSD43FZBAI7C2HLRJGPQ", "otp": {"account": "Mason", "issuer": "Deno", "digits": 8, "period": 60}}`),
			keys: []string{"totp|My Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|8|60|0"}},
		"hotp without a counter": {data: backup(3, `{"name": "H", "secret": "JBSWY3DPEHPK3PXP", "otp": {"tokenType": "hotp"}}`),
			keys: []string{"hotp|H||JBSWY3DPEHPK3PXP|SHA1|6|0|1"}},
		"unsupported algorithm and type": {data: backup(4, deno, `{"name": "X", "secret": "JBSWY3DPEHPK3PXP", "otp": {"algorithm": "SHA224"}}`, `{"name": "Y", "secret": "JBSWY3DPEHPK3PXP", "otp": {"tokenType": "YANDEX"}}`),
			keys: []string{"totp|Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0"}, skipped: []string{"X: it uses SHA224", "Y: 2FAS \"YANDEX\" codes"}},
		"groups": {data: []byte(`{"schemaVersion": 4, "services": [` + strings.Replace(deno, `"order"`, `"groupId": "g1", "order"`, 1) + `], "groups": [{"id": "g1", "name": "Work"}]}`),
			keys: []string{"totp|Deno|Mason|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0"}, skipped: []string{"2FAS groups: Countersign does not keep them"}},
		"bad secret":      {data: backup(4, `{"name": "Bad", "secret": "4SJHB4GSD43FZBAI7C2HLRJGP!", "otp": {}}`, deno), err: `2FAS account 1 (Bad): secret: is not valid base32 (character 26`},
		"bad digits":      {data: backup(4, `{"name": "Bad", "secret": "JBSWY3DPEHPK3PXP", "otp": {"digits": 12}}`), err: "2FAS account 1 (Bad): digits: 12 is out of range"},
		"no name":         {data: backup(4, `{"secret": "JBSWY3DPEHPK3PXP", "otp": {}}`), err: "name: is missing"},
		"unknown algo":    {data: backup(4, `{"name": "M", "secret": "JBSWY3DPEHPK3PXP", "otp": {"algorithm": "MD5"}}`), err: `algorithm: "MD5" is not supported`},
		"negative number": {data: backup(4, `{"name": "M", "secret": "JBSWY3DPEHPK3PXP", "otp": {"period": -30}}`), err: "negative digits or period"},
		"newer schema":    {data: backup(5, deno), err: "schema version 5; Countersign reads versions 1 to 4: update Countersign"},
		"no schema":       {data: []byte(`{"services": [` + deno + `]}`), err: "not a 2FAS backup (it has no schemaVersion)"},
		"empty":           {data: backup(4), err: "holds no account"},
		"not json":        {data: []byte(`{"schemaVersion": 4, "services": [`), err: "not a 2FAS backup"},
	} {
		r, err := Decode(TwoFAS, c.data, nil)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", name, err, c.err)
			}
			if err != nil && strings.Contains(err.Error(), "4SJHB4GSD43FZBAI7C2HLRJGP") {
				t.Errorf("%s: the error holds the secret: %v", name, err)
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
		var skipped []string
		for _, s := range r.Skipped {
			skipped = append(skipped, s.Label+": "+s.Reason)
		}
		if len(skipped) != len(c.skipped) {
			t.Errorf("%s: skipped %q, want %q", name, skipped, c.skipped)
			continue
		}
		for i := range skipped {
			if !strings.HasPrefix(skipped[i], c.skipped[i]) {
				t.Errorf("%s: skipped %q, want %q", name, skipped[i], c.skipped[i])
			}
		}
	}
}

// TestTwoFASEncryptedDamage: a damaged encrypted backup is named damaged,
// not a wrong password, when its reference opens; without a reference, a
// wrong password is still ErrWrongPassphrase.
func TestTwoFASEncryptedDamage(t *testing.T) {
	data := tfbwRead(t, "testdata/importers/2fas_authenticator_encrypted_v4.2fas")
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	with := func(change func(map[string]any)) []byte {
		g := map[string]any{}
		for k, v := range f {
			g[k] = v
		}
		change(g)
		out, _ := json.Marshal(g)
		return out
	}
	enc := f["servicesEncrypted"].(string)
	flipped := []byte(enc)
	flipped[10] = map[bool]byte{true: 'B', false: 'A'}[flipped[10] == 'A']
	for name, c := range map[string]struct {
		data     []byte
		password string
		want     string
		wrongPW  bool
	}{
		"tampered accounts":            {with(func(g map[string]any) { g["servicesEncrypted"] = string(flipped) }), "test", "do not decrypt though the password is right", false},
		"no reference, wrong password": {with(func(g map[string]any) { delete(g, "reference") }), "nope", "wrong passphrase", true},
		"two parts":                    {with(func(g map[string]any) { g["servicesEncrypted"] = enc[:strings.LastIndex(enc, ":")] }), "test", "is not ciphertext:salt:iv", false},
		"short iv":                     {with(func(g map[string]any) { g["servicesEncrypted"] = enc[:strings.LastIndex(enc, ":")] + ":AAAA" }), "test", "wrong-sized salt, IV or ciphertext", false},
		"not base64":                   {with(func(g map[string]any) { g["reference"] = "!!:!!:!!" }), "test", "reference is not base64", false},
	} {
		_, err := Decode(TwoFAS, c.data, []byte(c.password))
		if err == nil || !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrWrongPassphrase) != c.wrongPW {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Without a reference the right password still opens it.
	r, err := Decode(TwoFAS, with(func(g map[string]any) { delete(g, "reference") }), []byte("test"))
	if err != nil || len(r.Keys) != 5 {
		t.Errorf("no reference: %d keys, %v", len(r.Keys), err)
	}
}

func FuzzTwoFAS(f *testing.F) {
	for _, name := range []string{"2fas_authenticator.json", "2fas_authenticator_plain.2fas", "2fas_authenticator_plain_v3.2fas",
		"2fas_authenticator_plain_v4.2fas", "2fas_authenticator_encrypted_v4.2fas"} {
		f.Add(tfbwRead(f, "testdata/importers/"+name))
	}
	// Instrumented PBKDF2 is slow: the fuzzer's backups cost 1 iteration
	// (and the real samples do not open).
	twofasIterations = 1
	f.Cleanup(func() { twofasIterations = 10_000 })
	cheap, err := Encode(TwoFAS, tfbwRandomKeys(rand.New(rand.NewPCG(1, 2)), 4, []vault.Type{vault.TOTP, vault.HOTP, vault.Steam}, 100), []byte("test"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cheap)
	f.Fuzz(func(t *testing.T, data []byte) {
		sniffTwoFAS(data)
		for _, pw := range [][]byte{nil, []byte("test")} {
			r, err := decodeTwoFAS(data, pw)
			if err != nil {
				if strings.Contains(strings.ToUpper(err.Error()), "4SJHB4GSD43FZBAI7C2HLRJGPQ") {
					t.Fatalf("the error holds a secret: %v", err)
				}
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
