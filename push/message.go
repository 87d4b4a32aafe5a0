package push

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Context describes the sign-in that the user is asked about.
type Context struct {
	App       string `json:"app"`
	IP        string `json:"ip"`
	Location  string `json:"location"`
	UserAgent string `json:"user_agent"`
}

// RequestKind says what a user is asked to approve.
type RequestKind string

// The kinds of requests.
const (
	// KindSignIn: someone is signing in to Application as the user.
	KindSignIn RequestKind = "sign_in"
	// KindAddDevice: a new device wants to join the user's account; the
	// number to match is shown on the new device and its enrollment page.
	KindAddDevice RequestKind = "add_device"
	// KindRemoveDevice: the user's last device is to be removed.
	KindRemoveDevice RequestKind = "remove_device"
)

// Request is a sign-in request as the server signs it and the device shows
// it. The number to match is deliberately not part of it: the user must read
// it on the sign-in screen.
type Request struct {
	ID   string `json:"id"`
	User string `json:"user"`
	// Application is the registered name of the application that asks (the
	// relying party's name, set by the server's administrator), or
	// "Countersign" for the server's own requests. Devices show it as the
	// title: the caller's free text in Context.App is only a detail.
	Application string `json:"application"`
	// Kind is what the approval is for; empty means KindSignIn.
	Kind      RequestKind `json:"kind,omitempty"`
	Context   Context     `json:"context"`
	Nonce     string      `json:"nonce"`
	CreatedAt time.Time   `json:"created_at"`
	ExpiresAt time.Time   `json:"expires_at"`
	// ApproveOnly: the application cannot show a number (countersignd rp
	// add --approve-only), so the user approves without typing one. The
	// device says so, and approves with ApproveOnlyNumber. Weaker: see the
	// README. Signed, and only when set, so that other requests sign as
	// before (and a device that does not know the field shows none of
	// these: their signature does not verify for it).
	ApproveOnly bool `json:"approve_only,omitempty"`
}

// ApproveOnlyNumber is what a device sends as the number when it approves
// an ApproveOnly request. The server takes it for such requests only: it
// matches no number to type.
const ApproveOnlyNumber = "approve-only"

// Decision is the user's answer to a sign-in request.
type Decision string

// The three answers a user can give.
const (
	Approve Decision = "approve"
	Deny    Decision = "deny"
	Fraud   Decision = "fraud"
)

// Reason qualifies a denial; it is signed so that "this wasn't me" cannot be
// downgraded to a mere cancel in transit.
type Reason string

// Reasons for a denial.
const (
	ReasonNone      Reason = ""
	ReasonNotMe     Reason = "not_me"
	ReasonCancelled Reason = "cancelled"
)

// Answer is a device's signed decision on one request.
type Answer struct {
	RequestID string   `json:"request_id"`
	DeviceID  string   `json:"device_id"`
	Decision  Decision `json:"decision"`
	Reason    Reason   `json:"reason,omitempty"`
	// Number is what the user typed from the sign-in screen (approve only).
	Number string `json:"number,omitempty"`
	// Nonce is the request's nonce, binding the answer to that request.
	Nonce string `json:"nonce"`
}

// Validate checks that the decision and reason are known and consistent.
func (a Answer) Validate() error {
	switch a.Decision {
	case Approve:
		if a.Number == "" {
			return errors.New("an approval needs the number shown on the sign-in screen")
		}
		if a.Reason != ReasonNone {
			return fmt.Errorf("an approval carries no reason (got %q)", a.Reason)
		}
	case Deny:
		if a.Reason != ReasonNotMe && a.Reason != ReasonCancelled && a.Reason != ReasonNone {
			return fmt.Errorf("unknown reason %q", a.Reason)
		}
	case Fraud:
		if a.Reason != ReasonNone && a.Reason != ReasonNotMe {
			return fmt.Errorf("fraud carries no reason but not_me (got %q)", a.Reason)
		}
	default:
		return fmt.Errorf("unknown decision %q (approve, deny or fraud)", a.Decision)
	}
	if a.RequestID == "" || a.DeviceID == "" || a.Nonce == "" {
		return errors.New("request id, device id and nonce are required")
	}
	return nil
}

// Domain tags: a signature made for one purpose never verifies for another.
const (
	domainRequest = "countersign/v2/request"
	domainNotice  = "countersign/v1/notice"
	domainAnswer  = "countersign/v1/answer"
	domainConnect = "countersign/v1/connect"
)

// signingBytes is an unambiguous encoding of a domain tag and fields: each
// is preceded by its length, so no two field lists encode alike.
func signingBytes(domain string, fields ...string) []byte {
	n := 4 + len(domain)
	for _, f := range fields {
		n += 4 + len(f)
	}
	b := make([]byte, 0, n)
	for _, f := range append([]string{domain}, fields...) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

func unix(t time.Time) string { return fmt.Sprint(t.Unix()) }

// SigningBytes returns the bytes the server signs for r.
func (r Request) SigningBytes() []byte {
	fields := []string{r.ID, r.User, r.Application, string(r.Kind), r.Context.App, r.Context.IP, r.Context.Location,
		r.Context.UserAgent, r.Nonce, unix(r.CreatedAt), unix(r.ExpiresAt)}
	if r.ApproveOnly {
		fields = append(fields, "approve_only")
	}
	return signingBytes(domainRequest, fields...)
}

// Notice tells a user's devices of a change to their account that they
// did not necessarily make: a device added or removed. The server signs it.
type Notice struct {
	ID   int64     `json:"id"`
	User string    `json:"user"`
	Kind string    `json:"kind"` // device_added, device_pending, device_removed, device_rejected
	Text string    `json:"text"` // what to show, e.g. "A new device, Pixel 9, was added to your account"
	Time time.Time `json:"time"`
}

// SigningBytes returns the bytes the server signs for n.
func (n Notice) SigningBytes() []byte {
	return signingBytes(domainNotice, fmt.Sprint(n.ID), n.User, n.Kind, n.Text, unix(n.Time))
}

// SigningBytes returns the bytes the device signs for a.
func (a Answer) SigningBytes() []byte {
	return signingBytes(domainAnswer, a.RequestID, a.DeviceID, string(a.Decision), string(a.Reason), a.Number, a.Nonce)
}

// ConnectSigningBytes returns the bytes a device signs to prove its identity
// when it connects: the server's fresh challenge and the device id.
func ConnectSigningBytes(challenge, deviceID string) []byte {
	return signingBytes(domainConnect, challenge, deviceID)
}

// ErrBadSignature is returned when a signature does not verify.
var ErrBadSignature = errors.New("bad signature")

// Sign signs message with priv.
func Sign(priv ed25519.PrivateKey, message []byte) []byte {
	return ed25519.Sign(priv, message)
}

// Verify checks sig over message with pub; it fails closed on a malformed
// key or signature.
func Verify(pub ed25519.PublicKey, message, sig []byte) error {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, message, sig) {
		return ErrBadSignature
	}
	return nil
}
