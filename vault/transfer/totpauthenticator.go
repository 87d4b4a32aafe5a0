package transfer

import (
	"bytes"
	"crypto/aes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/countersign/countersign/vault"
)

// TOTP Authenticator (com.authenticator.authservice2) backs up to a .bin
// file: base64 text of AES-256-CBC (zero IV, PKCS#7 padding) under the
// SHA-256 of the backup password (no salt, no KDF: a weak scheme, read as
// it is). A backup made without a password uses the app's built-in one,
// "TotpAuthenticator", so such a file needs none here. The plaintext is a
// JSON object whose first key is the account list, itself JSON text:
//
//	{"[{\"issuer\":\"Deno\",\"name\":\"mason\",\"key\":\"E492...\",\"base\":16,\"digits\":\"6\",\"period\":\"30\",...}]": "1608293023"}
//
// The app also keeps the list in its preferences
// (shared_prefs/TOTP_Authenticator_Preferences.xml, string
// STATIC_TOTP_CODES_LIST), which this format reads too. The key is in base
// 16, 32 or 64; every account is TOTP, SHA1.
//
// The backup is bare base64 of AES blocks, so the sniffer knows it only by
// that shape: a Steam Desktop Authenticator .maFile it encrypted has the
// same shape, and is reported as a TOTP Authenticator backup whose
// password does not fit.

const (
	totpAuthPref            = "STATIC_TOTP_CODES_LIST"
	totpAuthDefaultPassword = "TotpAuthenticator"
	maxTOTPAuthEntries      = 10000
)

type totpAuthEntry struct {
	Base   ixInt  `json:"base"`
	Key    string `json:"key"`
	Name   string `json:"name"`
	Issuer string `json:"issuer"`
	Digits ixInt  `json:"digits"`
	Period ixInt  `json:"period"`
}

func init() {
	register(importer{format: "totp-authenticator", app: "TOTP Authenticator", sniff: sniffTOTPAuthenticator, decode: decodeTOTPAuthenticator})
}

func sniffTOTPAuthenticator(data []byte) (ok, encrypted bool) {
	if looksLikeAndroidPrefs(data, totpAuthPref) {
		prefs, err := parseAndroidPrefs(data)
		if err != nil {
			return false, false
		}
		_, ok := prefs[totpAuthPref]
		return ok, false
	}
	ct, ok := totpAuthCiphertext(data)
	if !ok {
		return false, false
	}
	// One AES block tells whether the built-in password opens it.
	return true, !totpAuthOpensWith(ct[:aes.BlockSize], []byte(totpAuthDefaultPassword))
}

// totpAuthCiphertext decodes a backup: base64 text (perhaps in lines) of
// at least two AES blocks.
func totpAuthCiphertext(data []byte) ([]byte, bool) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) < 44 {
		return nil, false
	}
	text := make([]byte, 0, len(trimmed))
	for _, c := range trimmed {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=':
			text = append(text, c)
		case c == '\n', c == '\r':
		default:
			return nil, false
		}
	}
	ct, err := base64.StdEncoding.DecodeString(string(text))
	if err != nil || len(ct) < 2*aes.BlockSize || len(ct)%aes.BlockSize != 0 {
		return nil, false
	}
	return ct, true
}

// totpAuthOpensWith reports whether password decrypts the first block of
// a backup to the start of its JSON.
func totpAuthOpensWith(firstBlock, password []byte) bool {
	key := sha256.Sum256(password)
	defer clear(key[:])
	block, _ := aes.NewCipher(key[:])
	plain := make([]byte, aes.BlockSize)
	block.Decrypt(plain, firstBlock) // the IV is zero: nothing to XOR
	defer clear(plain)
	return bytes.HasPrefix(plain, []byte(`{"[`))
}

func decodeTOTPAuthenticator(data, password []byte) (Result, error) {
	if looksLikeAndroidPrefs(data, totpAuthPref) {
		prefs, err := parseAndroidPrefs(data)
		if err != nil {
			return Result{}, fmt.Errorf("reading the TOTP Authenticator preferences: %w", err)
		}
		list, ok := prefs[totpAuthPref]
		if !ok {
			return Result{}, fmt.Errorf("these Android preferences hold no TOTP Authenticator accounts (no %s)", totpAuthPref)
		}
		return totpAuthEntries([]byte(list))
	}
	ct, ok := totpAuthCiphertext(data)
	if !ok {
		return Result{}, errors.New("this is not a TOTP Authenticator backup (a .bin file of base64 text) nor its preferences")
	}
	plain, err := openTOTPAuth(ct, password)
	if err != nil {
		return Result{}, err
	}
	defer clear(plain)
	list, err := totpAuthBackupList(plain)
	if err != nil {
		return Result{}, fmt.Errorf("the TOTP Authenticator backup opened but is damaged: %w", err)
	}
	return totpAuthEntries(list)
}

// openTOTPAuth decrypts a backup with the password, or else with the
// app's built-in one (a backup made without a password).
func openTOTPAuth(ct, password []byte) ([]byte, error) {
	tries := [][]byte{[]byte(totpAuthDefaultPassword)}
	if len(password) > 0 {
		tries = append([][]byte{password}, tries...)
	}
	for _, pw := range tries {
		key := sha256.Sum256(pw)
		plain, ok := ixCBCOpen(key[:], make([]byte, aes.BlockSize), ct)
		clear(key[:])
		if ok && bytes.HasPrefix(plain, []byte(`{"`)) {
			return plain, nil
		}
		clear(plain)
	}
	if len(password) == 0 {
		return nil, errors.New("this TOTP Authenticator backup is encrypted: give its password")
	}
	return nil, fmt.Errorf("%w for this TOTP Authenticator backup (or the file is damaged)", ErrWrongPassphrase)
}

// totpAuthBackupList returns the account list of a backup's plaintext:
// the text of its object's first key.
func totpAuthBackupList(plain []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(plain))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("it is not a JSON object")
	}
	if !d.More() {
		return []byte("[]"), nil
	}
	tok, err := d.Token()
	if err != nil {
		return nil, errors.New(ixJSONProblem(err))
	}
	key, _ := tok.(string)
	return []byte(key), nil
}

func totpAuthEntries(list []byte) (Result, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(list, &raw); err != nil {
		return Result{}, fmt.Errorf("the TOTP Authenticator account list: %s", ixJSONProblem(err))
	}
	if len(raw) > maxTOTPAuthEntries {
		return Result{}, fmt.Errorf("the TOTP Authenticator account list holds more than %d accounts", maxTOTPAuthEntries)
	}
	var r Result
	for i, item := range raw {
		// Older versions keep each account as JSON text in the list.
		var text string
		if json.Unmarshal(item, &text) == nil {
			item = []byte(text)
		}
		var e totpAuthEntry
		if err := json.Unmarshal(item, &e); err != nil {
			return Result{}, fmt.Errorf("TOTP Authenticator account %d: %s; nothing was imported", i+1, ixJSONProblem(err))
		}
		k := vault.Key{Params: vault.Params{Type: vault.TOTP, Issuer: e.Issuer, Name: e.Name, Algorithm: vault.SHA1, Digits: e.Digits.int(), Period: e.Period.int()}}
		k.Normalize()
		label := k.Label()
		if label == "" {
			label = fmt.Sprintf("account %d", i+1)
		}
		fail := func(err error) (Result, error) {
			return Result{}, fmt.Errorf("TOTP Authenticator account %d (%s): %w; nothing was imported", i+1, label, err)
		}
		key := strings.TrimSpace(e.Key)
		var err error
		switch e.Base {
		case 16:
			if k.Secret, err = hex.DecodeString(key); err != nil {
				return fail(errors.New("secret: is not valid hex"))
			}
		case 32:
			if k.Secret, err = vault.DecodeSecret(key); err != nil {
				return fail(err)
			}
		case 64:
			if k.Secret, err = steamSecret(key); err != nil { // base64, padded or not
				return fail(errors.New("secret: is not valid base64"))
			}
		default:
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: fmt.Sprintf("its secret is written in base %d, which Countersign does not know", e.Base)})
			continue
		}
		if err := k.Validate(); err != nil {
			return fail(err)
		}
		r.Keys = append(r.Keys, k)
	}
	if len(r.Keys) == 0 && len(r.Skipped) == 0 {
		return Result{}, errors.New("the TOTP Authenticator file holds no accounts")
	}
	return r, nil
}
