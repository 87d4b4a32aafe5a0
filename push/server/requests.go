package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// activeUser checks that the user exists and is not blocked.
func (s *Server) activeUser(name string) (store.User, error) {
	u, err := s.store.User(name)
	return u, checkActive(name, u, err)
}

// activeUserAndDevices is activeUser that also reads the user's devices,
// in the same statement.
func (s *Server) activeUserAndDevices(name string) (store.User, []store.Device, error) {
	u, devices, err := s.store.UserAndDevices(name)
	return u, devices, checkActive(name, u, err)
}

// checkActive turns what reading user name gave into the error a caller
// is told: no such user, or blocked.
func checkActive(name string, u store.User, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errorf("user_not_found", "no user %q (countersignd user add %s)", name, name)
	}
	if err != nil {
		return err
	}
	if u.Blocked {
		return errorf("user_blocked", "%s is blocked (after a fraud report or too many wrong codes); an administrator can unblock them", name)
	}
	return nil
}

func (s *Server) handleCreateRequest(w http.ResponseWriter, r *http.Request, rp store.RelyingParty) {
	var body push.AuthRequestBody
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	state, err := s.CreateRequest(rp.Name, body)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, state)
}

// countersignApp is the application name of the server's own requests
// (approving a new device, removing the last one).
const countersignApp = "Countersign"

// maxContextField bounds each context field of a request, in bytes.
const maxContextField = 512

// cleanContext makes the caller's context safe to sign and show: control,
// bidi and invisible characters removed, each field cut at a character
// boundary (a cut inside a character would make the signature unverifiable
// on the device, and the request would wait unseen).
func cleanContext(c push.Context) push.Context {
	for _, f := range []*string{&c.App, &c.IP, &c.Location, &c.UserAgent} {
		*f = textsafe.Truncate(textsafe.Clean(*f), maxContextField)
	}
	return c
}

// CreateRequest makes a sign-in request for body.User on behalf of relying
// party rp, pushes it to the user's devices and returns its state, with the
// number to show on the sign-in screen. The devices show rp's registered
// name; the caller's context.app is only a detail.
func (s *Server) CreateRequest(rp string, body push.AuthRequestBody) (push.AuthRequestState, error) {
	return s.createRequest(rp, rp, body, true)
}

// createRequest is CreateRequest with the name the devices show
// (application) and whether a user without a device is sent an enrollment
// link (never by the demo page).
func (s *Server) createRequest(rp, application string, body push.AuthRequestBody, offerEnrollment bool) (push.AuthRequestState, error) {
	u, devices, err := s.activeUserAndDevices(body.User)
	if err != nil {
		return push.AuthRequestState{}, err
	}
	s.hub.dropRevoked(body.User, devices)
	methods, err := s.methodsOf(u, devices)
	if err != nil {
		return push.AuthRequestState{}, err
	}
	if !hasActive(devices) && !methods.Any() && !u.RequireMFA {
		// The administrator chose not to require a second factor of this
		// user: say so explicitly; the relying party decides what to do.
		return push.AuthRequestState{}, errorf("mfa_not_required",
			"%s has no device and does not require a second factor (countersignd user add --require-mfa=false); enroll them to protect the account", body.User)
	}
	if !hasActive(devices) && !methods.Any() {
		ae := errorf("enrollment_required", "%s has no active device; send them to enroll_url to add one", body.User)
		if !offerEnrollment {
			ae.Message = fmt.Sprintf("%s has no active device; an administrator can enroll one (countersignd enroll %s)", body.User, body.User)
			return push.AuthRequestState{}, ae
		}
		if ae.EnrollURL, err = s.enrollURL(body.User); err != nil {
			return push.AuthRequestState{}, err
		}
		return push.AuthRequestState{}, ae
	}
	method, err := resolveMethod(body.Method, methods)
	if err != nil {
		if !methods.Any() {
			// An otpauth authenticator only: codes, no pushes.
			err = errorf("method_not_available", "%s signs in with codes from an authenticator app; ask for a code and check it with POST /v1/otp/verify", body.User)
		}
		return push.AuthRequestState{}, err
	}
	if err := s.checkFatigue(body.User, rp, s.cfg.Now()); err != nil {
		return push.AuthRequestState{}, err
	}
	var req store.AuthRequest
	if method == push.MethodPush {
		req, err = s.newRequest(body.User, rp, application, push.KindSignIn, "", body.Context)
	} else {
		req, err = s.phoneRequest(u, rp, application, method, body.Context)
	}
	if err != nil {
		return push.AuthRequestState{}, err
	}
	return stateOf(req), nil
}

// newRequest stores a pending request, pushes it, signed, to the user's
// devices and schedules its expiry.
func (s *Server) newRequest(user, rp, application string, kind push.RequestKind, subject string, ctx push.Context) (store.AuthRequest, error) {
	now := s.cfg.Now().Truncate(time.Second)
	req := store.AuthRequest{
		Request: push.Request{
			ID: randomID(), User: user, Application: application, Kind: kind, Context: cleanContext(ctx), Nonce: randomToken(32),
			CreatedAt: now, ExpiresAt: now.Add(s.cfg.RequestTTL), ApproveOnly: kind == push.KindSignIn && s.approveOnly(rp),
		},
		RP:      rp,
		Subject: subject,
		Number:  s.randomNumber(),
		Status:  push.StatusPending,
		Method:  push.MethodPush, // as stored: the cached copy is the row
	}
	// Cached before it is stored, so that no answer can come between the
	// two and leave a stale entry.
	s.hub.opened(req)
	if err := s.storeRequest(req); err != nil {
		s.hub.closed(req.ID)
		return req, err
	}
	s.log.Info("request pushed", "id", req.ID, "user", req.User, "rp", rp, "kind", kind)
	s.hub.sendToUser(req.User, s.requestFrame(req.Request))
	s.publish(evRequest, req.User, req.ID)
	s.schedule(req.ID, req.ExpiresAt, func() { s.expire(req.ID) })
	return req, nil
}

// enrollURL returns the enrollment page of the user's open activation
// (with a minute left at least), or of a new one: repeated sign-ins of a
// user without a device do not pile up activation codes.
func (s *Server) enrollURL(user string) (string, error) {
	now := s.cfg.Now()
	if a, err := s.store.OpenActivation(user, now); err == nil && now.Before(a.Expires.Add(-time.Minute)) {
		token, err := s.keys.openSeed(enrollTokenAD(user), a.SealedToken)
		if err != nil {
			return "", err
		}
		return s.cfg.PublicURL + "/enroll/" + string(token), nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	e, err := s.enroll(user, "")
	if err != nil {
		return "", err
	}
	return e.EnrollURL, nil
}

func hasActive(devices []store.Device) bool {
	for _, d := range devices {
		if d.Active() {
			return true
		}
	}
	return false
}

func stateOf(r store.AuthRequest) push.AuthRequestState {
	method := r.Method
	if method == "" {
		method = push.MethodPush
	}
	return push.AuthRequestState{ID: r.ID, User: r.User, Method: method, Number: r.Number, Status: r.Status, Reason: r.Reason, ExpiresAt: r.ExpiresAt, DecidedAt: r.DecidedAt}
}

// maxWait bounds the long-poll of GET /v1/auth-requests/{id}.
const maxWait = 60 * time.Second

func (s *Server) handleGetRequest(w http.ResponseWriter, r *http.Request, rp store.RelyingParty) {
	id := r.PathValue("id")
	var wait time.Duration
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			s.writeError(w, errorf("bad_request", "wait=%q is not a duration such as 30s", v))
			return
		}
		wait = min(d, maxWait)
	}
	req, err := s.waitForDecision(r.Context(), rp.Name, id, wait)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, stateOf(req))
}

// waitForDecision returns the request, waiting up to wait while it is pending.
func (s *Server) waitForDecision(ctx context.Context, rp, id string, wait time.Duration) (store.AuthRequest, error) {
	decided := s.hub.waitFor(id)
	defer s.hub.stopWaiting(id, decided)
	// The cache answers only for a process alone on its database: with
	// several, another may have decided the request a moment ago, and a
	// status read must say so at once.
	var req store.AuthRequest
	ok := false
	if !s.cfg.Shared {
		req, ok = s.hub.openRequest(id)
	}
	var err error
	if !ok {
		req, err = s.store.AuthRequest(id)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && req.RP != rp) {
		return req, errorf("not_found", "no sign-in request %q for this relying party", id)
	}
	if err != nil {
		return req, err
	}
	if (req.Status == push.StatusPending || req.Status == push.StatusCodeSent) && wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-decided:
		case <-timer.C:
		case <-ctx.Done():
		}
		if got, ok := s.hub.decision(id); ok {
			req = got
		} else if req, err = s.store.AuthRequest(id); err != nil {
			return req, err
		}
	}
	if (req.Status == push.StatusPending || req.Status == push.StatusCodeSent) && !s.cfg.Now().Before(req.ExpiresAt) {
		s.expire(id)
		return s.store.AuthRequest(id)
	}
	return req, nil
}

// expire marks a request expired (if still pending) and tells everyone.
func (s *Server) expire(id string) {
	s.hub.closed(id) // its time is up, whoever decided it
	ok, err := s.store.Expire(id, s.cfg.Now())
	if err != nil {
		s.log.Error("expiring a request", "id", id, "err", err)
		return
	}
	if !ok {
		return
	}
	req, err := s.store.AuthRequest(id)
	if err != nil {
		return
	}
	s.log.Info("request expired", "id", id, "user", req.User, "kind", req.Kind, "method", req.Method)
	s.finish(req, "")
}
