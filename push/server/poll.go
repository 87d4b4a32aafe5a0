package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// The HTTPS long-poll fallback, for devices behind a proxy that blocks
// websockets. It is signed the same way: a fresh server challenge, signed
// by the device, for each poll; answers carry their own signature.

// challengeTTL is how long a poll challenge stays valid.
const challengeTTL = time.Minute

// pollContinuity: a device whose previous poll ended less than this ago is
// in its polling loop, so it still has what that poll gave it.
const pollContinuity = 5 * time.Second

// challenges hands out poll challenges and remembers what each polling
// device was last given.
//
// A challenge is stateless: its expiry, random bytes and an HMAC of both
// under a key of this process. Handing one out stores nothing, so the
// unauthenticated GET /v1/devices/challenge cannot fill the memory; only
// challenges spent by a verified poll are remembered, until they expire.
type challenges struct {
	once      sync.Once
	key       []byte
	mu        sync.Mutex
	spent     map[string]time.Time // nonce -> expiry
	lastSweep time.Time
	given     map[string]given // device id -> its last poll
}

// given is what a device's last poll answered, and when.
type given struct {
	ids string // the pending request ids, sorted, joined by commas
	at  time.Time
}

const (
	challengeRandom = 16
	challengeMAC    = 16
	challengeSize   = 8 + challengeRandom + challengeMAC
)

func (c *challenges) init() {
	c.once.Do(func() {
		c.key = make([]byte, 32)
		rand.Read(c.key)
		c.spent = map[string]time.Time{}
		c.given = map[string]given{}
	})
}

func (c *challenges) mac(b []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(b)
	return m.Sum(nil)[:challengeMAC]
}

// issue returns a fresh challenge valid until now+challengeTTL.
func (c *challenges) issue(now time.Time) string {
	c.init()
	b := make([]byte, 8+challengeRandom, challengeSize)
	binary.BigEndian.PutUint64(b, uint64(now.Add(challengeTTL).Unix()))
	rand.Read(b[8:])
	return base64.RawURLEncoding.EncodeToString(append(b, c.mac(b)...))
}

// valid reports whether nonce is a challenge of this process, unexpired.
func (c *challenges) valid(nonce string, now time.Time) bool {
	c.init()
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != challengeSize {
		return false
	}
	if !hmac.Equal(b[8+challengeRandom:], c.mac(b[:8+challengeRandom])) {
		return false
	}
	return now.Unix() < int64(binary.BigEndian.Uint64(b))
}

// spend marks a valid challenge used by a verified poll; false if it was
// used before (a replay).
func (c *challenges) spend(nonce string, now time.Time) bool {
	c.init()
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.lastSweep) > challengeTTL {
		for n, exp := range c.spent {
			if now.After(exp) {
				delete(c.spent, n)
			}
		}
		for id, g := range c.given {
			if now.Sub(g.at) > maxWait+pollContinuity {
				delete(c.given, id)
			}
		}
		c.lastSweep = now
	}
	if _, used := c.spent[nonce]; used {
		return false
	}
	c.spent[nonce] = now.Add(challengeTTL)
	return true
}

// lastGiven returns the ids a device's previous poll answered, if that
// poll ended so recently that the device is still in its loop.
func (c *challenges) lastGiven(deviceID string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.given[deviceID]
	return g.ids, ok && now.Sub(g.at) < pollContinuity
}

func (c *challenges) setGiven(deviceID, ids string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.given[deviceID] = given{ids: ids, at: now}
}

// idsOf lists request ids in a canonical form.
func idsOf(ids []string) string {
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// PollRequest is the body of POST /v1/devices/poll.
type PollRequest struct {
	DeviceID  string `json:"device_id"`
	Nonce     string `json:"nonce"`
	Signature []byte `json:"signature"`
	// Wait is how long to hold the call while nothing changes, e.g. "25s"
	// (at most 60s).
	Wait string `json:"wait"`
	// Known, if given, lists the ids of the pending requests the device
	// already has: the call waits while the pending set is the same. A
	// device that leaves it out is assumed to have what its previous poll
	// gave it, if that poll ended within a few seconds.
	Known *[]string `json:"known,omitempty"`
}

// PollResponse lists the pending requests, each signed by the server.
type PollResponse struct {
	Requests []push.Frame `json:"requests"`
	// Notices are the signed notices the device was not given yet.
	Notices []push.Frame `json:"notices,omitempty"`
}

// AnswerRequest is the body of POST /v1/devices/answer.
type AnswerRequest struct {
	Answer    push.Answer `json:"answer"`
	Signature []byte      `json:"signature"`
}

func (s *Server) handleChallenge(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"nonce": s.polls.issue(s.cfg.Now())})
}

// handlePoll answers with the user's pending requests, each signed by the
// server. With a wait, it holds the call while the pending set is what the
// device already has, until a request arrives or one is decided or expires.
func (s *Server) handlePoll(w http.ResponseWriter, r *http.Request) {
	var body PollRequest
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	now := s.cfg.Now()
	if !s.polls.valid(body.Nonce, now) {
		s.writeError(w, errorf("bad_nonce", "the challenge is unknown or expired; get a new one from GET /v1/devices/challenge"))
		return
	}
	d, err := s.store.Device(body.DeviceID)
	if err != nil || !d.Active() {
		s.writeError(w, errorf("device_revoked", "this device is not (or no longer) enrolled"))
		return
	}
	if err := push.Verify(d.PublicKey, push.ConnectSigningBytes(body.Nonce, d.ID), body.Signature); err != nil {
		s.writeError(w, errorf("bad_signature", "the poll's signature does not verify"))
		return
	}
	if !s.polls.spend(body.Nonce, now) {
		s.writeError(w, errorf("bad_nonce", "the challenge was already used; get a new one from GET /v1/devices/challenge"))
		return
	}
	wait, _ := time.ParseDuration(body.Wait)
	wait = min(max(wait, 0), maxWait)
	known, continuing := s.polls.lastGiven(d.ID, now)
	if body.Known != nil {
		known, continuing = idsOf(slices.Clone(*body.Known)), true
	}
	if !continuing {
		known = ""
	}
	woken := s.hub.waitForUser(d.User)
	defer s.hub.stopWaitingUser(d.User, woken)
	pending, err := s.store.PendingRequests(d.User, s.cfg.Now())
	if err == nil && wait > 0 && pendingIDs(pending) == known {
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
	s.polls.setGiven(d.ID, pendingIDs(pending), s.cfg.Now())
	resp := PollResponse{Requests: []push.Frame{}, Notices: s.unseenNoticeFrames(d.ID)}
	for _, p := range pending {
		resp.Requests = append(resp.Requests, s.requestFrame(p.Request))
	}
	writeJSON(w, http.StatusOK, resp)
}

func pendingIDs(pending []store.AuthRequest) string {
	ids := make([]string, len(pending))
	for i, p := range pending {
		ids[i] = p.ID
	}
	return idsOf(ids)
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
