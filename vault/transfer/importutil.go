package transfer

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Helpers shared by the importers of other authenticators' files.

// Android apps keep their settings in SharedPreferences XML files: a <map>
// of named values, each one element:
//
//	<map>
//	    <string name="KEY">text</string>
//	    <int name="KEY" value="1" />   (also long, float, boolean)
//	    <set name="KEY"><string>text</string></set>
//	</map>
//
// Several authenticators (Authy, Battle.net, TOTP Authenticator) keep their
// accounts in one of these strings; users get the file from a rooted phone
// or a device backup.

// androidPrefs are the string, int, long, float and boolean values of a
// preferences file, by name (sets are left out).
type androidPrefs map[string]string

// maxAndroidPrefs bounds the values of a preferences file.
const maxAndroidPrefs = 10000

// looksLikeAndroidPrefs is the cheap test of the sniffers: an XML document
// whose first element is <map> and that names the key. Android writes
// attributes in double quotes.
func looksLikeAndroidPrefs(data []byte, key string) bool {
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("<?xml")) {
		if i := bytes.Index(trimmed, []byte("?>")); i >= 0 {
			trimmed = bytes.TrimSpace(trimmed[i+2:])
		}
	}
	isMap := bytes.HasPrefix(trimmed, []byte("<map>")) || bytes.HasPrefix(trimmed, []byte("<map "))
	return isMap && bytes.Contains(trimmed, []byte(`name="`+key+`"`))
}

// parseAndroidPrefs reads a preferences file. Its errors say where the
// file is damaged, never what it holds.
func parseAndroidPrefs(data []byte) (androidPrefs, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	// Preferences are UTF-8; accept the encoding name in any case.
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		if charset == "utf-8" || charset == "UTF-8" {
			return input, nil
		}
		return nil, fmt.Errorf("the file is in %.20q, not UTF-8", charset)
	}
	prefs := androidPrefs{}
	inMap := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if !inMap {
				return nil, errors.New("the file is not Android preferences (no <map>)")
			}
			return nil, errors.New("the preferences end before </map>")
		}
		if err != nil {
			return nil, prefsXMLProblem(d, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !inMap {
				if t.Name.Local != "map" {
					return nil, errors.New("the file is not Android preferences (its first element is not <map>)")
				}
				inMap = true
				continue
			}
			name, hasName := prefsAttr(t, "name")
			if !hasName {
				return nil, fmt.Errorf("line %d: a preference has no name", prefsLine(d))
			}
			if _, dup := prefs[name]; dup {
				return nil, fmt.Errorf("line %d: preference %.60q is given twice", prefsLine(d), name)
			}
			if len(prefs) >= maxAndroidPrefs {
				return nil, fmt.Errorf("the file holds more than %d preferences", maxAndroidPrefs)
			}
			switch t.Name.Local {
			case "string":
				text, err := prefsText(d)
				if err != nil {
					return nil, err
				}
				prefs[name] = text
			case "int", "long", "float", "boolean":
				v, _ := prefsAttr(t, "value")
				prefs[name] = v
				if err := d.Skip(); err != nil {
					return nil, prefsXMLProblem(d, err)
				}
			default: // sets and anything newer
				if err := d.Skip(); err != nil {
					return nil, prefsXMLProblem(d, err)
				}
			}
		case xml.EndElement:
			// The only end element seen here is </map>: the others are
			// consumed with their start.
			return prefs, nil
		}
	}
}

func prefsAttr(t xml.StartElement, name string) (string, bool) {
	for _, a := range t.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// prefsText reads the text of an element up to its end; an element inside
// it is refused.
func prefsText(d *xml.Decoder) (string, error) {
	var b []byte
	for {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", prefsXMLProblem(d, err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			b = append(b, t...)
		case xml.EndElement:
			return string(b), nil
		case xml.StartElement:
			return "", fmt.Errorf("line %d: a string preference holds an element", prefsLine(d))
		}
	}
}

func prefsLine(d *xml.Decoder) int {
	l, _ := d.InputPos()
	return l
}

// prefsXMLProblem describes an XML error by its line only: the messages of
// encoding/xml may quote the text, which may be a secret.
func prefsXMLProblem(d *xml.Decoder, err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("the XML is damaged at line %d", se.Line)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the XML ends too early (the file is cut short)")
	}
	return fmt.Errorf("the XML is damaged at line %d", prefsLine(d))
}

// ixJSONProblem describes a JSON error without quoting the data (the
// messages of encoding/json may hold a character of a secret).
func ixJSONProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("the JSON is damaged at byte %d", se.Offset)
	case errors.As(err, &te):
		kind, _, _ := strings.Cut(te.Value, " ") // "number 12" names the number: keep the kind
		if te.Field != "" {
			return fmt.Sprintf("field %.60q has the wrong type (a %s)", te.Field, kind)
		}
		return fmt.Sprintf("the JSON holds a %s where another kind of value belongs", kind)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early (the file is cut short)"
	case errors.Is(err, errIxNotWhole):
		return errIxNotWhole.Error()
	}
	return "the JSON is damaged"
}

var errIxNotWhole = errors.New("a number field holds something other than a whole number")

// ixInt is a whole number that an app writes as a JSON number or as a
// string of digits ("6"); an empty string or null is 0.
type ixInt int64

func (n *ixInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" || s == `""` {
		*n = 0
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errIxNotWhole
	}
	*n = ixInt(v)
	return nil
}

// int returns the number as an int, with out-of-range values mapped to -1
// so that validation refuses them.
func (n ixInt) int() int {
	if n < -1<<31 || n > 1<<31-1 {
		return -1
	}
	return int(n)
}

// ixCBCOpen decrypts AES-CBC with PKCS#7 padding. ok is false when the
// ciphertext is not whole blocks or the padding is wrong, which is what a
// wrong key almost always gives.
func ixCBCOpen(key, iv, ciphertext []byte) (plain []byte, ok bool) {
	block, err := aes.NewCipher(key)
	if err != nil || len(iv) != aes.BlockSize || len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return nil, false
	}
	plain = make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ciphertext)
	n := int(plain[len(plain)-1])
	if n == 0 || n > aes.BlockSize {
		clear(plain)
		return nil, false
	}
	for _, c := range plain[len(plain)-n:] {
		if int(c) != n {
			clear(plain)
			return nil, false
		}
	}
	return plain[:len(plain)-n], true
}
