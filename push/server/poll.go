package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/countersign/countersign/push"
)

// The HTTPS long-poll fallback, for devices behind a proxy that blocks
// websockets. It is signed the same way: a fresh server challenge, signed
// by the device, for each poll; answers carry their own signature.

// challengeTTL is how long a poll challenge stays valid.
const challengeTTL = time.Minute

// challenges are the poll challenges handed out and not yet used.
type challenges struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (c *challenges) issue(now time.Time) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]time.Time{}
	}
	for n, exp := range c.m {
		if now.After(exp) {
			delete(c.m, n)
		}
	}
	nonce := randomToken(32)
	c.m[nonce] = now.Add(challengeTTL)
	return nonce
}

// use spends a challenge: true once, if it was issued and has not expired.
func (c *challenges) use(nonce string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.m[nonce]
	delete(c.m, nonce)
	return ok && !now.After(exp)
}

// PollRequest is the body of POST /v1/devices/poll.
type PollRequest struct {
	DeviceID  string `json:"device_id"`
	Nonce     string `json:"nonce"`
	Signature []byte `json:"signature"`
	// Wait is how long to hold the call when nothing is pending, e.g. "25s".
	Wait string `json:"wait"`
}

// PollResponse lists the pending requests, each signed by the server.
type PollResponse struct {
	Requests []push.Frame `json:"requests"`
}

// AnswerRequest is the body of POST /v1/devices/answer.
type AnswerRequest struct {
	Answer    push.Answer `json:"answer"`
	Signature []byte      `json:"signature"`
}

func (s *Server) handleChallenge(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"nonce": s.polls.issue(s.cfg.Now())})
}

func (s *Server) handlePoll(w http.ResponseWriter, r *http.Request) {
	var body PollRequest
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	if !s.polls.use(body.Nonce, s.cfg.Now()) {
		s.writeError(w, errorf(http.StatusForbidden, "bad_nonce", "the challenge is unknown, used or expired; get a new one"))
		return
	}
	d, err := s.store.Device(body.DeviceID)
	if err != nil || !d.Active() {
		s.writeError(w, errorf(http.StatusForbidden, "device_revoked", "this device is not (or no longer) enrolled"))
		return
	}
	if err := push.Verify(d.PublicKey, push.ConnectSigningBytes(body.Nonce, d.ID), body.Signature); err != nil {
		s.writeError(w, errorf(http.StatusForbidden, "bad_signature", "the poll's signature does not verify"))
		return
	}
	wait, _ := time.ParseDuration(body.Wait)
	wait = min(max(wait, 0), maxWait)
	woken := s.hub.waitForUser(d.User)
	defer s.hub.stopWaitingUser(d.User, woken)
	pending, err := s.store.PendingRequests(d.User, s.cfg.Now())
	if err == nil && len(pending) == 0 && wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-woken:
		case <-timer.C:
		case <-r.Context().Done():
		}
		timer.Stop()
		pending, err = s.store.PendingRequests(d.User, s.cfg.Now())
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	resp := PollResponse{Requests: []push.Frame{}}
	for _, p := range pending {
		resp.Requests = append(resp.Requests, s.requestFrame(p.Request))
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleDeviceAnswer(w http.ResponseWriter, r *http.Request) {
	var body AnswerRequest
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	status, err := s.Answer(body.Answer.DeviceID, body.Answer, body.Signature)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, push.Frame{Type: push.FrameResult, RequestID: body.Answer.RequestID, Status: status})
}
