package transfer

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/countersign/countersign/vault"
)

// Authy has no export. Its Android app keeps the tokens in its preferences
// (shared_prefs/com.authy.storage.tokens.authenticator.xml, and
// ...tokens.authy.xml for Authy's own tokens), which users get from a
// rooted phone or a device backup: Android preferences XML whose string
// "com.authy.storage.tokens.authenticator.key" is a JSON array of tokens:
//
//	{"accountType": "authenticator", "name": "Deno: Mason", "originalName": "Deno:Mason",
//	 "originalIssuer": "Deno", "digits": 6, "decryptedSecret": "<base32>", ...}
//
// With backups turned on, a token holds "encryptedSecret" and "salt" in
// place of "decryptedSecret": the base32 secret encrypted with AES-256-CBC
// (zero IV, PKCS#7 padding) under PBKDF2-HMAC-SHA1(backup password, the
// salt's UTF-8 bytes, 1000 iterations, 32 bytes). Authenticator tokens are
// TOTP, SHA1, 30 seconds. Authy's own tokens ("secretSeed", hex) are TOTP,
// SHA1, 10 seconds, usually 7 digits.

const (
	authyAuthenticatorPref = "com.authy.storage.tokens.authenticator.key"
	authyAppPref           = "com.authy.storage.tokens.authy.key"
	authyIterations        = 1000
	// maxAuthyTokens bounds the tokens of a file, and so the PBKDF2 work
	// of opening it (each token has its own salt).
	maxAuthyTokens = 5000
)

type authyToken struct {
	AccountType     string  `json:"accountType"`
	Name            string  `json:"name"`
	OriginalName    string  `json:"originalName"`
	OriginalIssuer  string  `json:"originalIssuer"`
	Digits          ixInt   `json:"digits"`
	DecryptedSecret *string `json:"decryptedSecret"`
	EncryptedSecret *string `json:"encryptedSecret"`
	Salt            string  `json:"salt"`
	SecretSeed      *string `json:"secretSeed"`
	// Set by newer Authy versions, whose encryption Countersign does not read.
	Iterations *ixInt  `json:"key_derivation_iterations"`
	UniqueIV   *string `json:"unique_iv"`
}

func init() {
	register(importer{format: "authy", app: "Authy", sniff: sniffAuthy, decode: decodeAuthy})
}

func sniffAuthy(data []byte) (ok, encrypted bool) {
	if !looksLikeAndroidPrefs(data, authyAuthenticatorPref) && !looksLikeAndroidPrefs(data, authyAppPref) {
		return false, false
	}
	tokens, err := readAuthy(data)
	if err != nil {
		return false, false
	}
	return true, authyEncrypted(tokens)
}

// authyEncrypted reports whether a token needs the backup password.
func authyEncrypted(tokens []authyToken) bool {
	for _, t := range tokens {
		if t.EncryptedSecret != nil && t.DecryptedSecret == nil && t.SecretSeed == nil {
			return true
		}
	}
	return false
}

// readAuthy returns the tokens of an Authy preferences file: the
// authenticator tokens, then Authy's own.
func readAuthy(data []byte) ([]authyToken, error) {
	prefs, err := parseAndroidPrefs(data)
	if err != nil {
		return nil, err
	}
	var tokens []authyToken
	found := false
	for _, pref := range []string{authyAuthenticatorPref, authyAppPref} {
		list, ok := prefs[pref]
		if !ok {
			continue
		}
		found = true
		var ts []authyToken
		if err := json.Unmarshal([]byte(list), &ts); err != nil {
			return nil, fmt.Errorf("the token list %s: %s", pref, ixJSONProblem(err))
		}
		tokens = append(tokens, ts...)
		if len(tokens) > maxAuthyTokens {
			return nil, fmt.Errorf("the file holds more than %d tokens", maxAuthyTokens)
		}
	}
	if !found {
		return nil, fmt.Errorf("these Android preferences hold no Authy tokens (no %s)", authyAuthenticatorPref)
	}
	return tokens, nil
}

func decodeAuthy(data, password []byte) (Result, error) {
	tokens, err := readAuthy(data)
	if err != nil {
		return Result{}, fmt.Errorf("reading the Authy file: %w", err)
	}
	if authyEncrypted(tokens) && len(password) == 0 {
		return Result{}, errors.New("this Authy file is encrypted: give the backup password set in Authy")
	}
	var r Result
	opened := 0
	for i, t := range tokens {
		issuer, name := authyLabels(t)
		k := vault.Key{Params: vault.Params{Type: vault.TOTP, Issuer: issuer, Name: name, Algorithm: vault.SHA1, Digits: t.Digits.int(), Period: 30}}
		label := k.Label()
		if label == "" {
			label = fmt.Sprintf("token %d", i+1)
		}
		fail := func(err error) (Result, error) {
			return Result{}, fmt.Errorf("Authy token %d (%s): %w; nothing was imported", i+1, label, err)
		}
		switch {
		case t.DecryptedSecret != nil:
			if k.Secret, err = vault.DecodeSecret(*t.DecryptedSecret); err != nil {
				return fail(err)
			}
		case t.SecretSeed != nil: // one of Authy's own tokens
			if k.Secret, err = hex.DecodeString(strings.TrimSpace(*t.SecretSeed)); err != nil || len(k.Secret) == 0 {
				return fail(errors.New("its secret seed is not hex"))
			}
			k.Issuer, k.Name, k.Period = strings.TrimSpace(t.Name), "", 10
			if k.Digits == 0 {
				k.Digits = 7
			}
		case t.EncryptedSecret != nil:
			secret, err := openAuthySecret(t, password)
			if errors.Is(err, errAuthyNoOpen) {
				if opened == 0 {
					return Result{}, fmt.Errorf("%w for this Authy file (it is the backup password set in Authy)", ErrWrongPassphrase)
				}
				return fail(errors.New("its secret does not open with the password that opens the others: the file is damaged"))
			}
			if err != nil {
				return fail(err)
			}
			opened++
			k.Secret = secret
		default:
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: "the file holds no secret for it"})
			continue
		}
		k.Normalize()
		if err := k.Validate(); err != nil {
			return fail(err)
		}
		r.Keys = append(r.Keys, k)
	}
	if len(r.Keys) == 0 && len(r.Skipped) == 0 {
		return Result{}, errors.New("the Authy file holds no tokens")
	}
	return r, nil
}

// errAuthyNoOpen: the password does not open a token's secret.
var errAuthyNoOpen = errors.New("the password does not open the secret")

func openAuthySecret(t authyToken, password []byte) ([]byte, error) {
	if (t.UniqueIV != nil && *t.UniqueIV != "") || (t.Iterations != nil && *t.Iterations != authyIterations) {
		return nil, errors.New("its secret is encrypted the way newer Authy versions do it, which Countersign does not read")
	}
	ct, err := base64.StdEncoding.DecodeString(strings.TrimSpace(*t.EncryptedSecret))
	if err != nil || len(ct) == 0 || len(ct)%16 != 0 {
		return nil, errors.New("its encrypted secret is damaged (not base64 of whole AES blocks)")
	}
	if t.Salt == "" {
		return nil, errors.New("its encrypted secret has no salt")
	}
	key, err := pbkdf2.Key(sha1.New, string(password), []byte(t.Salt), authyIterations, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving the key: %w", err)
	}
	defer clear(key)
	plain, ok := ixCBCOpen(key, make([]byte, 16), ct)
	if !ok {
		return nil, errAuthyNoOpen
	}
	defer clear(plain)
	// The plaintext is the base32 secret: anything else is a wrong key
	// whose padding happened to look right.
	for _, c := range plain {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '2' && c <= '7' || c == '=' || c == ' ') {
			return nil, errAuthyNoOpen
		}
	}
	secret, err := vault.DecodeSecret(string(plain))
	if err != nil {
		return nil, errAuthyNoOpen
	}
	return secret, nil
}

// authyLabels finds a token's issuer and account name. The issuer is the
// one of the otpauth URI the token was added with (originalIssuer, or the
// prefix of originalName), else what the shown name puts before " - ", else
// the account type Authy guessed (a brand: "google", "dropbox"). The name
// is the shown name (which users may edit) without the issuer in front of
// it, else the account of the original label.
func authyLabels(t authyToken) (issuer, name string) {
	shown := strings.TrimSpace(t.Name)
	prefix, account, hasColon := strings.Cut(t.OriginalName, ":")
	switch accountType := strings.TrimSpace(t.AccountType); {
	case strings.TrimSpace(t.OriginalIssuer) != "":
		issuer = strings.TrimSpace(t.OriginalIssuer)
	case hasColon && strings.TrimSpace(prefix) != "":
		issuer = strings.TrimSpace(prefix)
	case strings.Contains(shown, " - "):
		issuer, _, _ = strings.Cut(shown, " - ")
		issuer = strings.TrimSpace(issuer)
	case accountType != "" && accountType != "authenticator":
		first, size := utf8.DecodeRuneInString(accountType)
		issuer = string(unicode.ToUpper(first)) + accountType[size:]
	}
	name = shown
	if issuer != "" {
		if rest, ok := strings.CutPrefix(shown, issuer); ok {
			rest = strings.TrimSpace(rest)
			for _, sep := range []string{":", "-"} {
				if after, ok := strings.CutPrefix(rest, sep); ok {
					name = strings.TrimSpace(after)
					break
				}
			}
			if rest == "" {
				name = ""
			}
		}
	}
	if name == "" {
		if hasColon {
			name = strings.TrimSpace(account)
		} else if o := strings.TrimSpace(t.OriginalName); o != issuer {
			name = o
		}
	}
	return issuer, name
}
