package server

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// Self-service: a user who still has one of their devices signs in with a
// one-time code from it, and can list their devices, start adding one (the
// new device then waits for an approval from an existing one), or remove
// one. Removing the last device needs an approval from that very device.
// Every change is told to the user's devices and written to the audit log.

// sessionTTL is how long a self-service sign-in lasts.
const sessionTTL = 10 * time.Minute

// SelfServiceDevice is a device as the self-service page lists it.
type SelfServiceDevice struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Kind    string    `json:"kind"`
	Created time.Time `json:"created"`
	// State is active, pending (waits for an approval) or revoked.
	State string `json:"state"`
	// Active is State == "active" (kept for older pages).
	Active bool `json:"active"`
}

// Approval is a change waiting for the user's approval on a device: the
// number to type there, and the request to watch.
type Approval struct {
	Status    string    `json:"status"` // approval_pending
	RequestID string    `json:"request_id"`
	Number    string    `json:"number"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) routeSelfService(mux *http.ServeMux, page func(string) http.HandlerFunc) {
	mux.HandleFunc("GET /self-service", page("self-service.html"))
	mux.HandleFunc("POST /v1/self-service/sign-in", s.handleSelfSignIn)
	mux.HandleFunc("GET /v1/self-service/devices", s.withSession(s.handleSelfDevices))
	mux.HandleFunc("POST /v1/self-service/devices/{id}/revoke", s.withSession(s.handleSelfRevoke))
	mux.HandleFunc("POST /v1/self-service/enroll", s.withSession(s.handleSelfEnroll))
	mux.HandleFunc("GET /v1/self-service/requests/{id}", s.withSession(s.handleSelfRequest))
	mux.HandleFunc("POST /v1/self-service/recovery-codes", s.withSession(s.handleSelfRecoveryCodes))
}

// clientIP is the address a call comes from.
func clientIP(r *http.Request) string {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return ip
}

func (s *Server) handleSelfSignIn(w http.ResponseWriter, r *http.Request) {
	var body push.OTPVerifyBody
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	d, err := s.verifyUnauthenticated(clientIP(r), body.User, "", body.Code)
	if err != nil {
		s.writeError(w, err)
		return
	}
	// Only someone holding one of the user's devices learns that the
	// account is blocked.
	if u, err := s.store.User(body.User); err != nil {
		s.writeError(w, err)
		return
	} else if u.Blocked {
		s.writeError(w, errorf("user_blocked", "your account is blocked; ask your administrator"))
		return
	}
	s.audit(store.AuditSelfServiceSignIn, body.User, map[string]string{"device": d.ID, "ip": clientIP(r)})
	token, err := s.selfSessions.open(body.User, d.ID, s.cfg.Now())
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

// withSession passes the signed-in user of a self-service session. The
// session ends as soon as the user is blocked or the device whose code
// opened it is revoked, also by an administrator in another process.
func (s *Server) withSession(h func(w http.ResponseWriter, r *http.Request, user string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		ses, ok := s.selfSessions.get(token, s.cfg.Now())
		if ok {
			u, uerr := s.store.User(ses.user)
			d, derr := s.store.Device(ses.device)
			if uerr != nil || derr != nil || u.Blocked || !d.Active() {
				s.selfSessions.endDevice(ses.device)
				ok = false
			}
		}
		if !ok {
			s.writeError(w, errorf("unauthorized", "sign in again with a one-time code"))
			return
		}
		h(w, r, ses.user)
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
		state := "active"
		switch {
		case !d.Revoked.IsZero():
			state = "revoked"
		case d.Pending:
			state = "pending"
		}
		out = append(out, SelfServiceDevice{ID: d.ID, Name: d.Name, Kind: d.Kind, Created: d.Created, State: state, Active: d.Active()})
	}
	writeJSON(w, http.StatusOK, out)
}

// handleSelfRevoke removes a device of the user's. A device that is not
// the last goes at once (the others are told); the last one goes only when
// it approves its own removal: a stolen code cannot strip a user of every
// device.
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
	if !d.Revoked.IsZero() {
		s.writeError(w, errorf("already_revoked", "this device is already removed"))
		return
	}
	// A pending device is turned away at once; an active one goes at once
	// only if it is not the user's last (one statement: racing removals
	// cannot leave none).
	removed, err := true, error(nil)
	if d.Pending {
		err = s.store.RevokeDevice(d.ID, s.cfg.Now())
	} else {
		removed, err = s.store.RevokeUnlessLast(d.ID, s.cfg.Now())
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	if removed {
		s.deviceGone(d, "self-service")
		writeJSON(w, http.StatusOK, map[string]string{"revoked": d.ID})
		return
	}
	ctx := browserContext(r)
	ctx.App = "Remove this device: " + d.Name
	req, err := s.newRequest(user, "", countersignApp, push.KindRemoveDevice, d.ID, ctx)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, Approval{Status: "approval_pending", RequestID: req.ID, Number: req.Number, ExpiresAt: req.ExpiresAt})
}

// handleSelfEnroll makes an enrollment link for one more device; the device
// that uses it waits for an approval from one of the user's devices.
func (s *Server) handleSelfEnroll(w http.ResponseWriter, r *http.Request, user string) {
	e, err := s.enroll(user, "")
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"enroll_url": e.EnrollURL})
}

// handleSelfRequest long-polls one of the server's own requests of the user
// (the removal of their last device).
func (s *Server) handleSelfRequest(w http.ResponseWriter, r *http.Request, user string) {
	wait, _ := time.ParseDuration(r.URL.Query().Get("wait"))
	req, err := s.waitForDecision(r.Context(), "", r.PathValue("id"), min(max(wait, 0), maxWait))
	if err == nil && req.User != user {
		err = errorf("not_found", "no such request of yours")
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, stateOf(req))
}
