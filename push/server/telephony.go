package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
	"github.com/countersign/countersign/push/telephony"
)

// The limits on telephony messages. SMS pumping (an attacker making the
// service text premium numbers it earns from) and toll fraud are what
// attackers do to these services; the limits are counted in the database,
// so they hold across server instances.
const (
	perNumberLimit  = 3 // messages to one number
	perNumberWindow = 10 * time.Minute
	perUserLimit    = 10 // messages to one user
	perUserWindow   = time.Hour
	telephonyWindow = 24 * time.Hour // of the daily cap
	// telephonySendTimeout bounds one hand-over to the gateway, retries
	// included.
	telephonySendTimeout = 30 * time.Second
)

// routeTelephony adds the gateway's callback: the keys pressed during a call.
func (s *Server) routeTelephony(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/telephony/callback", s.handleTelephonyCallback)
	mux.HandleFunc("POST /v1/auth-requests/{id}/verify", s.withRP(s.handleVerifyRequestCode))
	s.routePhoneMethods(mux)
	s.routeEnrollPhone(mux)
}

// allowedCountry checks a number's country against the allow-list: the
// configured countries, or by default those of the numbers already stored.
func (s *Server) allowedCountry(phone string) (string, error) {
	country, err := telephony.Country(phone)
	if err != nil {
		return "", errorf("bad_request", "%v", err)
	}
	allowed := s.cfg.TelephonyCountries
	if len(allowed) == 0 {
		numbers, err := s.store.PhoneNumbers()
		if err != nil {
			return "", err
		}
		for _, n := range numbers {
			if c, err := telephony.Country(n); err == nil {
				allowed = append(allowed, c)
			}
		}
	}
	if !slices.Contains(allowed, country) {
		return "", errorf("country_not_allowed", "phone numbers in %s are not allowed on this server (serve --telephony-countries lists the allowed ones)", country)
	}
	return country, nil
}

// sendTelephony hands a message for user to the gateway after checking the
// abuse limits, and records it (telephony log and audit). purpose is
// sign_in or phone_proof; requestID the request it is for, if any.
func (s *Server) sendTelephony(user string, m telephony.Message, purpose, requestID string) error {
	if s.cfg.Telephony == nil {
		return errorf("method_not_available", "this server has no telephony gateway (countersignd serve --telephony); text messages and calls are off")
	}
	country, err := s.allowedCountry(m.To)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	toNumber, toUser, all, err := s.store.TelephonyCounts(m.To, user, now.Add(-perNumberWindow), now.Add(-perUserWindow), now.Add(-telephonyWindow))
	if err != nil {
		return err
	}
	switch {
	case all >= s.cfg.TelephonyDailyCap:
		// Audited once per trip, not once per refused message: only when
		// the cap's window holds no such event yet.
		tripped, err := s.store.AuditPage(store.AuditFilter{Kind: store.AuditTelephonyCapReached, From: now.Add(-telephonyWindow)}, 1)
		if err != nil {
			return err
		}
		if len(tripped) == 0 {
			s.auditAs(store.AuditTelephonyCapReached, user, "", map[string]string{"cap": fmt.Sprint(s.cfg.TelephonyDailyCap)})
		}
		s.log.Warn("telephony daily cap reached: no more text messages or calls today", "cap", s.cfg.TelephonyDailyCap)
		return errorf("telephony_limited", "the server's daily limit of %d text messages and calls is reached; use the app, or try again tomorrow", s.cfg.TelephonyDailyCap)
	case toNumber >= perNumberLimit:
		return errorf("telephony_limited", "%d messages went to this number in the last %s; wait, or use the app", toNumber, perNumberWindow)
	case toUser >= perUserLimit:
		return errorf("telephony_limited", "%d messages went to %s in the last %s; wait, or use the app", toUser, user, perUserWindow)
	}
	ctx, cancel := context.WithTimeout(context.Background(), telephonySendTimeout)
	defer cancel()
	sendErr := s.cfg.Telephony.Send(ctx, m)
	status := "sent"
	if sendErr != nil {
		status = "failed"
	}
	rec := store.TelephonyMessage{ID: m.ID, Time: now, User: user, Kind: string(m.Kind), To: m.To, Country: country, Purpose: purpose, RequestID: requestID, Status: status}
	if err := s.store.AddTelephonyMessage(rec); err != nil {
		return err
	}
	if err := s.store.Audit(store.AuditEvent{Time: now, Kind: store.AuditTelephony, User: user, Method: string(m.Kind), Result: status,
		Detail: map[string]string{"country": country, "purpose": purpose, "request": requestID, "id": m.ID}}); err != nil {
		return fmt.Errorf("writing the audit log: %w", err)
	}
	if sendErr != nil {
		s.log.Error("telephony gateway failed", "id", m.ID, "kind", m.Kind, "country", country, "err", sendErr)
		return &gatewayFailure{
			public: errorf("telephony_failed", "the %s could not be sent: the server's telephony gateway failed (the reason is under message %s in the server's log); try again, or use the app", kindWord(m.Kind), m.ID),
			reason: sendErr,
		}
	}
	s.log.Info("telephony message sent", "id", m.ID, "kind", m.Kind, "country", country, "purpose", purpose)
	return nil
}

// gatewayFailure is a message the gateway could not send. The caller (an
// application, a visitor of the enrollment or self-service page) gets only
// public, which says so and names the message; reason, which may name the
// gateway's program, quote a provider's answer or its client's standard
// error, goes to the log and to the administrators' console.
type gatewayFailure struct {
	public *Error
	reason error
}

// Error returns the public refusal's text, never the reason.
func (f *gatewayFailure) Error() string { return f.public.Error() }

// Unwrap gives the public refusal, which the HTTP edges answer with.
func (f *gatewayFailure) Unwrap() error { return f.public }

func kindWord(k telephony.Kind) string {
	if k == telephony.Voice {
		return "call"
	}
	return "text message"
}

// maxCallbackBody bounds the gateway's callback.
const maxCallbackBody = 4 << 10

// handleTelephonyCallback takes the keys the user pressed during a call,
// signed by the gateway: "#" approves, "0#" reports fraud, anything else
// (or no answer) denies.
func (s *Server) handleTelephonyCallback(w http.ResponseWriter, r *http.Request) {
	if len(s.cfg.TelephonyCallbackSecret) == 0 {
		s.writeError(w, errorf("not_found", "this server takes no telephony callbacks (no gateway is configured)"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBody))
	if err != nil {
		s.writeError(w, errorf("too_large", "the callback is over %d bytes", maxCallbackBody))
		return
	}
	if err := telephony.VerifyCallback(s.cfg.TelephonyCallbackSecret, r.Header.Get("X-Countersign-Signature"), body, s.cfg.Now()); err != nil {
		s.logRefused("telephony callback with a bad signature", "err", err)
		s.writeError(w, errorf("bad_signature", "the callback's signature does not verify: %v", err))
		return
	}
	cb, err := telephony.ParseCallback(body)
	if err != nil {
		s.writeError(w, errorf("bad_request", "%v", err))
		return
	}
	req, err := s.AnswerCall(cb)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, stateOf(req))
}

// AnswerCall applies what happened during a sign-in call (a verified
// callback of the gateway).
func (s *Server) AnswerCall(cb telephony.Callback) (store.AuthRequest, error) {
	req, err := s.store.AuthRequest(cb.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && req.Method != push.MethodVoice) {
		return req, errorf("not_found", "no call %q", cb.ID)
	}
	if err != nil {
		return req, err
	}
	status, reason := push.StatusDenied, "no_answer"
	switch {
	case cb.Digits == "#":
		status, reason = push.StatusApproved, ""
	case cb.Digits == "0#" || cb.Digits == "0":
		status, reason = push.StatusFraud, "not_me"
	case cb.Digits != "":
		reason = "wrong_key"
	}
	if status == push.StatusApproved {
		if u, err := s.store.User(req.User); err != nil {
			return req, err
		} else if u.Blocked {
			status, reason = push.StatusDenied, "user_blocked"
		}
	}
	won, err := s.store.Decide(req.ID, status, reason, "phone", s.cfg.Now())
	if err != nil {
		return req, err
	}
	if !won {
		return req, errorf("not_pending", "the call's request %s is already %s", req.ID, req.Status)
	}
	if req, err = s.store.AuthRequest(req.ID); err != nil {
		return req, err
	}
	s.unschedule(req.ID)
	s.log.Info("call answered", "id", req.ID, "user", req.User, "status", req.Status, "reason", req.Reason)
	if status == push.StatusFraud {
		s.reportFraud(req, "phone")
	}
	s.finish(req, "")
	return req, nil
}
