package transfer

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/countersign/countersign/vault"
)

// Authenticator Plus's export ("Export to text and HTML"): a ZIP archive,
// protected by the password given when exporting, that holds Accounts.txt
// (and, in the app's own exports, an HTML page of the same accounts).
// Accounts.txt is a list of otpauth:// URIs, one per line. The ZIP's
// encryption is whatever the app's ZIP library wrote: traditional PKWARE
// encryption in the known exports, WinZip AES read as well (zipdecrypt.go).

// AuthenticatorPlus is the format of Authenticator Plus's exports.
const AuthenticatorPlus Format = "authenticator-plus"

func init() {
	register(importer{
		format: AuthenticatorPlus,
		app:    "Authenticator Plus",
		sniff:  sniffAuthenticatorPlus,
		decode: decodeAuthenticatorPlus,
	})
}

// authPlusAccountsFile is the name of the list in the archive.
const authPlusAccountsFile = "Accounts.txt"

// authPlusMaxEntries bounds the entries of an archive taken for an
// Authenticator Plus export: it holds two files.
const authPlusMaxEntries = 8

// authPlusMaxText bounds Accounts.txt, uncompressed: some 20,000 accounts.
const authPlusMaxText = 4 << 20

// authPlusAccounts opens a ZIP archive and finds its Accounts.txt.
func authPlusAccounts(data []byte) (*zip.File, error) {
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return nil, errors.New("this is not a ZIP archive, so not an Authenticator Plus export")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // nothing is written to disk
		return nil, fmt.Errorf("this ZIP archive is damaged (%v): export it again", err)
	}
	if len(zr.File) > authPlusMaxEntries {
		return nil, fmt.Errorf("this ZIP archive holds %d files: it is not an Authenticator Plus export", len(zr.File))
	}
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, `\`, "/")
		if strings.EqualFold(path.Base(name), authPlusAccountsFile) {
			return f, nil
		}
	}
	return nil, errors.New("this ZIP archive holds no Accounts.txt: it is not an Authenticator Plus export")
}

// sniffAuthenticatorPlus: a small ZIP archive with an Accounts.txt in it;
// encrypted if that entry is.
func sniffAuthenticatorPlus(data []byte) (ok, encrypted bool) {
	f, err := authPlusAccounts(data)
	if err != nil {
		return false, false
	}
	return true, f.Flags&zipFlagEncrypted != 0
}

func decodeAuthenticatorPlus(data, password []byte) (Result, error) {
	f, err := authPlusAccounts(data)
	if err != nil {
		return Result{}, err
	}
	text, err := readZipEntry(f, password, authPlusMaxText)
	if errors.Is(err, errZipPassword) {
		maybe := ""
		if err != errZipPassword {
			maybe = " (if it is the right one, the archive is damaged: export it again)"
		}
		return Result{}, fmt.Errorf("%w for this Authenticator Plus export: give the password you chose when exporting%s", ErrWrongPassphrase, maybe)
	}
	if err != nil {
		return Result{}, fmt.Errorf("the archive's Accounts.txt cannot be read: %w; export it again from Authenticator Plus", err)
	}
	defer clear(text)
	return parseAuthPlusAccounts(text)
}

// parseAuthPlusAccounts reads Accounts.txt: an otpauth:// URI a line. Blank
// lines are skipped; another line, or a URI of a code type Countersign does
// not have, is left out and named by its line number (never its text,
// which may hold a secret); a malformed URI fails the import.
func parseAuthPlusAccounts(text []byte) (Result, error) {
	text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(text) {
		return Result{}, errors.New("Accounts.txt is not text (the archive may be damaged): export it again")
	}
	var r Result
	for n, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		label := fmt.Sprintf("Accounts.txt line %d", n+1)
		if line == "" {
			continue
		}
		if !strings.HasPrefix(strings.ToLower(line), "otpauth://") {
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: "not an otpauth:// URI"})
			continue
		}
		k, err := vault.ParseURI(line)
		var fe *vault.FieldError
		if errors.As(err, &fe) && fe.Field == "type" {
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: "its code type is not totp, hotp or steam, which Countersign does not read"})
			continue
		}
		if err != nil {
			return Result{}, fmt.Errorf("Accounts.txt line %d: %w; nothing was imported", n+1, err)
		}
		r.Keys = append(r.Keys, k)
	}
	if len(r.Keys) == 0 {
		return Result{}, errors.New("Accounts.txt holds no otpauth:// URI: there is nothing to import")
	}
	return r, nil
}
