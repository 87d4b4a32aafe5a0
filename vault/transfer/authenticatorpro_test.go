package transfer

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestAuthenticatorProSamples(t *testing.T) {
	for _, c := range []oaSample{
		{file: "stratum_plain.json", format: AuthenticatorPro, issuers: oaOrder},
		{file: "stratum_encrypted.bin", format: AuthenticatorPro, encrypted: true, password: "test", issuers: oaOrder},
		{file: "stratum_encrypted_legacy.bin", format: AuthenticatorPro, encrypted: true, password: "test", issuers: oaOrder},
		{file: "stratum_internal.db", format: AuthenticatorPro, issuers: oaOrder},
	} {
		checkImporterSampleOnce(t, c)
	}
}

func TestAuthenticatorProSniffClaimsOnlyItsFiles(t *testing.T) {
	oaCheckSniff(t, AuthenticatorPro, map[string]bool{
		"stratum_plain.json": true, "stratum_encrypted.bin": true, "stratum_encrypted_legacy.bin": true, "stratum_internal.db": true,
	})
}

// TestAuthenticatorProEntries: the app's order, types and algorithms
// Countersign does not have, categories and icons, and damaged backups
// (all-or-nothing, no secret in the error).
func TestAuthenticatorProEntries(t *testing.T) {
	data := []byte(`{"Authenticators":[
		{"Type":2,"Issuer":"B","Username":"b","Secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","Algorithm":0,"Digits":6,"Period":30,"Counter":0,"Ranking":2},
		{"Type":1,"Issuer":"A","Username":null,"Secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","Algorithm":2,"Digits":8,"Period":30,"Counter":7,"Ranking":1},
		{"Type":3,"Issuer":"M","Username":"m","Secret":"abcd","Pin":"1234","Algorithm":0,"Digits":6,"Period":10,"Counter":0,"Ranking":0},
		{"Type":5,"Issuer":"Y","Username":"y","Secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","Algorithm":0,"Digits":8,"Period":30,"Counter":0,"Ranking":3},
		{"Type":2,"Issuer":"Z","Username":"z","Secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","Algorithm":7,"Digits":6,"Period":30,"Counter":0,"Ranking":4},
		{"Type":2,"Issuer":"P","Username":"p","Secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","Algorithm":0,"Digits":6,"Period":0,"Counter":0,"Ranking":5}],
		"Categories":[{"Id":"x","Name":"Work"}],"AuthenticatorCategories":[],"CustomIcons":[]}`)
	r, err := Decode(AuthenticatorPro, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"hotp|A||4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA512|8|0|7",
		"totp|B|b|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
		"totp|P|p|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
	}
	if got := describeKeys(r.Keys); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	var labels []string
	for _, s := range r.Skipped {
		labels = append(labels, s.Label)
	}
	if strings.Join(labels, ",") != "M (m),Y (y),Z (z),Authenticator Pro categories" {
		t.Errorf("skipped %+v", r.Skipped)
	}
	for name, data := range map[string]string{
		"bad secret":     `{"Authenticators":[{"Type":2,"Issuer":"B","Secret":"4SJHB4GSD43FZBAI7C2HLRJGP!","Algorithm":0,"Digits":6,"Period":30}]}`,
		"no secret":      `{"Authenticators":[{"Type":2,"Issuer":"B","Algorithm":0,"Digits":6,"Period":30}]}`,
		"negative count": `{"Authenticators":[{"Type":1,"Issuer":"B","Secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ","Counter":-1}]}`,
		"type text":      `{"Authenticators":[{"Type":"totp","Issuer":"B","Secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ"}]}`,
		"not a backup":   `{"hello":1}`,
		"truncated":      `{"Authenticators":[{"Secret":"4SJHB4GSD43FZBAI7C2HLRJGPQ"`,
	} {
		if r, err := Decode(AuthenticatorPro, []byte(data), nil); err == nil {
			t.Errorf("%s: imported %d", name, len(r.Keys))
		} else if strings.Contains(err.Error(), "4SJHB4GSD43FZBAI7C2HLRJGP") {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
}

// authproCheapKDFs makes the key derivations cheap for the rest of a test.
func authproCheapKDFs(t testing.TB) {
	strong, legacy := authproKDF, authproLegacyKDF
	authproKDF = func(password, salt []byte) []byte {
		k := sha256.Sum256(append(append([]byte{}, password...), salt...))
		return k[:]
	}
	authproLegacyKDF = func(password, salt []byte) ([]byte, error) { return authproKDF(password, salt), nil }
	t.Cleanup(func() { authproKDF, authproLegacyKDF = strong, legacy })
}

// authproSealLegacy writes a legacy backup of plain, padded with pad.
func authproSealLegacy(password, plain []byte) []byte {
	salt := make([]byte, authproLegacySaltLen)
	iv := make([]byte, authproLegacyIVLen)
	rand.Read(salt)
	rand.Read(iv)
	key, _ := authproLegacyKDF(password, salt)
	block, _ := aes.NewCipher(key)
	n := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(append([]byte{}, plain...), bytes.Repeat([]byte{byte(n)}, n)...)
	out := append(append(append([]byte{}, authproLegacyHeader...), salt...), iv...)
	ct := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, padded)
	return append(out, ct...)
}

// TestAuthenticatorProLegacyWrongPassword: CBC has no authentication, so
// a plaintext that is not the backup's JSON (what a wrong key gives even
// when its padding happens to be right) is a wrong password; a file of
// the wrong length is damaged.
func TestAuthenticatorProLegacyWrongPassword(t *testing.T) {
	authproCheapKDFs(t)
	good := authproSealLegacy([]byte("pw"), []byte(`{"Authenticators":[]}`))
	if r, err := Decode(AuthenticatorPro, good, []byte("pw")); err != nil || len(r.Keys) != 0 {
		t.Fatalf("sealed: %v", err)
	}
	for name, data := range map[string][]byte{
		"not json":      authproSealLegacy([]byte("pw"), []byte("\x93garbage that decrypted")),
		"json no auths": authproSealLegacy([]byte("pw"), []byte(`{"x":1}`)),
	} {
		if _, err := Decode(AuthenticatorPro, data, []byte("pw")); !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Decode(AuthenticatorPro, good[:len(good)-1], []byte("pw")); err == nil || errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong length: %v", err)
	}
	if _, err := Decode(AuthenticatorPro, authproHeader, []byte("pw")); err == nil {
		t.Error("a bare header decodes")
	}
}

// authproDB builds a database with statements and returns its bytes.
func authproDB(t *testing.T, stmts ...string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.db3")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	db.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

const authproTable = `CREATE TABLE "authenticator" (
"type" integer ,
"icon" varchar ,
"issuer" varchar(32) ,
"username" varchar(40) ,
"secret" varchar primary key not null ,
"pin" varchar ,
"algorithm" integer ,
"digits" integer ,
"period" integer ,
"counter" integer ,
"ranking" integer )`

// TestAuthenticatorProDatabase: the ranking orders the accounts; a WAL
// header is read; a view or a generated column (expressions from the
// file), oversized values, missing columns, text where numbers belong and
// damaged files are refused; the user's file is never opened (only a
// private copy) and no copy is left behind.
func TestAuthenticatorProDatabase(t *testing.T) {
	data := authproDB(t, authproTable,
		`INSERT INTO authenticator VALUES (2,NULL,'B','b','4SJHB4GSD43FZBAI7C2HLRJGPQ',NULL,0,6,30,0,5)`,
		`INSERT INTO authenticator VALUES (1,NULL,'A','a','YOOMIXWS5GN6RTBPUFFWKTW5M4',NULL,'1','7',30,'50',1)`,
		`INSERT INTO authenticator VALUES (5,NULL,'Y','y','JRZCL47CMXVOQMNPZR2F7J4RGI',NULL,0,8,30,0,0)`)
	if ok, enc := sniffAuthenticatorPro(data); !ok || enc {
		t.Fatalf("sniff: %t %t", ok, enc)
	}
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "countersign-import-*"))
	r, err := Decode(AuthenticatorPro, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"hotp|A|a|YOOMIXWS5GN6RTBPUFFWKTW5M4|SHA256|7|0|50",
		"totp|B|b|4SJHB4GSD43FZBAI7C2HLRJGPQ|SHA1|6|30|0",
	}
	if got := describeKeys(r.Keys); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if len(r.Skipped) != 1 || r.Skipped[0].Label != "Y (y)" {
		t.Errorf("skipped %+v", r.Skipped)
	}
	if after, _ := filepath.Glob(filepath.Join(os.TempDir(), "countersign-import-*")); len(after) > len(before) {
		t.Errorf("copies left behind: %v", after)
	}

	wal := bytes.Clone(data)
	wal[18], wal[19] = 2, 2
	if r, err := Decode(AuthenticatorPro, wal, nil); err != nil || len(r.Keys) != 2 {
		t.Errorf("WAL header: %v", err)
	}

	big := strings.Repeat("A", authproMaxValue+8)
	for name, data := range map[string][]byte{
		"view": authproDB(t, `CREATE TABLE t (x integer, "ranking" integer)`,
			`CREATE VIEW "authenticator" ("type", issuer, username, secret, algorithm, digits, period, counter, ranking) AS SELECT 2, 'a', 'b', '4SJHB4GSD43FZBAI7C2HLRJGPQ', 0, 6, 30, 0, 0 FROM t`),
		"generated": authproDB(t, strings.Replace(authproTable, `"secret" varchar primary key not null ,`, `"secret" varchar GENERATED ALWAYS AS (upper(issuer)) ,`, 1)),
		"oversized": authproDB(t, authproTable, `INSERT INTO authenticator VALUES (2,NULL,'`+big+`','b','4SJHB4GSD43FZBAI7C2HLRJGPQ',NULL,0,6,30,0,0)`),
		"no counter": authproDB(t, strings.Replace(authproTable, `"counter" integer ,`, ``, 1),
			`INSERT INTO authenticator VALUES (2,NULL,'A','b','4SJHB4GSD43FZBAI7C2HLRJGPQ',NULL,0,6,30,0)`),
		"text digits": authproDB(t, authproTable, `INSERT INTO authenticator VALUES (2,NULL,'A','b','4SJHB4GSD43FZBAI7C2HLRJGPQ',NULL,0,'six',30,0,0)`),
		"bad secret":  authproDB(t, authproTable, `INSERT INTO authenticator VALUES (2,NULL,'A','b','4SJHB4GSD43FZBAI7C2HLRJGP!',NULL,0,6,30,0,0)`),
		"truncated":   data[:len(data)/2],
		"header only": data[:100],
		"zeroed page": append(bytes.Clone(data[:4096]), make([]byte, len(data)-4096)...),
	} {
		if r, err := Decode(AuthenticatorPro, data, nil); err == nil {
			t.Errorf("%s: imported %d", name, len(r.Keys))
		} else if strings.Contains(err.Error(), "4SJHB4GSD43FZBAI7C2HLRJGP") || strings.Contains(err.Error(), big[:100]) {
			t.Errorf("%s: the error shows a value: %v", name, err)
		}
	}
}

// FuzzDecodeAuthenticatorPro: no input makes the decoder panic (JSON,
// encrypted backups with cheap key derivations, and databases), and a
// decoded file holds only valid keys.
func FuzzDecodeAuthenticatorPro(f *testing.F) {
	authproCheapKDFs(f)
	for _, name := range []string{"stratum_plain.json", "stratum_encrypted.bin", "stratum_encrypted_legacy.bin", "stratum_internal.db"} {
		f.Add(oaFile(f, name))
	}
	f.Add(authproSealLegacy([]byte("test"), []byte(`{"Authenticators":[{"Type":4,"Secret":"AAAA","Issuer":"s"}]}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		sniffAuthenticatorPro(data)
		for _, pw := range [][]byte{nil, []byte("test")} {
			r, err := decodeAuthenticatorPro(data, pw)
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
