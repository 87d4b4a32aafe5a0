package transfer

import (
	"bufio"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/countersign/countersign/vault"
)

// ixReadmeAccounts reads the table of testdata/importers/README.md: the
// eight accounts most of the other apps' test files hold, in order.
func ixReadmeAccounts(t testing.TB) []vault.Key {
	t.Helper()
	f, err := os.Open("testdata/importers/README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var keys []vault.Key
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(strings.Trim(sc.Text(), "|"), "|")
		if len(cells) != 7 {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		typ, err := vault.ParseType(cells[0])
		if err != nil {
			continue // the header and the rule
		}
		secret, err := vault.DecodeSecret(cells[1])
		if err != nil {
			t.Fatalf("README row %q: %v", sc.Text(), err)
		}
		digits, err1 := strconv.Atoi(cells[3])
		n, err2 := strconv.ParseUint(cells[4], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatalf("README row %q: %v", sc.Text(), err)
		}
		k := vault.Key{Params: vault.Params{Type: typ, Algorithm: vault.Algorithm(cells[2]), Digits: digits, Name: cells[5], Issuer: cells[6]}, Secret: secret}
		if typ == vault.HOTP {
			k.Counter = n
		} else {
			k.Period = int(n)
		}
		keys = append(keys, k)
	}
	if len(keys) != 8 {
		t.Fatalf("the README's table has %d accounts, want 8", len(keys))
	}
	return keys
}

// ixReadmeRows picks rows of the README's table (0-based) and lets a format
// change what it cannot carry.
func ixReadmeRows(t testing.TB, rows []int, carry func(*vault.Key)) []string {
	all := ixReadmeAccounts(t)
	var keys []vault.Key
	for _, i := range rows {
		k := all[i]
		if carry != nil {
			carry(&k)
		}
		keys = append(keys, k)
	}
	return describeKeys(keys)
}

// ixFile is one test file of another app and what it holds.
type ixFile struct {
	file      string // in testdata/importers
	format    Format
	encrypted bool
	password  string   // of an encrypted file
	want      []string // describeKeys of the accounts, in order
	skipped   []string // labels of Result.Skipped, in order
}

func ixRead(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/importers", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// ixCheckFiles: Detect names each file's format and whether it is
// encrypted; Decode imports exactly the accounts it holds, in order; an
// encrypted file refuses a wrong password with ErrWrongPassphrase and asks
// for one when none is given.
func ixCheckFiles(t *testing.T, files []ixFile) {
	t.Helper()
	for _, c := range files {
		data := ixRead(t, c.file)
		d, err := Detect(data)
		if err != nil || d.Format != c.format || d.Encrypted != c.encrypted {
			t.Errorf("%s: Detect = %+v, %v; want %s (encrypted %t)", c.file, d, err, c.format, c.encrypted)
		}
		if got := Encrypted(c.format, data); got != c.encrypted {
			t.Errorf("%s: Encrypted = %t", c.file, got)
		}
		r, err := Decode(c.format, data, []byte(c.password))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if got := describeKeys(r.Keys); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.file, got, c.want)
		}
		var skipped []string
		for _, s := range r.Skipped {
			skipped = append(skipped, s.Label)
			if s.Reason == "" {
				t.Errorf("%s: %s skipped without a reason", c.file, s.Label)
			}
		}
		if !slices.Equal(skipped, c.skipped) {
			t.Errorf("%s: skipped %v, want %v", c.file, r.Skipped, c.skipped)
		}
		for _, k := range r.Keys {
			if err := k.Validate(); err != nil {
				t.Errorf("%s: %s: %v", c.file, k.Label(), err)
			}
		}
		if c.encrypted {
			_, err := Decode(c.format, data, []byte("wrong password"))
			if !errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("%s: wrong password: %v", c.file, err)
			}
			ixCheckNoSecret(t, c.file, err, r.Keys)
			if _, err := Decode(c.format, data, nil); err == nil || !strings.Contains(err.Error(), "password") {
				t.Errorf("%s: no password: %v", c.file, err)
			}
		}
	}
}

// ixCheckNoSecret fails if an error quotes a secret, in base32 or hex.
func ixCheckNoSecret(t *testing.T, what string, err error, keys []vault.Key) {
	t.Helper()
	if err == nil {
		return
	}
	msg := strings.ToUpper(err.Error())
	for _, k := range keys {
		b32 := vault.EncodeSecret(k.Secret)
		if strings.Contains(msg, b32[:8]) || strings.Contains(msg, strings.ToUpper(hex.EncodeToString(k.Secret))[:8]) {
			t.Errorf("%s: the error quotes a secret: %v", what, err)
		}
	}
}

// ixAllFiles lists every test file of other apps, and the Aegis ones.
func ixAllFiles(t testing.TB) []string {
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

// ixCheckSniffOnlyOwn: a format's sniffer says yes to its own files and no
// to every other file in testdata.
func ixCheckSniffOnlyOwn(t *testing.T, f Format, own ...string) {
	t.Helper()
	imp, ok := lookup(f)
	if !ok {
		t.Fatalf("format %s is not registered", f)
	}
	for _, path := range ixAllFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		mine := slices.Contains(own, filepath.Base(path))
		if got, _ := imp.sniff(data); got != mine {
			t.Errorf("%s sniffer on %s: %t, want %t", f, path, got, mine)
		}
	}
}

// ixFuzz is the body of the importers' fuzz tests: the sniffer
// and the decoder never panic, and a decoder that succeeds returns valid
// accounts or says what it skipped.
func ixFuzz(t *testing.T, f Format, data, password []byte) {
	imp, ok := lookup(f)
	if !ok {
		t.Fatalf("format %s is not registered", f)
	}
	imp.sniff(data)
	for _, pw := range [][]byte{nil, password} {
		r, err := imp.decode(data, pw)
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
}
