// Package vault holds the accounts of the authenticator: their otpauth
// parameters, their one-time codes, and the storage that keeps metadata in an
// index file and secrets in the OS keyring or an encrypted file.
package vault

import (
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// Type is the kind of one-time code an account produces.
type Type string

// The supported code types.
const (
	// TOTP is a time-based code (RFC 6238).
	TOTP Type = "totp"
	// HOTP is a counter-based code (RFC 4226).
	HOTP Type = "hotp"
	// Steam is Steam Guard's time-based code: five characters from Steam's alphabet.
	Steam Type = "steam"
)

// Algorithm is the HMAC hash function of an account.
type Algorithm string

// The supported HMAC algorithms.
const (
	SHA1   Algorithm = "SHA1"
	SHA256 Algorithm = "SHA256"
	SHA512 Algorithm = "SHA512"
)

// Defaults and limits of the Key URI format.
const (
	DefaultDigits = 6
	DefaultPeriod = 30
	MinDigits     = 6
	MaxDigits     = 10
	SteamDigits   = 5
	// MaxPeriod bounds the period to one day: longer periods are certainly a typo.
	MaxPeriod = 86400
	// MaxSecretBytes bounds the decoded secret; real seeds are 10 to 64 bytes.
	MaxSecretBytes = 1024
	// MaxLabelLength bounds the issuer and account name, in bytes.
	MaxLabelLength = 512
)

// Params are the parameters of an account: everything but its secret.
type Params struct {
	Type      Type      `json:"type"`
	Issuer    string    `json:"issuer"`
	Name      string    `json:"name"`
	Algorithm Algorithm `json:"algorithm"`
	Digits    int       `json:"digits"`
	// Period is the time step in seconds of TOTP and Steam accounts.
	Period int `json:"period"`
	// Counter is the moving factor of HOTP accounts: the counter of the next code.
	Counter uint64 `json:"counter"`
}

// Key is an account's parameters together with its secret seed.
type Key struct {
	Params
	// Secret is the raw (decoded) seed. Never log or print it.
	Secret []byte `json:"-"`
}

// SameAccount reports whether k and o are the same account: the same type,
// secret, issuer and name. Two accounts may share a secret (Google
// Authenticator keeps such accounts apart), so the secret alone is not
// enough.
func (k Key) SameAccount(o Key) bool {
	return k.Type == o.Type && k.Issuer == o.Issuer && k.Name == o.Name && subtle.ConstantTimeCompare(k.Secret, o.Secret) == 1 // a secret: constant time
}

// FieldError reports an invalid field of a key or URI: which field and what is wrong.
// It never contains the secret.
type FieldError struct {
	Field   string
	Problem string
}

// Error reads "FIELD: PROBLEM"; it never holds the secret.
func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// ParseAlgorithm accepts SHA1, SHA256 and SHA512 in any case, with or without a dash.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(s)), "-", "") {
	case "", "SHA1":
		return SHA1, nil
	case "SHA256":
		return SHA256, nil
	case "SHA512":
		return SHA512, nil
	}
	return "", fieldErr("algorithm", "%q is not supported; use SHA1, SHA256 or SHA512", s)
}

// ParseType accepts totp, hotp and steam in any case.
func ParseType(s string) (Type, error) {
	switch t := Type(strings.ToLower(strings.TrimSpace(s))); t {
	case TOTP, HOTP, Steam:
		return t, nil
	}
	return "", fieldErr("type", "%q is not supported; use totp, hotp or steam", s)
}

var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// DecodeSecret decodes a base32 secret as people and apps write it: upper or
// lower case, with spaces, dashes or '=' padding.
func DecodeSecret(s string) ([]byte, error) {
	// Remove what people type between groups, remembering where each kept
	// character was, to point at a bad one in the input as typed.
	var clean []byte
	var at []int
	for i, r := range strings.ToUpper(s) {
		switch r {
		case ' ', '\t', '\n', '\r', '-', '=':
			continue
		}
		if r >= 0x80 {
			return nil, fieldErr("secret", "is not valid base32 (character %d: only A-Z and 2-7 are allowed)", utf8.RuneCountInString(s[:i])+1)
		}
		clean = append(clean, byte(r))
		at = append(at, utf8.RuneCountInString(s[:i])+1)
	}
	if len(clean) == 0 {
		return nil, fieldErr("secret", "is missing")
	}
	if len(clean) > base32.StdEncoding.EncodedLen(MaxSecretBytes) {
		return nil, fieldErr("secret", "is too long (more than %d bytes)", MaxSecretBytes)
	}
	b, err := secretEncoding.DecodeString(string(clean))
	if err != nil {
		var bad base32.CorruptInputError
		if errors.As(err, &bad) && int(bad) < len(at) {
			return nil, fieldErr("secret", "is not valid base32 (character %d: only A-Z and 2-7 are allowed)", at[bad])
		}
		return nil, fieldErr("secret", "is not valid base32 (its length is wrong: a character is missing or extra)")
	}
	if len(b) == 0 {
		return nil, fieldErr("secret", "is too short")
	}
	return b, nil
}

// EncodeSecret encodes a raw secret as upper-case base32 without padding, as
// the Key URI format writes it.
func EncodeSecret(secret []byte) string { return secretEncoding.EncodeToString(secret) }

// Normalize fills in the defaults of the Key URI format (SHA1, 6 digits, 30
// seconds; 5 digits for Steam) and trims the labels.
func (p *Params) Normalize() {
	p.Issuer = strings.TrimSpace(p.Issuer)
	p.Name = strings.TrimSpace(p.Name)
	if p.Type == "" {
		p.Type = TOTP
	}
	if p.Algorithm == "" {
		p.Algorithm = SHA1
	}
	if p.Digits == 0 {
		p.Digits = DefaultDigits
	}
	if p.Type == Steam {
		p.Digits = SteamDigits
		p.Algorithm = SHA1
	}
	if p.Type == HOTP {
		p.Period = 0
	} else {
		p.Counter = 0
		if p.Period == 0 {
			p.Period = DefaultPeriod
		}
	}
}

// Validate checks every parameter and returns a *FieldError for the first bad one.
func (p Params) Validate() error {
	if _, err := ParseType(string(p.Type)); err != nil {
		return err
	}
	if _, err := ParseAlgorithm(string(p.Algorithm)); err != nil || p.Algorithm == "" {
		return fieldErr("algorithm", "%q is not supported; use SHA1, SHA256 or SHA512", p.Algorithm)
	}
	switch {
	case p.Type == Steam && p.Digits != SteamDigits:
		return fieldErr("digits", "Steam codes have %d characters, not %d", SteamDigits, p.Digits)
	case p.Type != Steam && (p.Digits < MinDigits || p.Digits > MaxDigits):
		return fieldErr("digits", "%d is out of range; use %d to %d", p.Digits, MinDigits, MaxDigits)
	}
	if p.Type != HOTP && (p.Period < 1 || p.Period > MaxPeriod) {
		return fieldErr("period", "%d is out of range; use 1 to %d seconds (usually 30)", p.Period, MaxPeriod)
	}
	if p.Name == "" && p.Issuer == "" {
		return fieldErr("name", "is missing; give the account a name or an issuer")
	}
	if len(p.Name) > MaxLabelLength {
		return fieldErr("name", "is too long (more than %d bytes)", MaxLabelLength)
	}
	if len(p.Issuer) > MaxLabelLength {
		return fieldErr("issuer", "is too long (more than %d bytes)", MaxLabelLength)
	}
	return nil
}

// Validate checks the parameters and the secret.
func (k Key) Validate() error {
	if err := k.Params.Validate(); err != nil {
		return err
	}
	switch {
	case len(k.Secret) == 0:
		return fieldErr("secret", "is missing")
	case len(k.Secret) > MaxSecretBytes:
		return fieldErr("secret", "is too long (more than %d bytes)", MaxSecretBytes)
	}
	return nil
}

// Label is how the account is shown: "Issuer (name)", or whichever of the two exists.
func (p Params) Label() string {
	switch {
	case p.Issuer == "":
		return p.Name
	case p.Name == "":
		return p.Issuer
	}
	return p.Issuer + " (" + p.Name + ")"
}

func (p Params) otpOptions() (otp.Algorithm, otp.Encoder) {
	alg := otp.AlgorithmSHA1
	switch p.Algorithm {
	case SHA256:
		alg = otp.AlgorithmSHA256
	case SHA512:
		alg = otp.AlgorithmSHA512
	}
	enc := otp.EncoderDefault
	if p.Type == Steam {
		enc = otp.EncoderSteam
	}
	return alg, enc
}

// TimeStep returns the TOTP counter (time step) that contains t.
func (p Params) TimeStep(t time.Time) uint64 {
	if p.Period <= 0 || t.Unix() < 0 {
		return 0
	}
	return uint64(t.Unix()) / uint64(p.Period)
}

// Window returns when the code valid at t started and when it ends.
func (p Params) Window(t time.Time) (start, end time.Time) {
	step := p.TimeStep(t)
	start = time.Unix(int64(step)*int64(p.Period), 0)
	return start, start.Add(time.Duration(p.Period) * time.Second)
}

// CodeAt returns the code of a TOTP or Steam key at time t.
// For an HOTP key it returns the code of the current counter.
func (k Key) CodeAt(t time.Time) (string, error) {
	if k.Type == HOTP {
		return k.HOTPCode(k.Counter)
	}
	if err := k.Validate(); err != nil {
		return "", fmt.Errorf("cannot compute code: %w", err)
	}
	if t.Unix() < 0 {
		return "", fieldErr("time", "%d is before 1970", t.Unix())
	}
	alg, enc := k.otpOptions()
	code, err := totp.GenerateCodeCustom(EncodeSecret(k.Secret), t, totp.ValidateOpts{
		Period:    uint(k.Period),
		Digits:    otp.Digits(k.Digits),
		Algorithm: alg,
		Encoder:   enc,
	})
	if err != nil {
		return "", fmt.Errorf("computing code: %w", err)
	}
	return code, nil
}

// HOTPCode returns the HOTP code for the given counter.
func (k Key) HOTPCode(counter uint64) (string, error) {
	if err := k.Validate(); err != nil {
		return "", fmt.Errorf("cannot compute code: %w", err)
	}
	alg, enc := k.otpOptions()
	code, err := hotp.GenerateCodeCustom(EncodeSecret(k.Secret), counter, hotp.ValidateOpts{
		Digits:    otp.Digits(k.Digits),
		Algorithm: alg,
		Encoder:   enc,
	})
	if err != nil {
		return "", fmt.Errorf("computing code: %w", err)
	}
	return code, nil
}

// GroupCode splits a code for reading: "123456" becomes "123 456",
// "12345678" becomes "1234 5678", "123456789" becomes "123 456 789";
// five-character Steam codes are left whole.
func GroupCode(code string) string {
	switch n := len(code); {
	case n < 6:
		return code
	case n%3 == 0:
		var b strings.Builder
		for i := 0; i < n; i += 3 {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(code[i : i+3])
		}
		return b.String()
	default:
		half := (n + 1) / 2
		return code[:half] + " " + code[half:]
	}
}
