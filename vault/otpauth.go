package vault

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// MaxURILength bounds the URIs the parser accepts; real ones are under 300 bytes.
const MaxURILength = 8192

// URIError is returned for a malformed otpauth URI. It wraps a *FieldError
// naming the field at fault, and never contains the secret.
type URIError struct {
	Err error
}

// Error reads "otpauth URI: " and the wrapped error; it never holds the secret.
func (e *URIError) Error() string { return "otpauth URI: " + e.Err.Error() }

// Unwrap returns the underlying *FieldError.
func (e *URIError) Unwrap() error { return e.Err }

func uriErr(field, format string, args ...any) error {
	return &URIError{Err: fieldErr(field, format, args...)}
}

// ParseURI parses an otpauth:// URI of the Key URI format
// (otpauth://TYPE/[ISSUER:]ACCOUNT?secret=...&issuer=...&algorithm=...&digits=...&period=...&counter=...).
//
// TYPE is totp, hotp or steam; a totp URI with encoder=steam is a Steam key.
// The issuer parameter wins over the label's prefix. The secret is base32,
// with or without padding, in any case, spaces allowed.
func ParseURI(raw string) (Key, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > MaxURILength {
		return Key{}, uriErr("uri", "is too long (%d bytes, at most %d)", len(raw), MaxURILength)
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || !strings.EqualFold(scheme, "otpauth") {
		return Key{}, uriErr("scheme", "must be otpauth:// (got %q)", truncate(scheme, 40))
	}
	typeName, rest, _ := strings.Cut(rest, "/")
	labelPart, query, _ := strings.Cut(rest, "?")
	query, _, _ = strings.Cut(query, "#")

	var k Key
	t, err := ParseType(typeName)
	if err != nil {
		return Key{}, &URIError{Err: err}
	}
	k.Type = t

	label, err := url.PathUnescape(labelPart)
	if err != nil {
		return Key{}, uriErr("label", "has a bad %%-escape: %v", err)
	}
	parsed, err := url.ParseQuery(query)
	if err != nil {
		return Key{}, uriErr("query", "is malformed: %v", err)
	}
	// Parameter names in any case (SECRET=, Issuer=), as other libraries
	// accept; where a name comes in several cases, the lower-case one wins.
	values := url.Values{}
	for _, name := range slices.Sorted(maps.Keys(parsed)) { // sorted: the same winner every time
		if lower := strings.ToLower(name); name != lower && parsed[lower] == nil && values[lower] == nil {
			values[lower] = parsed[name]
		}
	}
	for name, vs := range parsed {
		if name == strings.ToLower(name) {
			values[name] = vs
		}
	}
	issuer := strings.TrimSpace(values.Get("issuer"))
	switch prefix, account, found := strings.Cut(label, ":"); {
	case issuer != "" && strings.HasPrefix(label, issuer+":"):
		// The issuer may itself hold a colon: strip exactly the issuer prefix.
		k.Name = label[len(issuer)+1:]
	case found:
		k.Issuer, k.Name = prefix, account
	default:
		k.Name = label
	}
	if issuer != "" {
		k.Issuer = issuer
	}
	secret, ok := values["secret"]
	if !ok || strings.TrimSpace(secret[0]) == "" {
		return Key{}, uriErr("secret", "is missing")
	}
	if k.Secret, err = DecodeSecret(secret[0]); err != nil {
		return Key{}, &URIError{Err: err}
	}
	if v := values.Get("algorithm"); v != "" {
		if k.Algorithm, err = ParseAlgorithm(v); err != nil {
			return Key{}, &URIError{Err: err}
		}
	}
	if strings.EqualFold(values.Get("encoder"), "steam") {
		if k.Type != TOTP && k.Type != Steam {
			return Key{}, uriErr("encoder", "steam applies to time-based keys, not %s", k.Type)
		}
		k.Type = Steam
	}
	if v := values.Get("digits"); v != "" {
		if k.Digits, err = parseInt("digits", v, 1, MaxDigits); err != nil {
			return Key{}, err
		}
	}
	if k.Type == Steam {
		// Steam URIs often say digits=5 or nothing at all; the code length is fixed.
		k.Digits = SteamDigits
	}
	if v := values.Get("period"); v != "" && k.Type != HOTP {
		if k.Period, err = parseInt("period", v, 1, MaxPeriod); err != nil {
			return Key{}, err
		}
	}
	if k.Type == HOTP {
		v := values.Get("counter")
		if v == "" {
			return Key{}, uriErr("counter", "is missing (required for hotp)")
		}
		c, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return Key{}, uriErr("counter", "%q is not a non-negative whole number", truncate(v, 40))
		}
		k.Counter = c
	}
	k.Normalize()
	if err := k.Validate(); err != nil {
		return Key{}, &URIError{Err: err}
	}
	return k, nil
}

func parseInt(field, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, uriErr(field, "%q is not a whole number", truncate(v, 40))
	}
	if n < lo || n > hi {
		return 0, uriErr(field, "%d is out of range (%d to %d)", n, lo, hi)
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// labelEscape escapes a label part for the URI path, including ':' which
// separates the issuer from the account name.
func labelEscape(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

// URI returns the otpauth:// URI of the key. It contains the secret: treat
// it like the secret itself. Steam keys are written as totp with
// encoder=steam, which other apps read as TOTP and Steam-aware apps as Steam.
func (k Key) URI() string {
	typ := k.Type
	if typ == Steam {
		typ = TOTP
	}
	label := labelEscape(k.Name)
	if k.Issuer != "" {
		label = labelEscape(k.Issuer) + ":" + label
	}
	var q strings.Builder
	q.WriteString("secret=" + EncodeSecret(k.Secret))
	if k.Issuer != "" {
		// %20 rather than '+': not every app decodes '+' in a query as a space.
		q.WriteString("&issuer=" + strings.ReplaceAll(url.QueryEscape(k.Issuer), "+", "%20"))
	}
	fmt.Fprintf(&q, "&algorithm=%s&digits=%d", k.Algorithm, k.Digits)
	if k.Type == HOTP {
		fmt.Fprintf(&q, "&counter=%d", k.Counter)
	} else {
		fmt.Fprintf(&q, "&period=%d", k.Period)
	}
	if k.Type == Steam {
		q.WriteString("&encoder=steam")
	}
	return "otpauth://" + string(typ) + "/" + label + "?" + q.String()
}
