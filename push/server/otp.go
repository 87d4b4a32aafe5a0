package server

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

func (s *Server) handleVerifyOTP(w http.ResponseWriter, r *http.Request, rp store.RelyingParty) {
	var body push.OTPVerifyBody
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	valid, err := s.VerifyOTP(body.User, body.Code)
	if err != nil {
		s.writeError(w, err)
		return
	}
	s.recordCodeCheck(rp.Name, body.User, codeMethod(body.Code), valid)
	writeJSON(w, http.StatusOK, push.OTPVerifyResult{Valid: valid})
}

// VerifyOTP checks a user's one-time code for a relying party (an
// authenticated caller): a code of any of the user's active devices, ±1
// time step, compared in constant time, each step of a device accepted
// once, or one of the user's recovery codes (recovery.go), spent once;
// throttled after consecutive failures and the user blocked after many.
func (s *Server) VerifyOTP(user, code string) (bool, error) {
	if _, err := s.activeUser(user); err != nil {
		return false, err
	}
	now := s.cfg.Now()
	failures, last, err := s.store.OTPFailures(user)
	if err != nil {
		return false, err
	}
	if failures >= s.cfg.OTPThrottleAfter {
		wait := time.Second << min(failures-s.cfg.OTPThrottleAfter, 10)
		if next := last.Add(wait); now.Before(next) {
			return false, errorf("otp_throttled", "%d wrong codes in a row for %s; try again after %s", failures, user, next.UTC().Format(time.RFC3339))
		}
	}
	matched, err := s.matchCodeOrRecovery(user, code)
	if err != nil {
		return false, err
	}
	if matched {
		if err := s.store.ResetOTPFailures(user); err != nil {
			return false, err
		}
		return true, nil
	}
	n, err := s.store.AddOTPFailure(user, now)
	if err != nil {
		return false, err
	}
	if n >= s.cfg.OTPBlockAfter {
		if err := s.block(user, fmt.Sprintf("%d wrong codes in a row", n), nil); err != nil {
			return false, err
		}
	}
	return false, nil
}

// matchCode finds the active device of user (only onlyDevice, if given)
// whose seed gives code at the current time step or one either side, and
// spends that step of that device. It returns the zero Device when none
// matches or the step was used before (a replay).
func (s *Server) matchCode(user, onlyDevice, code string) (store.Device, error) {
	code = strings.TrimSpace(code)
	devices, err := s.store.Devices(user)
	if err != nil {
		return store.Device{}, err
	}
	step := s.cfg.Now().Unix() / 30
	for _, d := range devices {
		if !d.Active() || len(d.SealedSeed) == 0 || (onlyDevice != "" && d.ID != onlyDevice) {
			continue
		}
		matched, err := s.matchDeviceCode(d, code, step)
		if err != nil {
			return store.Device{}, err
		}
		if matched < 0 {
			continue
		}
		fresh, err := s.store.UseDeviceOTPStep(d.ID, matched)
		if err != nil {
			return store.Device{}, err
		}
		if !fresh {
			s.logRefused("one-time code replayed", "user", user, "device", d.ID)
			return store.Device{}, nil
		}
		s.log.Info("one-time code accepted", "user", user, "device", d.ID)
		return d, nil
	}
	return store.Device{}, nil
}

// matchDeviceCode returns the time step (step-1, step or step+1) at which
// device d's seed gives code, or -1. Every candidate is computed and
// compared in constant time.
func (s *Server) matchDeviceCode(d store.Device, code string, step int64) (int64, error) {
	seed, err := s.keys.openSeed(deviceSeedAD(d.ID), d.SealedSeed)
	if err != nil {
		return -1, err
	}
	defer clear(seed)
	secret := seedEncoding.EncodeToString(seed)
	matched := int64(-1)
	for _, st := range []int64{step - 1, step, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return -1, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched = st
		}
	}
	return matched, nil
}

// errWrongCode is the one answer of the endpoints without a key to a code
// that does not sign in, whatever the reason (unknown user, no device,
// wrong or replayed code): they tell nobody which users exist.
var errWrongCode = errorf("wrong_code", "that code is not right; type the code your app shows now")

// verifyUnauthenticated checks a code typed on a page that needs no key
// (self-service sign-in, enrollment confirmation). Failures count against
// the client's address only, never against the user: strangers cannot
// throttle or block someone else, and a correct code is never refused for
// other people's failures. It returns the device whose code matched.
func (s *Server) verifyUnauthenticated(clientIP, user, onlyDevice, code string) (store.Device, error) {
	now := s.cfg.Now()
	if err := s.attempts.check(clientIP, now); err != nil {
		return store.Device{}, err
	}
	d, err := s.matchCode(user, onlyDevice, code)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Device{}, err
	}
	if d.ID == "" {
		s.attempts.fail(clientIP, now)
		s.logRefused("wrong code on a page without a key", "remote", clientIP)
		return store.Device{}, errWrongCode
	}
	return d, nil
}
