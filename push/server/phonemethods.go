package server

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
	"github.com/countersign/countersign/push/telephony"
)

// Adding a phone method on the self-service page takes two proofs: the
// user holds the phone (a code sent to it, typed back), and an existing
// method agrees (a push approved, with number matching, on one of the
// user's devices), as for a new device. Then the phone and the method are
// set, audited and told to the devices.

const (
	// phoneProofTTL is how long a code sent to prove a phone is good for,
	// and how long after it the approval may come.
	phoneProofTTL = 10 * time.Minute
	// maxProofFailures wrong codes end a proof.
	maxProofFailures = 3
)

func phoneProofAD(id string) string { return "phone-proof:" + id }

// addPhoneSubject is the subject of the approval of a proven phone; it
// becomes addPhoneSpent once the phone is set.
func addPhoneSubject(proofID string) string { return "add_phone:" + proofID }
func addPhoneSpent(proofID string) string   { return "add_phone_spent:" + proofID }

// PhoneProofStarted answers POST /v1/self-service/phone: a code went to
// the phone; the user types it back.
type PhoneProofStarted struct {
	ProofID   string      `json:"proof_id"`
	Method    push.Method `json:"method"`
	SentTo    string      `json:"sent_to"`
	ExpiresAt time.Time   `json:"expires_at"`
}

// selfPhoneBody is the body of the self-service phone endpoints.
type selfPhoneBody struct {
	Phone     string      `json:"phone"`
	Method    push.Method `json:"method"`
	ProofID   string      `json:"proof_id"`
	Code      string      `json:"code"`
	RequestID string      `json:"request_id"`
}

// routePhoneMethods adds the self-service endpoints of the methods.
func (s *Server) routePhoneMethods(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/self-service/methods", s.withSession(s.handleSelfMethods))
	mux.HandleFunc("POST /v1/self-service/methods/default", s.withSession(s.handleSelfDefaultMethod))
	mux.HandleFunc("POST /v1/self-service/methods/{method}/remove", s.withSession(s.handleSelfRemoveMethod))
	mux.HandleFunc("POST /v1/self-service/phone", s.withSession(s.handleSelfPhone))
	mux.HandleFunc("POST /v1/self-service/phone/confirm", s.withSession(s.handleSelfPhoneConfirm))
}

// SelfMethods is what the self-service page is told of a user's methods.
type SelfMethods struct {
	Methods
	// PhoneAvailable says whether the server can send texts or make
	// calls (it has a telephony gateway): without, no phone can be added.
	PhoneAvailable bool `json:"phone_available"`
}

func (s *Server) handleSelfMethods(w http.ResponseWriter, r *http.Request, user string) {
	m, err := s.UserMethods(user)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, SelfMethods{Methods: m, PhoneAvailable: s.cfg.Telephony != nil})
}

func (s *Server) handleSelfDefaultMethod(w http.ResponseWriter, r *http.Request, user string) {
	var body selfPhoneBody
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	if err := s.SetDefaultMethod(user, body.Method, "self-service"); err != nil {
		s.writeError(w, err)
		return
	}
	s.handleSelfMethods(w, r, user)
}

func (s *Server) handleSelfRemoveMethod(w http.ResponseWriter, r *http.Request, user string) {
	method := push.Method(r.PathValue("method"))
	if method != push.MethodSMS && method != push.MethodVoice {
		s.writeError(w, errorf("bad_request", "only the phone methods (sms, voice) are removed here; remove a device from the devices list"))
		return
	}
	had, err := s.store.RemoveMethod(user, string(method))
	if err != nil {
		s.writeError(w, err)
		return
	}
	if !had {
		s.writeError(w, errorf("not_found", "you have no %s method", method))
		return
	}
	if err := s.auditAs(store.AuditMethodChanged, user, "self-service", map[string]string{"removed": string(method)}); err != nil {
		s.writeError(w, err)
		return
	}
	s.notify(user, "", "method_removed", "Sign-ins by "+kindWord(telephony.Kind(method))+" were turned off for your account. If this was not you, report it to your administrator.")
	s.handleSelfMethods(w, r, user)
}

// handleSelfPhone sends a code to the phone the user wants to add.
func (s *Server) handleSelfPhone(w http.ResponseWriter, r *http.Request, user string) {
	var body selfPhoneBody
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	started, err := s.StartPhoneProof(user, body.Phone, body.Method)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, started)
}

// StartPhoneProof sends a code to phone, by text message or, for the voice
// method, by a call that reads it out.
func (s *Server) StartPhoneProof(user, phone string, method push.Method) (PhoneProofStarted, error) {
	if method != push.MethodSMS && method != push.MethodVoice {
		return PhoneProofStarted{}, errorf("bad_request", "method %q is not a phone method: use sms or voice", method)
	}
	phone, err := telephony.NormalizeE164(phone)
	if err != nil {
		return PhoneProofStarted{}, errorf("bad_request", "%v", err)
	}
	now := s.cfg.Now().Truncate(time.Second)
	p := store.PhoneProof{ID: randomID(), User: user, Phone: phone, Method: string(method), Created: now, Expires: now.Add(phoneProofTTL)}
	code := randomCode(6)
	if p.SealedCode, err = s.keys.sealSeed(phoneProofAD(p.ID), []byte(code)); err != nil {
		return PhoneProofStarted{}, err
	}
	if err := s.store.AddPhoneProof(p); err != nil {
		return PhoneProofStarted{}, err
	}
	msg := telephony.NewText(p.ID, phone, code, s.cfg.Issuer)
	if method == push.MethodVoice {
		msg = telephony.NewCodeCall(p.ID, phone, code, s.cfg.Issuer)
	}
	if err := s.sendTelephony(user, msg, "phone_proof", ""); err != nil {
		return PhoneProofStarted{}, err
	}
	return PhoneProofStarted{ProofID: p.ID, Method: method, SentTo: maskPhone(phone), ExpiresAt: p.Expires}, nil
}

// handleSelfPhoneConfirm takes the code sent to the phone (then asks an
// existing device to approve), and then the approved request (then sets
// the phone).
func (s *Server) handleSelfPhoneConfirm(w http.ResponseWriter, r *http.Request, user string) {
	var body selfPhoneBody
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	if body.RequestID != "" {
		m, err := s.finishPhoneMethod(user, body.ProofID, body.RequestID)
		if err != nil {
			s.writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, m)
		return
	}
	p, err := s.provePhone(user, body.ProofID, body.Code)
	if err != nil {
		s.writeError(w, err)
		return
	}
	devices, err := s.store.Devices(user)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if !hasActiveApp(devices) {
		// No device can answer a push: the code of the authenticator
		// that opened this session is the existing method's agreement.
		if err := s.SetPhone(user, p.Phone, []push.Method{push.Method(p.Method)}, "self-service"); err != nil {
			s.writeError(w, err)
			return
		}
		s.handleSelfMethods(w, r, user)
		return
	}
	ctx := browserContext(r)
	ctx.App = "Add phone " + maskPhone(p.Phone) + " (" + kindWord(telephony.Kind(p.Method)) + ")"
	req, err := s.newRequest(user, "", countersignApp, push.KindSignIn, addPhoneSubject(p.ID), ctx)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, Approval{Status: "approval_pending", RequestID: req.ID, Number: req.Number, ExpiresAt: req.ExpiresAt})
}

// provePhone checks the code typed for a phone proof of user and spends
// the proof: a code proves a phone once.
func (s *Server) provePhone(user, proofID, code string) (store.PhoneProof, error) {
	p, err := s.store.PhoneProof(proofID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.User != user) {
		return p, errorf("not_found", "no such phone check of yours; ask for a new code")
	}
	if err != nil {
		return p, err
	}
	now := s.cfg.Now()
	if !p.Used.IsZero() || !now.Before(p.Expires) || p.Failures >= maxProofFailures {
		return p, errorf("not_pending", "this code is used up or expired; ask for a new one")
	}
	want, err := s.keys.openSeed(phoneProofAD(p.ID), p.SealedCode)
	if err != nil {
		return p, err
	}
	typed := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code))
	if subtle.ConstantTimeCompare([]byte(typed), want) != 1 {
		n, err := s.store.AddPhoneProofFailure(p.ID)
		if err != nil {
			return p, err
		}
		if n >= maxProofFailures {
			return p, errorf("too_many_attempts", "%d wrong codes: ask for a new one", n)
		}
		return p, errorf("wrong_code", "the code is not the one sent to %s; try again (%d tries left)", maskPhone(p.Phone), maxProofFailures-n)
	}
	spent, err := s.store.SpendPhoneProof(p.ID, now)
	if err != nil {
		return p, err
	}
	if !spent {
		return p, errorf("not_pending", "this code is used up or expired; ask for a new one")
	}
	return p, nil
}

// finishPhoneMethod sets the proven phone once a device approved it.
func (s *Server) finishPhoneMethod(user, proofID, requestID string) (Methods, error) {
	p, err := s.store.PhoneProof(proofID)
	if err != nil || p.User != user || p.Used.IsZero() {
		return Methods{}, errorf("not_found", "no proven phone of yours with this id; start again")
	}
	spent, err := s.store.SpendApproval(requestID, user, addPhoneSubject(proofID), addPhoneSpent(proofID), s.cfg.Now().Add(-phoneProofTTL))
	if err != nil {
		return Methods{}, err
	}
	if !spent {
		req, err := s.store.AuthRequest(requestID)
		switch {
		case err != nil || req.User != user || (req.Subject != addPhoneSubject(proofID) && req.Subject != addPhoneSpent(proofID)):
			return Methods{}, errorf("not_found", "no such approval of yours; start again")
		case req.Subject == addPhoneSpent(proofID):
			return Methods{}, errorf("not_found", "this phone was added already")
		case req.Status == push.StatusPending:
			return Methods{}, errorf("approval_pending", "approve the request on one of your devices first")
		}
		return Methods{}, errorf("forbidden", "the request was %s, not approved (or the approval is too old); start again", req.Status)
	}
	if err := s.SetPhone(user, p.Phone, []push.Method{push.Method(p.Method)}, "self-service"); err != nil {
		return Methods{}, err
	}
	return s.UserMethods(user)
}
