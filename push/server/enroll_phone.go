package server

import (
	"net/http"

	"github.com/countersign/countersign/push"
)

// On the enrollment page a user without any method may choose a phone
// instead of the app: a code sent to the phone, typed back, proves it, and
// spends the enrollment link as an activation would. A user who already
// has a method adds a phone on the self-service page, where an existing
// method approves it.

// routeEnrollPhone adds the enrollment page's phone endpoints.
func (s *Server) routeEnrollPhone(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/enrollments/{token}/phone", s.handleEnrollPhone)
	mux.HandleFunc("POST /v1/enrollments/{token}/phone/confirm", s.handleEnrollPhoneConfirm)
}

// enrollingUser checks an enrollment link that a phone may spend: still
// open, and its user without any method yet.
func (s *Server) enrollingUser(token string) (string, error) {
	_, st, err := s.enrollment(token)
	if err != nil {
		return "", err
	}
	switch st.Status {
	case "pending":
	case "expired":
		return "", errorf("activation_expired", "this enrollment link has expired; ask for a new one")
	default:
		return "", errorf("activation_used", "this enrollment link was already used (%s); ask for a new one", st.Status)
	}
	u, err := s.activeUser(st.User)
	if err != nil {
		return "", err
	}
	devices, err := s.store.Devices(u.Name)
	if err != nil {
		return "", err
	}
	m, err := s.methodsOf(u, devices)
	if err != nil {
		return "", err
	}
	if m.Any() || hasActive(devices) {
		return "", errorf("forbidden", "you already have a way to sign in; add a phone on the self-service page, where your device approves it")
	}
	return u.Name, nil
}

func (s *Server) handleEnrollPhone(w http.ResponseWriter, r *http.Request) {
	var body selfPhoneBody
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	user, err := s.enrollingUser(r.PathValue("token"))
	if err != nil {
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

func (s *Server) handleEnrollPhoneConfirm(w http.ResponseWriter, r *http.Request) {
	var body selfPhoneBody
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	token := r.PathValue("token")
	user, err := s.enrollingUser(token)
	if err != nil {
		s.writeError(w, err)
		return
	}
	p, err := s.provePhone(user, body.ProofID, body.Code)
	if err != nil {
		s.writeError(w, err)
		return
	}
	a, _, err := s.enrollment(token)
	if err != nil {
		s.writeError(w, err)
		return
	}
	spent, err := s.store.SpendActivationForPhone(a.CodeHash, p.Method, s.cfg.Now())
	if err != nil {
		s.writeError(w, err)
		return
	}
	if !spent {
		s.writeError(w, errorf("activation_used", "this enrollment link was used or has expired meanwhile; ask for a new one"))
		return
	}
	if err := s.SetPhone(user, p.Phone, []push.Method{push.Method(p.Method)}, "enrollment"); err != nil {
		s.writeError(w, err)
		return
	}
	s.hub.notifyEnrollment(user)
	_, st, err := s.enrollment(token)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if st.RecoveryCodes, err = s.firstRecoveryCodes(user); err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
