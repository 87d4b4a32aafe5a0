package transfer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/countersign/countersign/vault"
)

// An importer reads (and perhaps writes) one authenticator's export
// format. Each format's file registers its own with register, in an init
// function; Decode, Encode, Detect and Formats find it here.
type importer struct {
	format Format
	// app names the authenticator as its users know it, for messages.
	app string
	// sniff reports whether data is in this format, and whether this file
	// of it is encrypted (needs a password). It is cheap and never needs
	// the password; when unsure, it says no.
	sniff func(data []byte) (ok, encrypted bool)
	// decode reads the accounts; password is nil for a plain file.
	decode func(data, password []byte) (Result, error)
	// encode writes keys (password nil: a plain file); nil if the format
	// is import-only.
	encode func(keys []vault.Key, password []byte) ([]byte, error)
}

// registry holds the importers registered by the format files, in
// registration order; built-in formats come first (see Formats).
var registry []importer

// register adds an importer; it panics on a duplicate format name, a
// programming error found by the first test run.
func register(imp importer) {
	if imp.format == "" || imp.sniff == nil || imp.decode == nil {
		panic("transfer: importer " + string(imp.format) + " is incomplete")
	}
	if slices.ContainsFunc(registry, func(o importer) bool { return o.format == imp.format }) || slices.Contains(builtin, imp.format) {
		panic("transfer: format " + string(imp.format) + " registered twice")
	}
	registry = append(registry, imp)
}

// lookup returns the registered importer of a format.
func lookup(f Format) (importer, bool) {
	i := slices.IndexFunc(registry, func(o importer) bool { return o.format == f })
	if i < 0 {
		return importer{}, false
	}
	return registry[i], true
}

// AppName names the authenticator of a format, for messages.
func (f Format) AppName() string {
	switch f {
	case Countersign:
		return "Countersign"
	case Aegis, AegisEncrypted:
		return "Aegis"
	case Google:
		return "Google Authenticator"
	case OTPAuth:
		return "an otpauth:// list"
	}
	if imp, ok := lookup(f); ok {
		return imp.app
	}
	return string(f)
}

// CanExport reports whether Countersign writes format f.
func (f Format) CanExport() bool {
	if slices.Contains(builtin, f) {
		return true
	}
	imp, ok := lookup(f)
	return ok && imp.encode != nil
}

// Detection is what Detect found out about a file.
type Detection struct {
	Format Format
	// Encrypted: the file needs its password.
	Encrypted bool
}

// Detect names the format of a file, and whether it is encrypted. A file
// of no known format gets one error that says what it looks like, if
// anything, and lists the formats Countersign reads.
func Detect(data []byte) (Detection, error) {
	for _, f := range builtin {
		if ok, enc := sniffBuiltin(f, data); ok {
			return Detection{Format: f, Encrypted: enc}, nil
		}
	}
	for _, imp := range registry {
		if ok, enc := imp.sniff(data); ok {
			return Detection{Format: imp.format, Encrypted: enc}, nil
		}
	}
	return Detection{}, fmt.Errorf("this file is %s, not an export Countersign knows; it reads: %s (give --from FORMAT if you know which it is)", lookLike(data), formatNames())
}

// formatNames lists the formats Countersign reads, for messages.
func formatNames() string {
	var names []string
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// lookLike says in a few words what unknown data looks like.
func lookLike(data []byte) string {
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return "empty"
	case json.Valid(trimmed):
		return "JSON"
	case bytes.HasPrefix(trimmed, []byte("<?xml")) || bytes.HasPrefix(trimmed, []byte("<")):
		return "XML"
	case bytes.HasPrefix(data, []byte("SQLite format 3\x00")):
		return "an SQLite database"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return "a ZIP archive"
	case bytes.HasPrefix(data, []byte("\x89PNG")), bytes.HasPrefix(data, []byte("\xff\xd8\xff")),
		bytes.HasPrefix(data, []byte("GIF8")), len(data) > 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "an image without an export QR code"
	case isText(data):
		return "text"
	}
	return "binary data"
}

// isText reports whether data is mostly printable UTF-8.
func isText(data []byte) bool {
	if len(data) > 4096 {
		data = data[:4096]
	}
	for _, c := range data {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

// builtin are the formats of the first version, decoded in transfer.go.
var builtin = []Format{Countersign, Aegis, AegisEncrypted, Google, OTPAuth}

// sniffBuiltin recognises the built-in formats.
func sniffBuiltin(f Format, data []byte) (ok, encrypted bool) {
	switch f {
	case Countersign:
		var e struct {
			Format string `json:"format"`
		}
		return json.Unmarshal(data, &e) == nil && e.Format == backupFormat, true
	case Aegis, AegisEncrypted:
		var a aegisFile
		if json.Unmarshal(data, &a) != nil || a.Version == 0 || len(a.DB) == 0 {
			return false, false
		}
		encrypted := len(a.Header.Slots) > 0 && a.Header.Params != nil
		return encrypted == (f == AegisEncrypted), encrypted
	case Google, OTPAuth:
		ls, _, err := lines(data)
		if err != nil || len(ls) == 0 || !isText(data) {
			return false, false
		}
		prefix := "otpauth-migration://"
		if f == OTPAuth {
			prefix = "otpauth://"
		}
		for _, l := range ls {
			if !strings.HasPrefix(strings.ToLower(l), prefix) {
				return false, false
			}
		}
		return true, false
	}
	return false, false
}
