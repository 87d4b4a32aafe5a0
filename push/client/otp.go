package client

import (
	"context"
	"net/http"

	"github.com/countersign/countersign/push"
)

// VerifyCode checks a one-time code that user typed from their
// authenticator app: nil if it signs them in, ErrWrongCode (test with
// errors.Is) if it is wrong or was used already, an *Error such as
// CodeOTPThrottled or CodeUserBlocked if the server refuses to check it.
func (cl *Client) VerifyCode(ctx context.Context, user, code string) error {
	var res push.OTPVerifyResult
	if err := cl.call(ctx, callTimeout, http.MethodPost, "/v1/otp/verify", push.OTPVerifyBody{User: user, Code: code}, &res); err != nil {
		return err
	}
	if !res.Valid {
		return ErrWrongCode
	}
	return nil
}
