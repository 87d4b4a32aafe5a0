package authenticator

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/countersign/countersign/scanner"
)

// DecodeImage returns the text of every QR code of the image file name,
// whose bytes are data. ReadImport takes one, so that the app can use its
// own decoder (a test's, say); nil is scanner.DecodeBytes.
type DecodeImage func(name string, data []byte) ([]string, error)

// ReadImport reads what an import was given: a file's bytes; for an image,
// the text of its QR codes of accounts, one per line; for a directory, the
// same of every image in it (the QR codes of a Google Authenticator export,
// one image per batch), other files skipped. An image with no QR code of
// an account is an error that names it.
func ReadImport(path string, decode DecodeImage) ([]byte, error) {
	if decode == nil {
		decode = func(_ string, data []byte) ([]string, error) { return scanner.DecodeBytes(data) }
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if !fi.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if !scanner.IsImage(data) {
			return data, nil
		}
		return accountCodes(path, data, decode)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var texts []string
	for _, e := range entries {
		name := filepath.Join(path, e.Name())
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		if !scanner.IsImage(data) {
			continue // not an image: not part of an export
		}
		text, err := accountCodes(name, data, decode)
		if err != nil {
			return nil, err
		}
		texts = append(texts, string(text))
	}
	if len(texts) == 0 {
		return nil, fmt.Errorf("%s holds no image (PNG, JPEG, GIF or WebP) of an export QR code", path)
	}
	return []byte(strings.Join(texts, "\n")), nil
}

// accountCodes returns the otpauth-migration:// and otpauth:// codes of an
// image, one per line; an image with none is an error that names it.
func accountCodes(name string, data []byte, decode DecodeImage) ([]byte, error) {
	codes, err := decode(name, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var keep []string
	for _, code := range codes {
		if IsAccountURI(code) {
			keep = append(keep, code)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%s: no QR code of an authenticator export in this image (its %d QR code(s) hold something else)", name, len(codes))
	}
	return []byte(strings.Join(keep, "\n")), nil
}
