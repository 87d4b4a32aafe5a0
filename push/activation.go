// Package push holds the wire protocol shared by the Countersign app and
// server: the activation URI, sign-in requests and answers, and the Ed25519
// signatures that protect every one of them end to end.
package push

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ActivationScheme is the scheme of activation URIs shown as QR codes.
const ActivationScheme = "countersign"

// MaxActivationURILength bounds the activation URIs the parser accepts.
const MaxActivationURILength = 4096

// MinActivationCodeBytes is the least entropy of an activation code (128 bits).
const MinActivationCodeBytes = 16

// Activation is the content of an activation QR code:
// countersign://activate?v=1&url=...&code=...&issuer=...&account=...&fp=...
type Activation struct {
	// URL is the server's activation endpoint: https, or http on a loopback address.
	URL string
	// Code is the single-use activation code (base64url, at least 128 bits).
	Code string
	// Issuer names the service, as shown in the app.
	Issuer string
	// Account is the user's name on that service.
	Account string
	// Fingerprint identifies the server's Ed25519 key (see Fingerprint).
	Fingerprint string
}

// ActivationError reports a malformed activation URI; Field names the part at fault.
type ActivationError struct {
	Field   string
	Problem string
}

// Error reads "activation code: FIELD: PROBLEM"; it never holds the token.
func (e *ActivationError) Error() string {
	return "activation code: " + e.Field + ": " + e.Problem
}

func activationErr(field, format string, args ...any) error {
	return &ActivationError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// IsActivationURI reports whether s looks like a Countersign activation URI.
func IsActivationURI(s string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), ActivationScheme+"://activate")
}

// ParseActivationURI parses and checks an activation URI. The endpoint must
// be https, or plain http only on a loopback address.
func ParseActivationURI(raw string) (Activation, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > MaxActivationURILength {
		return Activation{}, activationErr("uri", "is too long (%d bytes)", len(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Only url.Parse's reason: its *url.Error quotes the whole URI,
		// activation code and all.
		return Activation{}, activationErr("uri", "is malformed: %v", urlProblem(err))
	}
	if !strings.EqualFold(u.Scheme, ActivationScheme) || !strings.EqualFold(u.Host, "activate") {
		return Activation{}, activationErr("uri", "must start with countersign://activate")
	}
	q := u.Query()
	if v := q.Get("v"); v != "1" {
		return Activation{}, activationErr("v", "version %q is not supported; update the app", v)
	}
	a := Activation{
		URL:         q.Get("url"),
		Code:        q.Get("code"),
		Issuer:      strings.TrimSpace(q.Get("issuer")),
		Account:     strings.TrimSpace(q.Get("account")),
		Fingerprint: q.Get("fp"),
	}
	if err := CheckEndpoint(a.URL); err != nil {
		return Activation{}, &ActivationError{Field: "url", Problem: err.Error()}
	}
	code, err := base64.RawURLEncoding.DecodeString(a.Code)
	switch {
	case a.Code == "":
		return Activation{}, activationErr("code", "is missing")
	case err != nil:
		return Activation{}, activationErr("code", "is not base64url")
	case len(code) < MinActivationCodeBytes:
		return Activation{}, activationErr("code", "is too short (%d bits, at least %d)", len(code)*8, MinActivationCodeBytes*8)
	}
	if a.Account == "" {
		return Activation{}, activationErr("account", "is missing")
	}
	if !strings.HasPrefix(a.Fingerprint, fingerprintPrefix) {
		return Activation{}, activationErr("fp", "is missing or not a SHA256: fingerprint")
	}
	return a, nil
}

// urlProblem returns the reason of a url.Parse error without the URL it
// quotes, which may hold a secret.
func urlProblem(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// URI returns the activation URI of a, as shown in the QR code.
func (a Activation) URI() string {
	q := url.Values{}
	q.Set("v", "1")
	q.Set("url", a.URL)
	q.Set("code", a.Code)
	q.Set("issuer", a.Issuer)
	q.Set("account", a.Account)
	q.Set("fp", a.Fingerprint)
	return ActivationScheme + "://activate?" + q.Encode()
}

// CheckEndpoint accepts an https URL, or an http URL whose host is a loopback
// address: secrets and keys never cross a network in clear.
func CheckEndpoint(raw string) error {
	if raw == "" {
		return fmt.Errorf("is missing")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s uses plain http off this machine; the server must use https", u.Host)
	}
	return fmt.Errorf("scheme %q is not https", u.Scheme)
}

// IsLoopback reports whether host is localhost or a loopback IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

const fingerprintPrefix = "SHA256:"

// Fingerprint names a server public key: "SHA256:" and the unpadded
// base64url SHA-256 of the key.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return fingerprintPrefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

// MatchFingerprint reports, in constant time, whether pub has fingerprint fp.
func MatchFingerprint(pub ed25519.PublicKey, fp string) bool {
	return len(pub) == ed25519.PublicKeySize && subtle.ConstantTimeCompare([]byte(Fingerprint(pub)), []byte(fp)) == 1
}
