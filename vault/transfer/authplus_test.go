package transfer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
	"time"
)

const apFile = "testdata/importers/authenticator_plus.zip"

// The archives made with 7-Zip (testdata/authplus/README.md), all holding
// the same Accounts.txt.
var apFixtures = []string{
	"testdata/authplus/aes128.zip",
	"testdata/authplus/aes192.zip",
	"testdata/authplus/aes256.zip",
	"testdata/authplus/aes256_stored.zip",
	"testdata/authplus/aes256_ae1.zip",
	"testdata/authplus/zipcrypto.zip",
}

var apPassword = []byte("testtesttest")

// TestAuthenticatorPlus: the export holds the first seven accounts of the
// README, every field carried (its Accounts.txt is otpauth:// URIs).
func TestAuthenticatorPlus(t *testing.T) {
	own := map[string]bool{apFile: true}
	for _, file := range append([]string{apFile}, apFixtures...) {
		own[file] = true
		data := impRead(t, file)
		r, err := Decode(AuthenticatorPlus, data, apPassword)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		impCheckKeys(t, file, r, impReadmeRows(1, 2, 3, 4, 5, 6, 7))
		if len(r.Skipped) != 0 {
			t.Errorf("%s: skipped %+v", file, r.Skipped)
		}
		for _, pw := range []string{"wrong", "testtesttes", "testtesttest "} {
			if _, err := Decode(AuthenticatorPlus, data, []byte(pw)); !errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("%s, password %q: %v", file, pw, err)
			}
		}
		if _, err := Decode(AuthenticatorPlus, data, nil); err == nil || !strings.Contains(err.Error(), "password") {
			t.Errorf("%s without a password: %v", file, err)
		}
	}
	impCheckSniffOnly(t, "authenticator-plus", sniffAuthenticatorPlus, own)
	impCheckDetect(t, AuthenticatorPlus, own)
	if AuthenticatorPlus.AppName() != "Authenticator Plus" || AuthenticatorPlus.CanExport() {
		t.Error("app name or export")
	}
}

// apMakeZip writes an archive; raw entries are written as given (headers and
// all), the others deflated.
func apMakeZip(t testing.TB, entries ...apZipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		if e.raw != nil {
			e.header.CompressedSize64 = uint64(len(e.raw))
			w, err := zw.CreateRaw(e.header)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(e.raw)
			continue
		}
		w, err := zw.Create(e.header.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type apZipEntry struct {
	header *zip.FileHeader
	data   []byte // deflated by the writer
	raw    []byte // written as is
}

func apDeflated(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// apZipCryptoEncrypt is the test's writer of traditional PKWARE encryption:
// a 12-byte header ending in the check byte, then the data.
func apZipCryptoEncrypt(data, password []byte, check byte) []byte {
	k := newZipCryptoKeys(password)
	plain := append([]byte("0123456789a"), check)
	plain = append(plain, data...)
	out := make([]byte, len(plain))
	for i, p := range plain {
		out[i] = p ^ k.streamByte()
		k.update(p)
	}
	return out
}

// apEncryptedEntry makes a ZipCrypto-encrypted, deflated Accounts.txt whose
// headers say it is size bytes long.
func apEncryptedEntry(t testing.TB, text []byte, size uint64, password []byte) apZipEntry {
	crc := crc32.ChecksumIEEE(text)
	return apZipEntry{
		header: &zip.FileHeader{Name: "Accounts.txt", Method: zip.Deflate, Flags: zipFlagEncrypted, CRC32: crc, UncompressedSize64: size, Modified: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		raw:    apZipCryptoEncrypt(apDeflated(t, text), password, byte(crc>>24)),
	}
}

// TestAuthenticatorPlusArchives: archives the tests write themselves.
func TestAuthenticatorPlusArchives(t *testing.T) {
	text := []byte("otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP&issuer=GitHub\r\n\r\n")
	pw := []byte("pässwörd")

	// Not encrypted: read without a password, and said so.
	plain := apMakeZip(t, apZipEntry{header: &zip.FileHeader{Name: "Accounts.html"}, data: []byte("<html/>")},
		apZipEntry{header: &zip.FileHeader{Name: "export/Accounts.txt"}, data: text})
	if ok, enc := sniffAuthenticatorPlus(plain); !ok || enc {
		t.Errorf("plain archive: sniffed %t, encrypted %t", ok, enc)
	}
	r, err := Decode(AuthenticatorPlus, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	impCheckKeys(t, "plain", r, []string{"totp|GitHub|ada|JBSWY3DPEHPK3PXP|SHA1|6|30|0"})

	// ZipCrypto as this test writes it, with a non-ASCII password.
	enc := apMakeZip(t, apEncryptedEntry(t, text, uint64(len(text)), pw))
	if ok, e := sniffAuthenticatorPlus(enc); !ok || !e {
		t.Errorf("encrypted archive: sniffed %t, encrypted %t", ok, e)
	}
	if r, err := Decode(AuthenticatorPlus, enc, pw); err != nil || len(r.Keys) != 1 {
		t.Errorf("encrypted archive: %v", err)
	}
	if _, err := Decode(AuthenticatorPlus, enc, []byte("passwörd")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("encrypted archive, wrong password: %v", err)
	}

	// ZIP bombs: honest headers are refused before reading; lying ones
	// when the output passes the bound. Plain and encrypted.
	bomb := make([]byte, authPlusMaxText+1)
	lies := uint64(len(text))
	for name, data := range map[string][]byte{
		"honest":           apMakeZip(t, apZipEntry{header: &zip.FileHeader{Name: "Accounts.txt"}, data: bomb}),
		"lying":            apMakeZip(t, apZipEntry{header: &zip.FileHeader{Name: "Accounts.txt", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(bomb), UncompressedSize64: lies}, raw: apDeflated(t, bomb)}),
		"encrypted honest": apMakeZip(t, apEncryptedEntry(t, bomb, uint64(len(bomb)), pw)),
		"encrypted lying":  apMakeZip(t, apEncryptedEntry(t, bomb, lies, pw)),
	} {
		_, err := Decode(AuthenticatorPlus, data, pw)
		if err == nil || !strings.Contains(err.Error(), "ZIP bomb") || errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("%s bomb: %v", name, err)
		}
	}

	// Not Authenticator Plus: no Accounts.txt, too many files, not a ZIP.
	var many []apZipEntry
	for i := 0; i <= authPlusMaxEntries; i++ {
		many = append(many, apZipEntry{header: &zip.FileHeader{Name: "Accounts.txt"[:i%12] + "x"}, data: nil})
	}
	many[0] = apZipEntry{header: &zip.FileHeader{Name: "Accounts.txt"}, data: text}
	for name, data := range map[string][]byte{
		"other zip":  apMakeZip(t, apZipEntry{header: &zip.FileHeader{Name: "accounts.csv"}, data: text}),
		"many files": apMakeZip(t, many...),
		"truncated":  impRead(t, apFile)[:300],
		"text":       text,
	} {
		if ok, _ := sniffAuthenticatorPlus(data); ok {
			t.Errorf("%s: sniffed", name)
		}
		if _, err := Decode(AuthenticatorPlus, data, pw); err == nil {
			t.Errorf("%s: no error", name)
		}
	}

	// Damage after the password check: an AES entry whose data was changed
	// fails its authentication code, and is not called a wrong password.
	data := impRead(t, "testdata/authplus/aes256.zip")
	f, _ := authPlusAccounts(data)
	off, _ := f.DataOffset()
	data[off+40] ^= 1
	if _, err := Decode(AuthenticatorPlus, data, apPassword); err == nil || !strings.Contains(err.Error(), "authentication code") || errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("changed AES data: %v", err)
	}
}

// TestAuthenticatorPlusAccountsTxt: the list's lines.
func TestAuthenticatorPlusAccountsTxt(t *testing.T) {
	r, err := parseAuthPlusAccounts([]byte("\xef\xbb\xbf" +
		"Work accounts\n" +
		"otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP&issuer=GitHub\r\n" +
		"   \n" +
		"otpauth://motp/Old:bob?secret=JBSWY3DPEHPK3PXP\n" +
		"OTPAUTH://HOTP/Bank:card?SECRET=MFRGGZDFMZTWQ2LK&counter=5&digits=8"))
	if err != nil {
		t.Fatal(err)
	}
	impCheckKeys(t, "list", r, []string{
		"totp|GitHub|ada|JBSWY3DPEHPK3PXP|SHA1|6|30|0",
		"hotp|Bank|card|MFRGGZDFMZTWQ2LK|SHA1|8|0|5",
	})
	if len(r.Skipped) != 2 || r.Skipped[0].Label != "Accounts.txt line 1" || r.Skipped[1].Label != "Accounts.txt line 4" {
		t.Errorf("skipped: %+v", r.Skipped)
	}
	for name, text := range map[string]string{
		"bad secret": "otpauth://totp/A:a?secret=JBSWY3DPEHPK3PX1\n",
		"no secret":  "otpauth://totp/A:a?issuer=A\n",
		"empty":      "\n\n",
		"junk only":  "hello\n",
		"binary":     "otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP\xff\n",
	} {
		_, err := parseAuthPlusAccounts([]byte(text))
		if err == nil || strings.Contains(err.Error(), "JBSWY3DPEHPK3PX") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestZipDecryptPieces: the decryption on its own.
func TestZipDecryptPieces(t *testing.T) {
	// A round trip through the test's writer (the archives above check the
	// decryption against other writers).
	enc := apZipCryptoEncrypt([]byte("hello"), []byte("pw"), 0xAB)
	if out, err := zipCryptoDecrypt(enc, []byte("pw"), []byte{0xAB}); err != nil || string(out) != "hello" {
		t.Errorf("round trip: %q %v", out, err)
	}
	if _, err := zipCryptoDecrypt(enc[:11], []byte("pw"), []byte{0xAB}); err == nil {
		t.Error("short data accepted")
	}
	if _, err := winzipAESDecrypt(make([]byte, 27), []byte("pw"), 3); err == nil {
		t.Error("short AES data accepted")
	}
	for _, extra := range [][]byte{
		nil,
		{0x01, 0x99, 0x07, 0x00, 0x02, 0x00, 'A', 'E', 0x04, 0x08, 0x00}, // key size 4
		{0x01, 0x99, 0x07, 0x00, 0x03, 0x00, 'A', 'E', 0x03, 0x08, 0x00}, // version 3
		{0x01, 0x99, 0x06, 0x00, 0x02, 0x00, 'A', 'E', 0x03, 0x08},       // too short
		{0x01, 0x99, 0x70, 0x00, 0x02, 0x00, 'A', 'E', 0x03, 0x08, 0x00}, // past the end
	} {
		if _, err := zipAESExtra(extra); err == nil {
			t.Errorf("extra %x accepted", extra)
		}
	}
	if a, err := zipAESExtra([]byte{0x0a, 0x00, 0x01, 0x00, 0xff, 0x01, 0x99, 0x07, 0x00, 0x01, 0x00, 'A', 'E', 0x01, 0x00, 0x00}); err != nil || a != (zipAES{version: 1, strength: 1, method: 0}) {
		t.Errorf("AE-1 extra after another field: %+v %v", a, err)
	}
}

// FuzzAuthenticatorPlusZip: any archive and password are refused or read
// into valid keys, never a panic. Seeds: testdata/fuzz/FuzzAuthenticatorPlusZip.
func FuzzAuthenticatorPlusZip(f *testing.F) {
	f.Fuzz(func(t *testing.T, data, password []byte) {
		sniffAuthenticatorPlus(data)
		r, err := decodeAuthenticatorPlus(data, password)
		if err != nil {
			return
		}
		if len(r.Keys) == 0 {
			t.Fatal("no error and no key")
		}
		for _, k := range r.Keys {
			if err := k.Validate(); err != nil {
				t.Fatalf("invalid key accepted: %v", err)
			}
		}
	})
}

// FuzzZipDecrypt: the two decryptions and the decompression on any data.
// Seeds: testdata/fuzz/FuzzZipDecrypt (the raw entries of the test archives).
func FuzzZipDecrypt(f *testing.F) {
	f.Fuzz(func(t *testing.T, data, password []byte, mode byte) {
		var out []byte
		var err error
		if mode < 128 {
			out, err = zipCryptoDecrypt(data, password, []byte{mode})
		} else {
			out, err = winzipAESDecrypt(data, password, 1+mode%3)
		}
		if err != nil {
			return
		}
		if len(out) > len(data) {
			t.Fatal("decryption grew the data")
		}
		if plain, err := zipInflate(zipMethodDeflate, out, 1<<16); err == nil && len(plain) > 1<<16 {
			t.Fatal("bound not kept")
		}
	})
}

// FuzzAuthenticatorPlusAccounts: the Accounts.txt parser on any text.
// Seeds: testdata/fuzz/FuzzAuthenticatorPlusAccounts.
func FuzzAuthenticatorPlusAccounts(f *testing.F) {
	f.Fuzz(func(t *testing.T, text []byte) {
		r, err := parseAuthPlusAccounts(text)
		if err != nil {
			return
		}
		if len(r.Keys) == 0 {
			t.Fatal("no error and no key")
		}
		for _, k := range r.Keys {
			if err := k.Validate(); err != nil {
				t.Fatalf("invalid key accepted: %v", err)
			}
		}
	})
}
