package server

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
	"github.com/countersign/countersign/push/telephony"
)

const (
	// smsCodeTTL is how long a text-message code is good for.
	smsCodeTTL = 5 * time.Minute
	// callTTL is how long a sign-in call may take to be answered: ringing,
	// the script read out, the keys pressed.
	callTTL = 3 * time.Minute
	// maxCodeFailures wrong codes typed for one text message end it.
	maxCodeFailures = 3
)

// smsCodeAD binds a sealed text-message code to its request.
func smsCodeAD(id string) string { return "sms-code:" + id }

// randomCode returns n uniformly random decimal digits.
func randomCode(n int) string {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, err := rand.Int(rand.Reader, limit)
	if err != nil {
		panic("crypto/rand failed: " + err.Error()) // never: crypto/rand does not fail on Linux
	}
	return fmt.Sprintf("%0*d", n, v)
}

// phoneRequest starts a sign-in by text message (a code the user types on
// the application's page) or by call (keys pressed during it).
func (s *Server) phoneRequest(u store.User, rp, application string, method push.Method, ctx push.Context) (store.AuthRequest, error) {
	now := s.cfg.Now().Truncate(time.Second)
	req := store.AuthRequest{
		Request: push.Request{
			ID: randomID(), User: u.Name, Application: application, Kind: push.KindSignIn, Context: cleanContext(ctx), Nonce: randomToken(32),
			CreatedAt: now, ExpiresAt: now.Add(callTTL),
		},
		RP:     rp,
		Method: method,
		Status: push.StatusPending,
	}
	var msg telephony.Message
	if method == push.MethodSMS {
		code := randomCode(6)
		sealed, err := s.keys.sealSeed(smsCodeAD(req.ID), []byte(code))
		if err != nil {
			return req, err
		}
		req.SealedCode, req.Status, req.ExpiresAt = sealed, push.StatusCodeSent, now.Add(smsCodeTTL)
		msg = telephony.NewText(req.ID, u.Phone, code, application)
	} else {
		msg = telephony.NewCall(req.ID, u.Phone, application)
	}
	if err := s.storeRequest(req); err != nil {
		return req, err
	}
	if err := s.sendTelephony(u.Name, msg, "sign_in", req.ID); err != nil {
		// Nothing reached the user: the request ends at once rather than
		// waiting out its time.
		if method == push.MethodSMS {
			s.store.DecideCode(req.ID, push.StatusDenied, "not_sent", now)
		} else {
			s.store.Decide(req.ID, push.StatusDenied, "not_sent", "", now)
		}
		return req, err
	}
	s.log.Info("request sent by phone", "id", req.ID, "user", u.Name, "rp", rp, "method", method)
	s.schedule(req.ID, req.ExpiresAt, func() { s.expire(req.ID) })
	return req, nil
}

func (s *Server) handleVerifyRequestCode(w http.ResponseWriter, r *http.Request, rp store.RelyingParty) {
	var body push.CodeBody
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	state, err := s.VerifyRequestCode(rp.Name, r.PathValue("id"), body.Code)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, state)
}

// VerifyRequestCode checks the code the user typed for a text-message
// sign-in of relying party rp. The right code approves the request (once);
// a wrong one leaves it waiting with reason wrong_code, and the third
// wrong one denies it. A request already decided is returned as it is.
func (s *Server) VerifyRequestCode(rp, id, code string) (push.AuthRequestState, error) {
	req, err := s.store.AuthRequest(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && req.RP != rp) {
		return push.AuthRequestState{}, errorf("not_found", "no sign-in request %q for this relying party", id)
	}
	if err != nil {
		return push.AuthRequestState{}, err
	}
	if req.Method != push.MethodSMS {
		return push.AuthRequestState{}, errorf("bad_request", "request %s is a %s sign-in: only text-message sign-ins take a code", id, req.Method)
	}
	now := s.cfg.Now()
	if req.Status == push.StatusCodeSent && !now.Before(req.ExpiresAt) {
		s.expire(id)
		req, err = s.store.AuthRequest(id)
		return stateOf(req), err
	}
	if req.Status != push.StatusCodeSent {
		return stateOf(req), nil
	}
	if s.codeMatches(req, code) {
		status, reason := push.StatusApproved, ""
		if u, err := s.store.User(req.User); err != nil {
			return push.AuthRequestState{}, err
		} else if u.Blocked {
			status, reason = push.StatusDenied, "user_blocked"
		}
		return s.decideCode(req, status, reason)
	}
	n, err := s.store.AddCodeFailure(id)
	if err != nil {
		return push.AuthRequestState{}, err
	}
	s.recordCodeCheck(rp, req.User, push.MethodSMS, false)
	if n >= maxCodeFailures {
		return s.decideCode(req, push.StatusDenied, "too_many_wrong_codes")
	}
	state := stateOf(req)
	state.Reason = "wrong_code"
	return state, nil
}

// codeMatches compares a typed code with a text-message request's code in
// constant time (spaces and dashes the user typed are ignored).
func (s *Server) codeMatches(req store.AuthRequest, typed string) bool {
	want, err := s.keys.openSeed(smsCodeAD(req.ID), req.SealedCode)
	if err != nil {
		s.log.Error("opening a text-message code", "request", req.ID, "err", err)
		return false
	}
	typed = strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(typed))
	return subtle.ConstantTimeCompare([]byte(typed), want) == 1
}

// decideCode ends a text-message request; the first decision wins.
func (s *Server) decideCode(req store.AuthRequest, status push.Status, reason string) (push.AuthRequestState, error) {
	won, err := s.store.DecideCode(req.ID, status, reason, s.cfg.Now())
	if err != nil {
		return push.AuthRequestState{}, err
	}
	if req, err = s.store.AuthRequest(req.ID); err != nil {
		return push.AuthRequestState{}, err
	}
	if won {
		s.unschedule(req.ID)
		s.log.Info("text-message sign-in decided", "id", req.ID, "user", req.User, "status", req.Status, "reason", req.Reason)
		s.finish(req, "")
	}
	return stateOf(req), nil
}

// VerifyPasscode checks a code the user typed for relying party rp, of any
// kind: the code of an open text-message sign-in, or an app code (with
// recovery codes, as VerifyOTP takes them). It returns the method that
// matched; a wrong code is the error wrong_code. Each check is audited.
func (s *Server) VerifyPasscode(rp, user, code string) (push.Method, error) {
	if _, err := s.activeUser(user); err != nil {
		return "", err
	}
	open, err := s.store.OpenCodeRequests(user, rp, s.cfg.Now())
	if err != nil {
		return "", err
	}
	for _, req := range open {
		if s.codeMatches(req, code) {
			state, err := s.decideCode(req, push.StatusApproved, "")
			if err != nil {
				return "", err
			}
			if state.Status == push.StatusApproved {
				return push.MethodSMS, nil
			}
		}
	}
	valid, err := s.VerifyOTP(user, code)
	if err != nil {
		return "", err
	}
	s.recordCodeCheck(rp, user, codeMethod(code), valid)
	if !valid {
		return "", errorf("wrong_code", "the code is not right, or was used before")
	}
	return codeMethod(code), nil
}

// finish tells everyone that a request is decided or expired: the audit
// log (for sign-ins), what an approval of the server's own requests was
// for, waiters, devices and the relying party's webhook.
func (s *Server) finish(req store.AuthRequest, deciderID string) {
	s.recordOutcome(req)
	s.applyDecision(req, deciderID)
	s.hub.resolved(req, deciderID)
}

// recordOutcome audits how a sign-in ended, for the usage report. A
// text-message sign-in's wrong codes are audited as they are typed, so
// its end is recorded only when the code was right or time ran out.
func (s *Server) recordOutcome(req store.AuthRequest) {
	if (req.Kind != push.KindSignIn && req.Kind != "") || req.RP == "" || req.RP == consoleRP {
		// The server's own requests (devices, recovery codes, phones, the
		// console's sign-in, audited as such) are not an application's.
		return
	}
	method := req.Method
	if method == "" {
		method = push.MethodPush
	}
	result := string(req.Status)
	if method == push.MethodSMS {
		switch req.Status {
		case push.StatusApproved:
			result = "code-ok"
		case push.StatusExpired:
		default:
			return
		}
	}
	// The user answered (no one acted for them): the device that answered
	// is a detail.
	s.store.Audit(store.AuditEvent{Time: s.cfg.Now(), Kind: store.AuditAuthentication, User: req.User,
		Application: req.RP, Method: string(method), Result: result, Detail: map[string]string{"request": req.ID, "reason": req.Reason, "device": req.DecidedBy}})
}

// recordCodeCheck audits one typed code that was not a text-message
// sign-in's right code.
func (s *Server) recordCodeCheck(rp, user string, method push.Method, ok bool) {
	result := "code-wrong"
	if ok {
		result = "code-ok"
	}
	s.store.Audit(store.AuditEvent{Time: s.cfg.Now(), Kind: store.AuditAuthentication, User: user, Application: rp, Method: string(method), Result: result})
}
