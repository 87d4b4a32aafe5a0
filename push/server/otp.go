package server

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
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
	writeJSON(w, http.StatusOK, push.OTPVerifyResult{Valid: valid})
}

// VerifyOTP checks a user's one-time code: ±1 time step, compared in
// constant time, each time step accepted once, throttled after consecutive
// failures and blocked after many.
func (s *Server) VerifyOTP(user, code string) (bool, error) {
	u, err := s.activeUser(user)
	if err != nil {
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
	seed, err := s.keys.openSeed(user, u.SealedSeed)
	if err != nil {
		return false, err
	}
	defer clear(seed)
	secret := seedEncoding.EncodeToString(seed)
	step := now.Unix() / 30
	matched := int64(-1)
	for _, st := range []int64{step - 1, step, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(strings.TrimSpace(code))) == 1 {
			matched = st
		}
	}
	if matched >= 0 {
		fresh, err := s.store.UseOTPStep(user, matched)
		if err != nil {
			return false, err
		}
		if fresh {
			s.log.Info("one-time code accepted", "user", user)
			return true, nil
		}
		s.log.Warn("one-time code replayed", "user", user)
	}
	n, err := s.store.AddOTPFailure(user, now)
	if err != nil {
		return false, err
	}
	if n >= s.cfg.OTPBlockAfter {
		if err := s.store.SetBlocked(user, true); err != nil {
			return false, err
		}
		s.store.Audit(store.AuditEvent{Time: now, Kind: "blocked", User: user, Detail: map[string]string{"reason": fmt.Sprintf("%d wrong codes in a row", n)}})
		s.log.Warn("user blocked after wrong codes", "user", user, "failures", n)
	}
	return false, nil
}
