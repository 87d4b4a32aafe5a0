package client

import (
	"errors"
	"fmt"

	"github.com/countersign/countersign/push"
)

// Error is a refusal of the server, with its stable code. Get it with
// errors.As:
//
//	var ce *client.Error
//	if errors.As(err, &ce) && ce.Code == client.CodeEnrollmentRequired {
//		// send the user to ce.EnrollURL
//	}
type Error struct {
	// HTTPStatus is the status of the server's answer, e.g. 403.
	HTTPStatus int `json:"-"`
	// ErrorBody holds Code (one of the Code constants, or another the
	// server adds later), Message (what to do next, for a log or an
	// administrator) and, for CodeEnrollmentRequired, EnrollURL.
	push.ErrorBody
}

// Error returns the code, the message and the HTTP status.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Message, e.HTTPStatus)
}

// Is makes errors.Is(err, ErrWrongCode) true of a wrong_code refusal.
func (e *Error) Is(target error) bool {
	return target == ErrWrongCode && e.Code == CodeWrongCode
}

// The server's error codes that a relying party acts on.
const (
	// CodeUnauthorized: the API key is missing or not valid.
	CodeUnauthorized = "unauthorized"
	// CodeUserNotFound: no such user (countersignd user add NAME).
	CodeUserNotFound = "user_not_found"
	// CodeUserBlocked: the user is blocked, after a fraud report or too
	// many wrong codes; an administrator unblocks them.
	CodeUserBlocked = "user_blocked"
	// CodeEnrollmentRequired: the user has no device yet; send them to
	// Error.EnrollURL.
	CodeEnrollmentRequired = "enrollment_required"
	// CodeMFANotRequired: the user has no device and the administrator
	// does not require one of them; your policy decides.
	CodeMFANotRequired = "mfa_not_required"
	// CodeTooManyPending, CodeRateLimited and CodeBackoff: push-fatigue
	// limits; the message says when to try again.
	CodeTooManyPending = "too_many_pending"
	CodeRateLimited    = "rate_limited"
	CodeBackoff        = "backoff"
	// CodeOTPThrottled: too many wrong codes in a row; try again later.
	CodeOTPThrottled = "otp_throttled"
	// CodeWrongCode: the code typed is not right (see ErrWrongCode).
	CodeWrongCode = "wrong_code"
	// CodeNotFound: no such request for this relying party.
	CodeNotFound = "not_found"
	// CodeMethodNotAvailable: the user has no such method (no phone
	// number for sms or voice; only an authenticator app's codes), or the
	// server has no telephony gateway.
	CodeMethodNotAvailable = "method_not_available"
	// CodeTelephonyLimited: too many text messages or calls went to this
	// number, this user or everyone lately; offer the app instead.
	CodeTelephonyLimited = "telephony_limited"
	// CodeTelephonyFailed: the gateway could not send the text or call.
	CodeTelephonyFailed = "telephony_failed"
)

// ErrWrongCode is the answer to a code that does not sign in: wrong,
// expired, or used already. Test for it with errors.Is.
var ErrWrongCode = errors.New("countersign: the code is not right; ask the user to type the code again")
