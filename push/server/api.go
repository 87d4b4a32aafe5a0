package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// maxBodySize bounds request bodies of the API.
const maxBodySize = 64 << 10

// apiError is an error answer of the API with a stable code.
type apiError struct {
	status int
	body   push.ErrorBody
}

// Error returns the code and the message.
func (e *apiError) Error() string { return e.body.Code + ": " + e.body.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, body: push.ErrorBody{Code: code, Message: fmt.Sprintf(format, args...)}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		s.log.Error("internal error", "err", err)
		ae = errorf(http.StatusInternalServerError, "internal", "the server failed; try again, and tell its administrator if it goes on")
	}
	writeJSON(w, ae.status, map[string]any{"error": ae.body})
}

// decodeBody reads a JSON body of at most maxBodySize bytes.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodySize))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "too_large", "the body is over %d bytes", maxBodySize)
		}
		return errorf(http.StatusBadRequest, "bad_request", "the body is not valid JSON: %v", err)
	}
	return nil
}

// rpCache keeps the relying parties seen so far in memory. A key it does
// not know is looked up in the database by its hash (another process may
// have added it): the lookup reveals nothing of the keys, only of hashes.
type rpCache struct {
	mu  sync.Mutex
	rps []store.RelyingParty
}

// find returns the relying party whose key hash is hash; cached hashes are
// compared in constant time.
func (c *rpCache) find(hash []byte, lookup func([]byte) (store.RelyingParty, error)) (store.RelyingParty, bool, error) {
	c.mu.Lock()
	for _, rp := range c.rps {
		if subtle.ConstantTimeCompare(rp.KeyHash, hash) == 1 {
			c.mu.Unlock()
			return rp, true, nil
		}
	}
	c.mu.Unlock()
	rp, err := lookup(hash)
	if errors.Is(err, store.ErrNotFound) {
		return rp, false, nil
	}
	if err != nil {
		return rp, false, err
	}
	c.mu.Lock()
	c.rps = append(c.rps, rp)
	c.mu.Unlock()
	return rp, true, nil
}

// byName returns a cached relying party.
func (c *rpCache) byName(name string) (store.RelyingParty, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rp := range c.rps {
		if rp.Name == name {
			return rp, true
		}
	}
	return store.RelyingParty{}, false
}

// withRP authenticates a relying party by its API key (Authorization:
// Bearer KEY): only the key's SHA-256 is stored and compared.
func (s *Server) withRP(h func(w http.ResponseWriter, r *http.Request, rp store.RelyingParty)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || key == "" {
			s.writeError(w, errorf(http.StatusUnauthorized, "unauthorized", "send the relying party's API key as Authorization: Bearer KEY"))
			return
		}
		hash := sha256.Sum256([]byte(key))
		rp, ok, err := s.rps.find(hash[:], s.store.RelyingPartyByKeyHash)
		if err != nil {
			s.writeError(w, err)
			return
		}
		if !ok {
			s.log.Warn("unknown API key", "remote", r.RemoteAddr)
			s.writeError(w, errorf(http.StatusUnauthorized, "unauthorized", "the API key is not valid (countersignd rp add NAME makes one)"))
			return
		}
		h(w, r, rp)
	}
}

// activeUser checks that the user exists, is not blocked and has an active
// device; with none, it answers enrollment_required with an enrollment URL.
func (s *Server) activeUser(name string) (store.User, error) {
	u, err := s.store.User(name)
	if errors.Is(err, store.ErrNotFound) {
		return u, errorf(http.StatusNotFound, "user_not_found", "no user %q (countersignd user add %s)", name, name)
	}
	if err != nil {
		return u, err
	}
	if u.Blocked {
		return u, errorf(http.StatusForbidden, "user_blocked", "%s is blocked (after a fraud report or too many wrong codes); an administrator can unblock them", name)
	}
	return u, nil
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

// CreateRequest makes a sign-in request for body.User on behalf of relying
// party rp, pushes it to the user's devices and returns its state, with the
// number to show on the sign-in screen.
func (s *Server) CreateRequest(rp string, body push.AuthRequestBody) (push.AuthRequestState, error) {
	u, err := s.activeUser(body.User)
	if err != nil {
		return push.AuthRequestState{}, err
	}
	devices, err := s.store.Devices(body.User)
	if err != nil {
		return push.AuthRequestState{}, err
	}
	s.hub.dropRevoked(body.User, devices)
	if !hasActive(devices) && !u.RequireMFA {
		// The administrator chose not to require a second factor of this
		// user: say so explicitly; the relying party decides what to do.
		return push.AuthRequestState{}, errorf(http.StatusConflict, "mfa_not_required",
			"%s has no device and does not require a second factor (countersignd user add --require-mfa=false); enroll them to protect the account", body.User)
	}
	if !hasActive(devices) {
		enrollURL, err := s.enrollURL(body.User)
		if err != nil {
			return push.AuthRequestState{}, err
		}
		ae := errorf(http.StatusConflict, "enrollment_required", "%s has no active device; send them to enroll_url to add one", body.User)
		ae.body.EnrollURL = enrollURL
		return push.AuthRequestState{}, ae
	}
	now := s.cfg.Now()
	if err := s.checkFatigue(body.User, now); err != nil {
		return push.AuthRequestState{}, err
	}
	for _, f := range []*string{&body.Context.App, &body.Context.IP, &body.Context.Location, &body.Context.UserAgent} {
		if len(*f) > 512 {
			*f = (*f)[:512]
		}
	}
	req := store.AuthRequest{
		Request: push.Request{
			ID: randomID(), User: body.User, Context: body.Context, Nonce: randomToken(32),
			CreatedAt: now.Truncate(time.Second), ExpiresAt: now.Truncate(time.Second).Add(s.cfg.RequestTTL),
		},
		RP:     rp,
		Number: s.randomNumber(),
		Status: push.StatusPending,
	}
	if err := s.store.AddAuthRequest(req); err != nil {
		return push.AuthRequestState{}, err
	}
	s.log.Info("sign-in request", "id", req.ID, "user", req.User, "rp", rp, "app", req.Context.App)
	s.hub.sendToUser(req.User, s.requestFrame(req.Request), "")
	s.schedule(req.ID, req.ExpiresAt, func() { s.expire(req.ID) })
	return stateOf(req), nil
}

// enrollURL returns the enrollment page of the user's open activation
// (with a minute left at least), or of a new one: repeated sign-ins of a
// user without a device do not pile up activation codes.
func (s *Server) enrollURL(user string) (string, error) {
	now := s.cfg.Now()
	if a, err := s.store.OpenActivation(user, now); err == nil && now.Before(a.Expires.Add(-time.Minute)) {
		return s.cfg.PublicURL + "/enroll/" + a.Token, nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	e, err := s.Enroll(user)
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

// checkFatigue applies the push-fatigue limits: pending requests, requests
// per minute, and a growing wait after requests that expired unanswered.
func (s *Server) checkFatigue(user string, now time.Time) error {
	pending, recent, unanswered, latest, err := s.store.RequestCounts(user, now, now.Add(-time.Minute))
	if err != nil {
		return err
	}
	if pending >= s.cfg.MaxPending {
		return errorf(http.StatusTooManyRequests, "too_many_pending", "%s already has %d sign-in request(s) waiting; wait for the answer or the expiry", user, pending)
	}
	if recent >= s.cfg.RequestsPerMinute {
		return errorf(http.StatusTooManyRequests, "rate_limited", "%s had %d sign-in requests in the last minute (limit %d); try again later", user, recent, s.cfg.RequestsPerMinute)
	}
	if unanswered >= 3 {
		wait := 30 * time.Second << min(unanswered-3, 10)
		if next := latest.Add(s.cfg.RequestTTL).Add(wait); now.Before(next) {
			return errorf(http.StatusTooManyRequests, "backoff", "%d requests to %s went unanswered; the next is allowed at %s", unanswered, user, next.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

func stateOf(r store.AuthRequest) push.AuthRequestState {
	return push.AuthRequestState{ID: r.ID, User: r.User, Number: r.Number, Status: r.Status, Reason: r.Reason, ExpiresAt: r.ExpiresAt, DecidedAt: r.DecidedAt}
}

// maxWait bounds the long-poll of GET /v1/auth-requests/{id}.
const maxWait = 60 * time.Second

func (s *Server) handleGetRequest(w http.ResponseWriter, r *http.Request, rp store.RelyingParty) {
	id := r.PathValue("id")
	var wait time.Duration
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			s.writeError(w, errorf(http.StatusBadRequest, "bad_request", "wait=%q is not a duration such as 30s", v))
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
	req, err := s.store.AuthRequest(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && req.RP != rp) {
		return req, errorf(http.StatusNotFound, "not_found", "no sign-in request %q for this relying party", id)
	}
	if err != nil {
		return req, err
	}
	if req.Status == push.StatusPending && wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-decided:
		case <-timer.C:
		case <-ctx.Done():
		}
		if req, err = s.store.AuthRequest(id); err != nil {
			return req, err
		}
	}
	if req.Status == push.StatusPending && !s.cfg.Now().Before(req.ExpiresAt) {
		s.expire(id)
		return s.store.AuthRequest(id)
	}
	return req, nil
}

// expire marks a request expired (if still pending) and tells everyone.
func (s *Server) expire(id string) {
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
	s.log.Info("sign-in request expired", "id", id, "user", req.User)
	s.hub.resolved(req, "")
}

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
			return false, errorf(http.StatusTooManyRequests, "otp_throttled", "%d wrong codes in a row for %s; try again after %s", failures, user, next.UTC().Format(time.RFC3339))
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
