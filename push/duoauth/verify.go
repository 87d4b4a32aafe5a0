// Package duoauth verifies requests signed as Duo Security's Auth API
// clients sign them, and writes Duo's response envelopes, so that Duo's
// own client libraries (Go, Python, Node, Java...) can call a Countersign
// server unchanged.
//
// A request carries Authorization: Basic base64(IKEY:HEXSIG) and a Date.
// HEXSIG is an HMAC, keyed with the integration's secret key, of a
// canonical text (see canonical):
//
//   - version 2: date, method, lower-case host, path and the sorted,
//     escaped parameters, one a line; HMAC-SHA1 (Duo's older clients) or
//     HMAC-SHA512 (duo_api_golang, duo_api_nodejs, Python's sig_version=2);
//   - version 4: version 2 and the SHA-512 of the body (JSON); HMAC-SHA512;
//   - version 5: version 4 and the SHA-512 of the X-Duo-* headers;
//     HMAC-SHA512 (Python's default, Go's JSONSignedCall, Node's
//     SIGNATURE_VERSION_5).
//
// Which version signed is not sent: the verifier tries those that the
// signature's length allows, each compared in constant time. The host is
// tried as sent and without its port (Python's client signs the host name
// it was given while its Host header carries the port).
//
// Error codes follow Duo's published ones (40001, 40002, 40101, 40102,
// 40103, 40401, 42901); 40105 for a stale Date is ours, since Duo's pages
// give no code for it: clients treat every FAIL alike.
package duoauth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// ErrUnknownIKey is what a SecretFunc returns for an integration key that
// no integration has.
var ErrUnknownIKey = errors.New("unknown integration key")

// SecretFunc returns the secret key of an integration key, or an error
// wrapping ErrUnknownIKey. The caller must not keep the returned slice.
type SecretFunc func(ikey string) ([]byte, error)

// Defaults of a Verifier's zero fields.
const (
	// DefaultMaxSkew is how far the Date may be from the server's clock.
	DefaultMaxSkew = 5 * time.Minute
	// DefaultMaxBody bounds the body read to check a signature.
	DefaultMaxBody = 64 << 10
)

// Verifier checks Duo-signed requests.
type Verifier struct {
	// Secret looks up an integration's secret key (required).
	Secret SecretFunc
	// Now tells the time (time.Now if nil).
	Now func() time.Time
	// MaxSkew is how far the Date may be from Now (DefaultMaxSkew if zero).
	MaxSkew time.Duration
	// MaxBody bounds the body (DefaultMaxBody if zero).
	MaxBody int64
}

// Request is what a verified request says.
type Request struct {
	// IKey is the integration key that signed it.
	IKey string
	// Version is the signature version that verified: 2, 4 or 5.
	Version int
	// Params are its parameters: the query's, the form body's, and the
	// members of a JSON body (strings, numbers and booleans as text).
	Params url.Values
}

// Verify checks r's signature and date and returns its parameters. It
// reads r's body (at most MaxBody bytes). Refusals are *Error with Duo's
// codes; an error of the SecretFunc other than ErrUnknownIKey is returned
// wrapped, for the caller to answer as an internal error.
func (v *Verifier) Verify(r *http.Request) (*Request, error) {
	ikey, sig, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return nil, ErrMissingCredentials.WithDetail("%v", err)
	}
	date := r.Header.Get("Date")
	sent, err := mail.ParseDate(date)
	if err != nil {
		return nil, ErrMissingCredentials.WithDetail("the Date header is missing or not an RFC 2822 date")
	}
	body, err := v.readBody(r)
	if err != nil {
		return nil, err
	}
	query := r.URL.Query()
	form, jsonParams, err := bodyParams(r.Header.Get("Content-Type"), body)
	if err != nil {
		return nil, err
	}
	secret, err := v.Secret(ikey)
	if errors.Is(err, ErrUnknownIKey) {
		return nil, ErrInvalidIKey
	}
	if err != nil {
		return nil, fmt.Errorf("looking up integration key %s: %w", ikey, err)
	}
	version := matchSignature(secret, sig, r, date, query, form, body)
	if version == 0 {
		return nil, ErrInvalidSignature
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew == 0 {
		skew = DefaultMaxSkew
	}
	if d := now().Sub(sent); d > skew || d < -skew {
		return nil, ErrStaleDate.WithDetail("the Date is %s from the server's time; keep the client's clock in sync (NTP)", d.Round(time.Second).Abs())
	}
	params := url.Values{}
	for _, src := range []url.Values{query, form, jsonParams} {
		for k, vs := range src {
			params[k] = append(params[k], vs...)
		}
	}
	return &Request{IKey: ikey, Version: version, Params: params}, nil
}

// readBody reads the body within MaxBody.
func (v *Verifier) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	limit := v.MaxBody
	if limit == 0 {
		limit = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, ErrInvalidParams.WithDetail("reading the body: %v", err)
	}
	if int64(len(body)) > limit {
		return nil, ErrTooLarge.WithDetail("the body is over %d bytes", limit)
	}
	return body, nil
}

// bodyParams parses a form or JSON body; other bodies give no parameters
// (the signature still covers them in versions 4 and 5).
func bodyParams(contentType string, body []byte) (form, fromJSON url.Values, err error) {
	if len(body) == 0 {
		return nil, nil, nil
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, ErrInvalidParams.WithDetail("the form body does not parse: %v", err)
		}
		return form, nil, nil
	case "application/json":
		fromJSON, err := jsonValues(body)
		if err != nil {
			return nil, nil, ErrInvalidParams.WithDetail("%v", err)
		}
		return nil, fromJSON, nil
	}
	return nil, nil, nil
}

// jsonValues reads a JSON object of strings, numbers and booleans (what
// Duo's clients send with signature version 5) as parameters.
func jsonValues(body []byte) (url.Values, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("the JSON body is not an object: %v", err)
	}
	out := url.Values{}
	for k, v := range obj {
		switch v := v.(type) {
		case string:
			out.Set(k, v)
		case json.Number:
			out.Set(k, v.String())
		case bool:
			out.Set(k, fmt.Sprint(v))
		case nil:
		default:
			return nil, fmt.Errorf("the JSON member %q is not a string, number or boolean", k)
		}
	}
	return out, nil
}

// matchSignature returns the version whose canonical text, with one of
// the host names, has sig as its HMAC under secret; 0 if none.
func matchSignature(secret []byte, sig string, r *http.Request, date string, query, form url.Values, body []byte) int {
	want, err := hex.DecodeString(sig)
	if err != nil {
		return 0
	}
	v2params := url.Values{}
	for _, src := range []url.Values{query, form} {
		for k, vs := range src {
			v2params[k] = append(v2params[k], vs...)
		}
	}
	type candidate struct {
		version int
		newHash func() hash.Hash
		params  url.Values
	}
	var candidates []candidate
	if len(want) == sha1.Size {
		candidates = []candidate{{2, sha1.New, v2params}}
	} else {
		candidates = []candidate{{2, sha512.New, v2params}, {4, sha512.New, query}, {5, sha512.New, query}}
	}
	xduo, xduoOK := canonXDuoHeaders(r.Header)
	matched := 0
	for _, host := range hostNames(r.Host) {
		for _, c := range candidates {
			if c.version == 5 && !xduoOK {
				continue
			}
			mac := hmac.New(c.newHash, secret)
			mac.Write([]byte(canonical(c.version, date, r.Method, host, r.URL.EscapedPath(), c.params, body, xduo)))
			if subtle.ConstantTimeCompare(mac.Sum(nil), want) == 1 && matched == 0 {
				matched = c.version
			}
		}
	}
	return matched
}

// hostNames are the host names a client may have signed: the Host header,
// and without its port when it has one.
func hostNames(host string) []string {
	names := []string{strings.ToLower(host)}
	if h, _, err := net.SplitHostPort(host); err == nil {
		names = append(names, strings.ToLower(h))
	}
	return names
}
