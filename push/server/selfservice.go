package server

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// Self-service: a user who still has one way to sign in (a one-time code
// from a remaining device or authenticator app) can add a device, or revoke
// a lost one, without an administrator.

// sessionTTL is how long a self-service sign-in lasts.
const sessionTTL = 10 * time.Minute

// sessions are the self-service sign-ins, by bearer token.
type sessions struct {
	mu sync.Mutex
	m  map[string]session
}

type session struct {
	user    string
	expires time.Time
}

func (s *sessions) open(user string, now time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]session{}
	}
	for t, ses := range s.m {
		if now.After(ses.expires) {
			delete(s.m, t)
		}
	}
	token := randomToken(32)
	s.m[token] = session{user: user, expires: now.Add(sessionTTL)}
	return token
}

func (s *sessions) user(token string, now time.Time) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.m[token]
	if !ok || now.After(ses.expires) {
		return "", false
	}
	return ses.user, true
}

// SelfServiceDevice is a device as the self-service page lists it.
type SelfServiceDevice struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Active  bool      `json:"active"`
}

func (s *Server) routeSelfService(mux *http.ServeMux, page func(string) http.HandlerFunc) {
	mux.HandleFunc("GET /self-service", page("self-service.html"))
	mux.HandleFunc("POST /v1/self-service/sign-in", s.handleSelfSignIn)
	mux.HandleFunc("GET /v1/self-service/devices", s.withSession(s.handleSelfDevices))
	mux.HandleFunc("POST /v1/self-service/devices/{id}/revoke", s.withSession(s.handleSelfRevoke))
	mux.HandleFunc("POST /v1/self-service/enroll", s.withSession(s.handleSelfEnroll))
}

func (s *Server) handleSelfSignIn(w http.ResponseWriter, r *http.Request) {
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
	if !valid {
		s.writeError(w, errorf("wrong_code", "that code is not right; type the code your app shows now"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": s.selfSessions.open(body.User, s.cfg.Now())})
}

// withSession passes the signed-in user of a self-service session.
func (s *Server) withSession(h func(w http.ResponseWriter, r *http.Request, user string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		user, ok := s.selfSessions.user(token, s.cfg.Now())
		if !ok {
			s.writeError(w, errorf("unauthorized", "sign in again with a one-time code"))
			return
		}
		h(w, r, user)
	}
}

func (s *Server) handleSelfDevices(w http.ResponseWriter, r *http.Request, user string) {
	devices, err := s.store.Devices(user)
	if err != nil {
		s.writeError(w, err)
		return
	}
	out := []SelfServiceDevice{}
	for _, d := range devices {
		out = append(out, SelfServiceDevice{ID: d.ID, Name: d.Name, Created: d.Created, Active: d.Active()})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleSelfRevoke(w http.ResponseWriter, r *http.Request, user string) {
	d, err := s.store.Device(r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.User != user) {
		s.writeError(w, errorf("not_found", "no such device of yours"))
		return
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	if err := s.RevokeDevice(d.ID); err != nil {
		s.writeError(w, errorf("already_revoked", "%v", err))
		return
	}
	s.store.Audit(store.AuditEvent{Time: s.cfg.Now(), Kind: "device_revoked", User: user, Detail: map[string]string{"device": d.ID, "by": "self-service"}})
	writeJSON(w, http.StatusOK, map[string]string{"revoked": d.ID})
}

func (s *Server) handleSelfEnroll(w http.ResponseWriter, r *http.Request, user string) {
	e, err := s.Enroll(user)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"enroll_url": e.EnrollURL})
}
