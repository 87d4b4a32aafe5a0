package telephony

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The callback a gateway makes when a call ends.
const (
	// CallbackPath is where the server takes callbacks.
	CallbackPath = "/v1/telephony/callback"
	// CallbackSignatureHeader carries a callback's signature,
	// "t=<unix time>,v1=<hex HMAC-SHA256>".
	CallbackSignatureHeader = "X-Countersign-Signature"
	// CallbackTolerance is how far a callback's time may be from the
	// server's clock.
	CallbackTolerance = 5 * time.Minute
	// MaxCallbackBody bounds a callback's body, in bytes.
	MaxCallbackBody = 4096
	// maxSignatureHeader bounds the signature header, in bytes.
	maxSignatureHeader = 1024
)

// Errors of VerifyCallback, wrapped with what was wrong.
var (
	// ErrSignatureMalformed: the header is missing or not of the form
	// t=<unix time>,v1=<hex>.
	ErrSignatureMalformed = errors.New("callback signature header malformed")
	// ErrSignatureStale: the signed time is more than CallbackTolerance
	// from now (a replay, or a clock that is off).
	ErrSignatureStale = errors.New("callback signature too old or in the future")
	// ErrSignatureMismatch: no signature matches the body with the secret.
	ErrSignatureMismatch = errors.New("callback signature does not match")
)

// The statuses a callback reports.
const (
	// StatusCompleted: the call was answered and ended.
	StatusCompleted = "completed"
	// StatusNoAnswer: nobody answered.
	StatusNoAnswer = "no-answer"
	// StatusFailed: the call could not be made.
	StatusFailed = "failed"
)

// Callback is what a gateway reports about a call, in the JSON body
// {"id":"<message id>","digits":"0#","status":"completed"}.
type Callback struct {
	// ID is the message's id.
	ID string
	// Digits are the keys pressed, of 0-9, # and *: "#" approves, "0#"
	// reports fraud, "" is no key.
	Digits string
	// Status is StatusCompleted, StatusNoAnswer or StatusFailed.
	Status string
}

// SignCallback is the CallbackSignatureHeader value for body sent at t:
// "t=<unix time>,v1=<hex HMAC-SHA256 of "<unix time>.<body>" keyed with
// secret>", as Stripe signs its webhooks.
func SignCallback(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(callbackMAC(secret, ts, body))
}

// callbackMAC is the HMAC-SHA256 of "<ts>.<body>".
func callbackMAC(secret []byte, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifyCallback checks a callback's signature header against its body:
// one v1 signature (there may be several, while a secret is rotated) must
// match, compared in constant time, and its time must be within
// CallbackTolerance of now. The error wraps ErrSignatureMalformed,
// ErrSignatureStale or ErrSignatureMismatch.
func VerifyCallback(secret []byte, header string, body []byte, now time.Time) error {
	if len(secret) == 0 {
		return errors.New("callback secret is empty: configure the secret shared with the telephony gateway")
	}
	ts, sigs, err := parseSignatureHeader(header)
	if err != nil {
		return err
	}
	t, _ := strconv.ParseInt(ts, 10, 64) // parseSignatureHeader has checked it
	if d := now.Unix() - t; d > int64(CallbackTolerance/time.Second) || d < -int64(CallbackTolerance/time.Second) {
		return fmt.Errorf("%w: signed at %d, %s from now (at most %s); check the gateway's clock", ErrSignatureStale, t, (time.Duration(d) * time.Second).String(), CallbackTolerance)
	}
	want := callbackMAC(secret, ts, body)
	ok := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("%w: check that the gateway signs the exact body with the shared secret", ErrSignatureMismatch)
	}
	return nil
}

// parseSignatureHeader reads "t=<unix>,v1=<hex>[,v1=<hex>...]": exactly
// one t, at least one v1 of 32 bytes; other keys (future schemes) are
// ignored.
func parseSignatureHeader(header string) (ts string, sigs [][]byte, err error) {
	if header == "" {
		return "", nil, fmt.Errorf("%w: no %s header", ErrSignatureMalformed, CallbackSignatureHeader)
	}
	if len(header) > maxSignatureHeader {
		return "", nil, fmt.Errorf("%w: %d bytes, more than %d", ErrSignatureMalformed, len(header), maxSignatureHeader)
	}
	for _, part := range strings.Split(header, ",") {
		key, value, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return "", nil, fmt.Errorf("%w: %q is not key=value", ErrSignatureMalformed, limit(part, 40))
		}
		switch key {
		case "t":
			if ts != "" {
				return "", nil, fmt.Errorf("%w: more than one t", ErrSignatureMalformed)
			}
			if value == "" || len(value) > 12 || strings.Trim(value, "0123456789") != "" {
				return "", nil, fmt.Errorf("%w: t=%q is not a Unix time in seconds", ErrSignatureMalformed, limit(value, 20))
			}
			ts = value
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return "", nil, fmt.Errorf("%w: v1 is not %d hex digits", ErrSignatureMalformed, 2*sha256.Size)
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("%w: no t=<unix time>", ErrSignatureMalformed)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: no v1=<hex signature>", ErrSignatureMalformed)
	}
	return ts, sigs, nil
}

// ParseCallback reads a callback's body strictly: one JSON object of
// strings with the fields id (required, at most 128 printable ASCII
// characters), digits (optional, at most 16 of 0-9, # and *) and status
// (required: completed, no-answer or failed); no other field, no field
// twice, nothing after the object, at most MaxCallbackBody bytes.
func ParseCallback(body []byte) (Callback, error) {
	if len(body) > MaxCallbackBody {
		return Callback{}, fmt.Errorf("callback body is %d bytes, more than %d", len(body), MaxCallbackBody)
	}
	fields, err := stringObject(body)
	if err != nil {
		return Callback{}, fmt.Errorf("callback body: %w", err)
	}
	var cb Callback
	var hasID, hasStatus bool
	for key, value := range fields {
		switch key {
		case "id":
			cb.ID, hasID = value, true
		case "digits":
			cb.Digits = value
		case "status":
			cb.Status, hasStatus = value, true
		default:
			return Callback{}, fmt.Errorf("callback body: unknown field %q; only id, digits and status are allowed", limit(key, 40))
		}
	}
	switch {
	case !hasID || cb.ID == "":
		return Callback{}, errors.New("callback body: no id: give the id of the message the call was made for")
	case len(cb.ID) > MaxIDLength || strings.IndexFunc(cb.ID, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0:
		return Callback{}, fmt.Errorf("callback body: id %q is not at most %d printable ASCII characters", limit(cb.ID, 40), MaxIDLength)
	case len(cb.Digits) > 16 || strings.Trim(cb.Digits, "0123456789#*") != "":
		return Callback{}, fmt.Errorf("callback body: digits %q may hold only 0-9, # and *, at most 16", limit(cb.Digits, 40))
	case !hasStatus:
		return Callback{}, errors.New("callback body: no status: give completed, no-answer or failed")
	case cb.Status != StatusCompleted && cb.Status != StatusNoAnswer && cb.Status != StatusFailed:
		return Callback{}, fmt.Errorf("callback body: status %q is not completed, no-answer or failed", limit(cb.Status, 40))
	}
	return cb, nil
}

// stringObject reads a JSON object whose values are all strings, refusing
// a key given twice and anything after the object.
func stringObject(body []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	fields := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("not valid JSON: a key is not a string")
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		value, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("field %q is not a string", limit(key, 40))
		}
		if _, dup := fields[key]; dup {
			return nil, fmt.Errorf("field %q is given twice", limit(key, 40))
		}
		fields[key] = value
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errors.New("not valid JSON: the object does not end")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value")
	}
	return fields, nil
}
