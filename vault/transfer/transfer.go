// Package transfer moves accounts in and out of Countersign: its own
// encrypted backup, Aegis vault files (plain and encrypted), Google
// Authenticator export QR codes, and plain lists of otpauth:// URIs. Every
// decoder is all-or-nothing and names what it could not keep.
package transfer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/countersign/countersign/vault"
)

// Format names a file format.
type Format string

// The formats Countersign reads and writes.
const (
	Countersign    Format = "countersign"     // encrypted backup (see FORMAT.md)
	Aegis          Format = "aegis"           // Aegis vault JSON, plain
	AegisEncrypted Format = "aegis-encrypted" // Aegis vault JSON, password-encrypted
	Google         Format = "google"          // otpauth-migration:// URIs, one per line
	OTPAuth        Format = "otpauth"         // otpauth:// URIs, one per line
)

// Formats lists the formats, for help texts.
func Formats() []Format { return []Format{Countersign, Aegis, AegisEncrypted, Google, OTPAuth} }

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q; use one of %v", s, Formats())
}

// NeedsPassphrase reports whether a format is encrypted.
func (f Format) NeedsPassphrase() bool { return f == Countersign || f == AegisEncrypted }

// Skipped names an account a decoder could not keep, and why.
type Skipped struct {
	Label  string
	Reason string
}

// Result is what a file holds: the accounts, and what was left out.
type Result struct {
	Keys    []vault.Key
	Skipped []Skipped
}

// ErrWrongPassphrase is wrapped by the errors of a passphrase that does not
// open a file.
var ErrWrongPassphrase = vault.ErrWrongPassphrase

// maxInput bounds the files the decoders read.
const maxInput = 32 << 20

// Decode reads the accounts of a file in format f.
func Decode(f Format, data, passphrase []byte) (Result, error) {
	if len(data) > maxInput {
		return Result{}, fmt.Errorf("the file is too large (%d MiB) for a %s export", len(data)>>20, f)
	}
	if f.NeedsPassphrase() && len(passphrase) == 0 {
		return Result{}, fmt.Errorf("a %s file needs its passphrase", f)
	}
	switch f {
	case Countersign:
		return decodeBackup(data, passphrase)
	case Aegis, AegisEncrypted:
		return decodeAegis(data, passphrase)
	case Google:
		return decodeGoogle(data)
	case OTPAuth:
		return decodeOTPAuth(data)
	}
	return Result{}, fmt.Errorf("unknown format %q", f)
}

// Encode writes keys in format f.
func Encode(f Format, keys []vault.Key, passphrase []byte) ([]byte, error) {
	if f.NeedsPassphrase() && len(passphrase) == 0 {
		return nil, fmt.Errorf("a %s file needs a passphrase; an empty one is refused", f)
	}
	switch f {
	case Countersign:
		return encodeBackup(keys, passphrase, defaultKDF)
	case Aegis:
		return encodeAegis(keys, nil)
	case AegisEncrypted:
		return encodeAegis(keys, passphrase)
	case Google:
		uris, err := GoogleBatches(keys, GoogleBatchSize)
		if err != nil {
			return nil, err
		}
		return []byte(strings.Join(uris, "\n") + "\n"), nil
	case OTPAuth:
		var b strings.Builder
		for _, k := range keys {
			b.WriteString(k.URI() + "\n")
		}
		return []byte(b.String()), nil
	}
	return nil, fmt.Errorf("unknown format %q", f)
}

// lines returns the meaningful lines of a text: blank lines and '#'
// comments are skipped; each comes with its line number.
func lines(data []byte) ([]string, []int, error) {
	var out []string
	var nums []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
		nums = append(nums, n)
	}
	return out, nums, sc.Err()
}

func decodeOTPAuth(data []byte) (Result, error) {
	ls, nums, err := lines(data)
	if err != nil {
		return Result{}, fmt.Errorf("reading the list: %w", err)
	}
	var r Result
	for i, line := range ls {
		k, err := vault.ParseURI(line)
		if err != nil {
			return Result{}, fmt.Errorf("line %d: %w; nothing was imported", nums[i], err)
		}
		r.Keys = append(r.Keys, k)
	}
	if len(r.Keys) == 0 {
		return Result{}, errors.New("the list holds no otpauth:// URI")
	}
	return r, nil
}
