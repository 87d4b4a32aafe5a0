package push

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Frame is one message on the device websocket (/v1/devices/connect), JSON
// encoded. Its Type says which fields it carries:
//
//	challenge  server → device  Nonce: a fresh random challenge
//	hello      device → server  DeviceID, Signature over ConnectSigningBytes(Nonce, DeviceID)
//	request    server → device  Request, Signature by the server over Request.SigningBytes()
//	notice     server → device  Notice, Signature by the server over Notice.SigningBytes():
//	                            a change to the account (a device added or removed)
//	welcome    server → device  the device is authenticated and has every request that was
//	                            pending when it connected (they come before welcome)
//	answer     device → server  Answer, Signature by the device over Answer.SigningBytes()
//	result     server → device  RequestID, Status: how the server took this device's answer
//	resolved   server → device  RequestID, Status: the request was decided elsewhere or expired
//	error      server → device  Error; the server closes the connection after a fatal one
type Frame struct {
	Type      string     `json:"type"`
	Nonce     string     `json:"nonce,omitempty"`
	DeviceID  string     `json:"device_id,omitempty"`
	Signature []byte     `json:"signature,omitempty"`
	Request   *Request   `json:"request,omitempty"`
	Notice    *Notice    `json:"notice,omitempty"`
	Answer    *Answer    `json:"answer,omitempty"`
	RequestID string     `json:"request_id,omitempty"`
	Status    Status     `json:"status,omitempty"`
	Error     *ErrorBody `json:"error,omitempty"`
}

// Frame types.
const (
	FrameChallenge = "challenge"
	FrameHello     = "hello"
	FrameWelcome   = "welcome"
	FrameRequest   = "request"
	FrameAnswer    = "answer"
	FrameResult    = "result"
	FrameResolved  = "resolved"
	FrameError     = "error"
	FrameNotice    = "notice"
)

// MaxFrameSize bounds one websocket message; larger ones close the connection.
const MaxFrameSize = 16 << 10

// Status is the state of a sign-in request.
type Status string

// Request states.
const (
	StatusPending  Status = "pending"
	StatusApproved Status = "approved"
	StatusDenied   Status = "denied"
	StatusFraud    Status = "fraud"
	StatusExpired  Status = "expired"
	// StatusCodeSent is a text-message sign-in waiting for the code the
	// user types on the application's sign-in page.
	StatusCodeSent Status = "code_sent"
)

// Method is how a user gives a second factor.
type Method string

// The methods. MethodAuto, in a request, means the user's default method.
const (
	MethodPush  Method = "push"  // a notification to the app, answered with number matching
	MethodSMS   Method = "sms"   // a one-time code sent by text message
	MethodVoice Method = "voice" // a phone call: # approves, 0# reports fraud
	MethodAuto  Method = "auto"
)

// ErrorBody is the error of the HTTP API and of error frames:
// {"error": {"code": "user_blocked", "message": "..."}}.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// EnrollURL, with code enrollment_required, is where to send the user.
	EnrollURL string `json:"enroll_url,omitempty"`
}

// Error returns the code and the message, so an ErrorBody is an error.
func (e *ErrorBody) Error() string { return e.Code + ": " + e.Message }

// DecodeFrame parses one frame and checks that it carries what its type needs.
func DecodeFrame(data []byte) (Frame, error) {
	if len(data) > MaxFrameSize {
		return Frame{}, fmt.Errorf("frame of %d bytes is over the %d-byte limit", len(data), MaxFrameSize)
	}
	var f Frame
	if err := json.Unmarshal(data, &f); err != nil {
		return Frame{}, fmt.Errorf("malformed frame: %w", err)
	}
	switch f.Type {
	case FrameChallenge:
		if f.Nonce == "" {
			return Frame{}, errors.New("challenge frame without a nonce")
		}
	case FrameHello:
		if f.DeviceID == "" || len(f.Signature) == 0 {
			return Frame{}, errors.New("hello frame needs device_id and signature")
		}
	case FrameRequest:
		if f.Request == nil || len(f.Signature) == 0 {
			return Frame{}, errors.New("request frame needs request and signature")
		}
	case FrameAnswer:
		if f.Answer == nil || len(f.Signature) == 0 {
			return Frame{}, errors.New("answer frame needs answer and signature")
		}
		if err := f.Answer.Validate(); err != nil {
			return Frame{}, fmt.Errorf("answer frame: %w", err)
		}
	case FrameResult, FrameResolved:
		if f.RequestID == "" || f.Status == "" {
			return Frame{}, errors.New(f.Type + " frame needs request_id and status")
		}
	case FrameError:
		if f.Error == nil {
			return Frame{}, errors.New("error frame without error")
		}
	case FrameNotice:
		if f.Notice == nil || len(f.Signature) == 0 {
			return Frame{}, errors.New("notice frame needs notice and signature")
		}
	case FrameWelcome:
	default:
		return Frame{}, fmt.Errorf("unknown frame type %q", f.Type)
	}
	return f, nil
}

// ActivateRequest is the body of POST /v1/activate.
type ActivateRequest struct {
	Code            string `json:"code"`
	DevicePublicKey []byte `json:"device_public_key"`
	DeviceName      string `json:"device_name"`
}

// TOTPParams are the one-time-code parameters delivered at activation.
type TOTPParams struct {
	Secret    string `json:"secret"`    // base32
	Algorithm string `json:"algorithm"` // SHA1, SHA256 or SHA512
	Digits    int    `json:"digits"`
	Period    int    `json:"period"`
}

// ActivateResponse is the answer of POST /v1/activate.
type ActivateResponse struct {
	DeviceID        string     `json:"device_id"`
	ServerPublicKey []byte     `json:"server_public_key"`
	Fingerprint     string     `json:"fingerprint"`
	TOTP            TOTPParams `json:"totp"`
	Issuer          string     `json:"issuer"`
	Account         string     `json:"account"`
	WebsocketURL    string     `json:"websocket_url"`
	// Pending: the user already has a device, and this one joins only once
	// one of those approves it. ApprovalNumber is the number to type there
	// (the device shows it), until ApprovalExpiresAt.
	Pending           bool      `json:"pending,omitempty"`
	ApprovalNumber    string    `json:"approval_number,omitempty"`
	ApprovalExpiresAt time.Time `json:"approval_expires_at,omitzero"`
	// PollURL is the HTTPS long-poll fallback of the websocket, for
	// networks whose proxies block websockets: POST a signed poll there,
	// with a challenge from GET /v1/devices/challenge.
	PollURL string `json:"poll_url"`
}

// AuthRequestBody is the body of POST /v1/auth-requests.
type AuthRequestBody struct {
	User    string  `json:"user"`
	Context Context `json:"context"`
	// Method is push, sms, voice or auto (the user's default); empty
	// means auto.
	Method Method `json:"method,omitempty"`
}

// CodeBody is the body of POST /v1/auth-requests/{id}/verify: the code the
// user typed after a text message.
type CodeBody struct {
	Code string `json:"code"`
}

// AuthRequestState is what the relying-party API says of a request.
type AuthRequestState struct {
	ID     string `json:"id"`
	User   string `json:"user"`
	Method Method `json:"method"`
	// Number is what the sign-in page shows for a push, to be typed in the
	// app; empty for the phone methods.
	Number    string    `json:"number,omitempty"`
	Status    Status    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
}

// OTPVerifyBody is the body of POST /v1/otp/verify.
type OTPVerifyBody struct {
	User string `json:"user"`
	Code string `json:"code"`
}

// OTPVerifyResult is the answer of POST /v1/otp/verify.
type OTPVerifyResult struct {
	Valid bool `json:"valid"`
}
