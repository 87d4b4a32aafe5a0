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
	"slices"
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

// Formats lists the formats Countersign reads: its own, then every
// registered authenticator's.
func Formats() []Format {
	out := slices.Clone(builtin)
	for _, imp := range registry {
		out = append(out, imp.format)
	}
	return out
}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q; use one of %v", s, Formats())
}

// NeedsPassphrase reports whether every file of a format is encrypted
// (formats whose files may be either say so through Encrypted).
func (f Format) NeedsPassphrase() bool { return f == Countersign || f == AegisEncrypted }

// Encrypted reports whether this file, in format f, needs its password.
func Encrypted(f Format, data []byte) bool {
	if f.NeedsPassphrase() {
		return true
	}
	if f == Aegis { // one format, encrypted or not
		_, enc := sniffBuiltin(Aegis, data)
		return enc
	}
	if imp, ok := lookup(f); ok {
		_, enc := imp.sniff(data)
		return enc
	}
	return false
}

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
	if Encrypted(f, data) && len(passphrase) == 0 {
		return Result{}, fmt.Errorf("this %s file is encrypted: give its password", f)
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
	if imp, ok := lookup(f); ok {
		return imp.decode(data, passphrase)
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
	if imp, ok := lookup(f); ok && imp.encode != nil {
		return imp.encode(keys, passphrase)
	}
	return nil, fmt.Errorf("Countersign does not write %s files", f)
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
