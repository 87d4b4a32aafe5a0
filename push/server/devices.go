package server

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

func (s *Server) handleActivate(w http.ResponseWriter, r *http.Request) {
	var body push.ActivateRequest
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	resp, err := s.Activate(body)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// Activate spends an activation code: the device's public key is bound to
// the code's user, and the device receives its id, the TOTP parameters and
// the server's key.
func (s *Server) Activate(body push.ActivateRequest) (push.ActivateResponse, error) {
	if len(body.DevicePublicKey) != ed25519.PublicKeySize {
		return push.ActivateResponse{}, errorf(http.StatusBadRequest, "bad_request", "device_public_key must be a %d-byte Ed25519 key", ed25519.PublicKeySize)
	}
	name := strings.TrimSpace(body.DeviceName)
	if name == "" || len(name) > 128 {
		name = "device"
	}
	hash := sha256.Sum256([]byte(body.Code))
	d, err := s.store.SpendActivation(hash[:], store.Device{ID: randomID(), Name: name, PublicKey: body.DevicePublicKey}, s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return push.ActivateResponse{}, errorf(http.StatusNotFound, "activation_not_found", "this activation code is not known; ask for a new one")
	case errors.Is(err, store.ErrActivationUsed):
		return push.ActivateResponse{}, errorf(http.StatusGone, "activation_used", "this activation code was already used; ask for a new one")
	case errors.Is(err, store.ErrActivationExpired):
		return push.ActivateResponse{}, errorf(http.StatusGone, "activation_expired", "this activation code has expired; ask for a new one")
	case err != nil:
		return push.ActivateResponse{}, err
	}
	u, err := s.store.User(d.User)
	if err != nil {
		return push.ActivateResponse{}, err
	}
	seed, err := s.keys.openSeed(u.Name, u.SealedSeed)
	if err != nil {
		return push.ActivateResponse{}, err
	}
	defer clear(seed)
	s.store.Audit(store.AuditEvent{Time: s.cfg.Now(), Kind: "device_activated", User: d.User, Detail: map[string]string{"device": d.ID, "name": d.Name}})
	s.log.Info("device activated", "user", d.User, "device", d.ID)
	s.hub.notifyEnrollment(d.User)
	ws := strings.Replace(strings.Replace(s.cfg.PublicURL, "https://", "wss://", 1), "http://", "ws://", 1)
	return push.ActivateResponse{
		DeviceID:        d.ID,
		ServerPublicKey: s.PublicKey(),
		Fingerprint:     push.Fingerprint(s.PublicKey()),
		TOTP:            push.TOTPParams{Secret: seedEncoding.EncodeToString(seed), Algorithm: "SHA1", Digits: 6, Period: 30},
		Issuer:          s.cfg.Issuer,
		Account:         d.User,
		WebsocketURL:    ws + "/v1/devices/connect",
		PollURL:         s.cfg.PublicURL + "/v1/devices/poll",
	}, nil
}

// Limits of a device connection.
const (
	helloTimeout  = 10 * time.Second
	pingInterval  = 30 * time.Second
	writeTimeout  = 10 * time.Second
	sendQueue     = 32
	framesPerTick = 20 // answers and other frames a device may send per rateWindow
	rateWindow    = 10 * time.Second
)

// deviceConn is one connected, authenticated device. It has no goroutine
// of its own besides its reader: frames queue up and the first sender
// drains the queue, and one server-wide pinger pings every connection.
// With thousands of devices, fewer goroutines mean less memory and shorter
// garbage-collection pauses.
type deviceConn struct {
	device   store.Device
	conn     *websocket.Conn
	ctx      context.Context
	cancel   context.CancelFunc
	mu       sync.Mutex
	queue    []push.Frame
	writing  bool
	nextPing time.Time
}

// send queues f; a device too slow to take its frames is disconnected (it
// resumes its pending requests when it reconnects).
func (c *deviceConn) send(f push.Frame) {
	c.mu.Lock()
	if len(c.queue) >= sendQueue {
		c.mu.Unlock()
		c.cancel()
		return
	}
	c.queue = append(c.queue, f)
	if c.writing {
		c.mu.Unlock()
		return
	}
	c.writing = true
	c.mu.Unlock()
	go c.drain()
}

// drain writes queued frames in order until the queue is empty.
func (c *deviceConn) drain() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.writing = false
			c.mu.Unlock()
			return
		}
		f := c.queue[0]
		c.queue = c.queue[1:]
		c.mu.Unlock()
		if err := writeFrame(c.ctx, c.conn, f); err != nil {
			c.cancel() // writing stays true: nothing more is written
			return
		}
	}
}

// pinger pings every connection once per pingInterval, spread over time;
// a device that does not answer is disconnected.
func (h *hub) pinger(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastRevokeCheck := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if now.Sub(lastRevokeCheck) >= revokeCheckInterval {
				h.dropRevokedSince(lastRevokeCheck)
				lastRevokeCheck = now
			}
			h.mu.Lock()
			for _, conns := range h.byUser {
				for c := range conns {
					if now.After(c.nextPing) {
						c.nextPing = now.Add(pingInterval)
						go func() {
							pctx, cancel := context.WithTimeout(c.ctx, writeTimeout)
							defer cancel()
							if c.conn.Ping(pctx) != nil {
								c.cancel()
							}
						}()
					}
				}
			}
			h.mu.Unlock()
		}
	}
}

// revokeCheckInterval is how often the server looks for devices revoked by
// another process (an admin command beside it), to disconnect them.
var revokeCheckInterval = 10 * time.Second

// dropRevokedSince disconnects the devices revoked since t (with a margin:
// revocation times are stored in seconds).
func (h *hub) dropRevokedSince(t time.Time) {
	ids, err := h.s.store.RevokedSince(t.Add(-2 * time.Second))
	if err != nil {
		h.s.log.Error("looking for revoked devices", "err", err)
		return
	}
	for _, id := range ids {
		h.disconnectDevice(id)
	}
}

// hub knows the connected devices of each user and who waits for which
// request's decision.
type hub struct {
	s       *Server
	mu      sync.Mutex
	byUser  map[string]map[*deviceConn]struct{}
	waiters map[string]map[chan struct{}]struct{}
	enrolls map[string]map[chan struct{}]struct{}
	pollers map[string]map[chan struct{}]struct{} // long-polling devices, by user
}

func newHub(s *Server) *hub {
	return &hub{s: s, byUser: map[string]map[*deviceConn]struct{}{}, waiters: map[string]map[chan struct{}]struct{}{}, enrolls: map[string]map[chan struct{}]struct{}{}, pollers: map[string]map[chan struct{}]struct{}{}}
}

func (h *hub) add(c *deviceConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byUser[c.device.User] == nil {
		h.byUser[c.device.User] = map[*deviceConn]struct{}{}
	}
	h.byUser[c.device.User][c] = struct{}{}
}

func (h *hub) remove(c *deviceConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.byUser[c.device.User], c)
	if len(h.byUser[c.device.User]) == 0 {
		delete(h.byUser, c.device.User)
	}
}

// sendToUser queues f for every connected device of user but skipDevice.
// A device too slow to take it is disconnected (it resumes on reconnect).
func (h *hub) sendToUser(user string, f push.Frame, skipDevice string) {
	if f.Type == push.FrameRequest || f.Type == push.FrameResolved {
		wake(&h.mu, h.pollers, user) // long-polling devices learn it too
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.byUser[user] {
		if c.device.ID == skipDevice {
			continue
		}
		c.send(f)
	}
}

// Connected reports how many devices are connected now.
func (s *Server) Connected() int {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	n := 0
	for _, conns := range s.hub.byUser {
		n += len(conns)
	}
	return n
}

func (h *hub) disconnectDevice(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, conns := range h.byUser {
		for c := range conns {
			if c.device.ID == id {
				c.cancel()
			}
		}
	}
}

// dropRevoked disconnects the user's devices that are revoked in devices
// (perhaps by an admin command in another process since they connected),
// before anything more is sent to them.
func (h *hub) dropRevoked(user string, devices []store.Device) {
	revoked := map[string]bool{}
	for _, d := range devices {
		if !d.Active() {
			revoked[d.ID] = true
		}
	}
	if len(revoked) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.byUser[user] {
		if revoked[c.device.ID] {
			c.cancel()
			delete(h.byUser[user], c)
		}
	}
}

func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, conns := range h.byUser {
		for c := range conns {
			c.cancel()
		}
	}
}

// waitFor returns a channel closed when request id is decided or expires.
func (h *hub) waitFor(id string) chan struct{} {
	return register(&h.mu, h.waiters, id)
}

func (h *hub) stopWaiting(id string, ch chan struct{}) { unregister(&h.mu, h.waiters, id, ch) }

// waitForEnrollment returns a channel closed when a device of user activates.
func (h *hub) waitForEnrollment(user string) chan struct{} {
	return register(&h.mu, h.enrolls, user)
}

func (h *hub) stopWaitingEnrollment(user string, ch chan struct{}) {
	unregister(&h.mu, h.enrolls, user, ch)
}

func (h *hub) notifyEnrollment(user string) { wake(&h.mu, h.enrolls, user) }

// waitForUser returns a channel closed when a request for user arrives, is
// decided or expires (for long-polling devices).
func (h *hub) waitForUser(user string) chan struct{} { return register(&h.mu, h.pollers, user) }

func (h *hub) stopWaitingUser(user string, ch chan struct{}) { unregister(&h.mu, h.pollers, user, ch) }

func register(mu *sync.Mutex, m map[string]map[chan struct{}]struct{}, key string) chan struct{} {
	mu.Lock()
	defer mu.Unlock()
	ch := make(chan struct{})
	if m[key] == nil {
		m[key] = map[chan struct{}]struct{}{}
	}
	m[key][ch] = struct{}{}
	return ch
}

func unregister(mu *sync.Mutex, m map[string]map[chan struct{}]struct{}, key string, ch chan struct{}) {
	mu.Lock()
	defer mu.Unlock()
	if _, ok := m[key][ch]; ok {
		delete(m[key], ch)
		if len(m[key]) == 0 {
			delete(m, key)
		}
	}
}

func wake(mu *sync.Mutex, m map[string]map[chan struct{}]struct{}, key string) {
	mu.Lock()
	defer mu.Unlock()
	for ch := range m[key] {
		close(ch)
	}
	delete(m, key)
}

// resolved tells waiters and the user's devices (but skipDevice) that a
// request is decided or expired.
func (h *hub) resolved(req store.AuthRequest, skipDevice string) {
	wake(&h.mu, h.waiters, req.ID)
	h.sendToUser(req.User, push.Frame{Type: push.FrameResolved, RequestID: req.ID, Status: req.Status}, skipDevice)
	h.s.notifyWebhook(req)
}

// requestFrame signs a request for the devices.
func (s *Server) requestFrame(r push.Request) push.Frame {
	return push.Frame{Type: push.FrameRequest, Request: &r, Signature: ed25519.Sign(s.keys.sign, r.SigningBytes())}
}

// handleConnect is the device websocket: challenge, signed hello, then
// pending requests out and signed answers in.
func (s *Server) handleConnect(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered
	}
	conn.SetReadLimit(push.MaxFrameSize)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	dc, err := s.authenticate(ctx, conn)
	if err != nil {
		s.log.Warn("device refused", "remote", r.RemoteAddr, "err", err)
		writeFrame(ctx, conn, push.Frame{Type: push.FrameError, Error: &push.ErrorBody{Code: "unauthorized", Message: err.Error()}})
		conn.Close(websocket.StatusPolicyViolation, "unauthorized")
		return
	}
	dc.ctx, dc.cancel = ctx, cancel
	s.hub.add(dc)
	defer s.hub.remove(dc)
	s.log.Info("device connected", "device", dc.device.ID, "user", dc.device.User)

	// The pending requests go first; welcome then tells the device it has
	// every request that was waiting.
	pending, err := s.store.PendingRequests(dc.device.User, s.cfg.Now())
	if err != nil {
		s.log.Error("listing pending requests", "err", err)
	}
	for _, p := range pending {
		dc.send(s.requestFrame(p.Request))
	}
	dc.send(push.Frame{Type: push.FrameWelcome})
	err = s.readLoop(ctx, dc)
	status := websocket.CloseStatus(err)
	switch {
	case status == websocket.StatusMessageTooBig:
		s.log.Warn("device sent an oversized frame", "device", dc.device.ID)
	case errors.Is(err, errPolicy):
		conn.Close(websocket.StatusPolicyViolation, err.Error())
	default:
		conn.Close(websocket.StatusNormalClosure, "")
	}
	s.log.Info("device disconnected", "device", dc.device.ID, "reason", err)
}

var errPolicy = errors.New("policy violation")

// authenticate sends a fresh challenge and checks the device's signed hello.
func (s *Server) authenticate(ctx context.Context, conn *websocket.Conn) (*deviceConn, error) {
	nonce := randomToken(32)
	if err := writeFrame(ctx, conn, push.Frame{Type: push.FrameChallenge, Nonce: nonce}); err != nil {
		return nil, err
	}
	hctx, cancel := context.WithTimeout(ctx, helloTimeout)
	defer cancel()
	_, data, err := conn.Read(hctx)
	if err != nil {
		return nil, err
	}
	f, err := push.DecodeFrame(data)
	if err != nil || f.Type != push.FrameHello {
		return nil, errors.New("expected a hello frame")
	}
	d, err := s.store.Device(f.DeviceID)
	if err != nil || !d.Active() {
		return nil, errors.New("unknown or revoked device")
	}
	if err := push.Verify(d.PublicKey, push.ConnectSigningBytes(nonce, d.ID), f.Signature); err != nil {
		return nil, errors.New("the hello signature does not verify")
	}
	return &deviceConn{device: d, conn: conn, nextPing: time.Now().Add(pingInterval)}, nil
}

func writeFrame(ctx context.Context, conn *websocket.Conn, f push.Frame) error {
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return conn.Write(wctx, websocket.MessageText, data)
}

// readLoop takes the device's answers, within a frame rate limit.
func (s *Server) readLoop(ctx context.Context, dc *deviceConn) error {
	windowStart, count := time.Now(), 0
	for {
		_, data, err := dc.conn.Read(ctx)
		if err != nil {
			return err
		}
		if time.Since(windowStart) > rateWindow {
			windowStart, count = time.Now(), 0
		}
		if count++; count > framesPerTick {
			return errPolicy
		}
		f, err := push.DecodeFrame(data)
		if err != nil {
			dc.send(push.Frame{Type: push.FrameError, Error: &push.ErrorBody{Code: "bad_frame", Message: err.Error()}})
			continue
		}
		if f.Type != push.FrameAnswer {
			dc.send(push.Frame{Type: push.FrameError, Error: &push.ErrorBody{Code: "bad_frame", Message: "devices send answer frames only"}})
			continue
		}
		status, err := s.Answer(dc.device.ID, *f.Answer, f.Signature)
		if err != nil {
			var ae *apiError
			body := push.ErrorBody{Code: "internal", Message: "the server failed"}
			if errors.As(err, &ae) {
				body = ae.body
			}
			dc.send(push.Frame{Type: push.FrameError, RequestID: f.Answer.RequestID, Error: &body})
			continue
		}
		dc.send(push.Frame{Type: push.FrameResult, RequestID: f.Answer.RequestID, Status: status})
	}
}

// Answer applies a device's signed answer and returns the request's
// status afterwards. It checks, before trusting anything in it: the device
// is known and active, the signature, the request belongs to the device's
// user, the nonce, the expiry, that it is still pending, and for an
// approval the number. A wrong number denies the request.
func (s *Server) Answer(deviceID string, a push.Answer, sig []byte) (push.Status, error) {
	d, err := s.store.Device(deviceID)
	if err != nil || !d.Active() || a.DeviceID != deviceID {
		return "", errorf(http.StatusForbidden, "device_revoked", "this device is not (or no longer) enrolled")
	}
	if err := push.Verify(d.PublicKey, a.SigningBytes(), sig); err != nil {
		s.log.Warn("answer with a bad signature", "device", deviceID, "request", a.RequestID)
		return "", errorf(http.StatusForbidden, "bad_signature", "the answer's signature does not verify")
	}
	if err := a.Validate(); err != nil {
		return "", errorf(http.StatusBadRequest, "bad_request", "%v", err)
	}
	req, err := s.store.AuthRequest(a.RequestID)
	if err != nil || req.User != d.User {
		return "", errorf(http.StatusNotFound, "not_found", "no sign-in request %q for this device's user", a.RequestID)
	}
	if subtle.ConstantTimeCompare([]byte(a.Nonce), []byte(req.Nonce)) != 1 {
		return "", errorf(http.StatusForbidden, "bad_nonce", "the answer is not for this request")
	}
	status, reason := push.StatusDenied, string(a.Reason)
	switch a.Decision {
	case push.Approve:
		if subtle.ConstantTimeCompare([]byte(a.Number), []byte(req.Number)) == 1 {
			status, reason = push.StatusApproved, ""
		} else {
			reason = "wrong_number"
		}
	case push.Fraud:
		status, reason = push.StatusFraud, "not_me"
	}
	if status == push.StatusApproved {
		// Blocked since the request was made (by an administrator, perhaps
		// from another process): an approval no longer signs anyone in.
		if u, err := s.store.User(d.User); err != nil {
			return "", err
		} else if u.Blocked {
			status, reason = push.StatusDenied, "user_blocked"
		}
	}
	now := s.cfg.Now()
	won, err := s.store.Decide(req.ID, status, reason, deviceID, now)
	if err != nil {
		return "", err
	}
	req, err = s.store.AuthRequest(req.ID)
	if err != nil {
		return "", err
	}
	if !won {
		if req.Status == push.StatusPending && !now.Before(req.ExpiresAt) {
			s.expire(req.ID)
			req, _ = s.store.AuthRequest(req.ID)
		}
		return req.Status, nil
	}
	s.unschedule(req.ID)
	s.log.Info("sign-in decided", "id", req.ID, "user", req.User, "status", req.Status, "reason", req.Reason, "device", deviceID)
	if status == push.StatusFraud {
		s.reportFraud(req, deviceID)
	}
	s.hub.resolved(req, deviceID)
	return req.Status, nil
}

// reportFraud records a fraud report and blocks the user (unless configured not to).
func (s *Server) reportFraud(req store.AuthRequest, deviceID string) {
	now := s.cfg.Now()
	s.store.Audit(store.AuditEvent{Time: now, Kind: "fraud", User: req.User, Detail: map[string]string{
		"request": req.ID, "rp": req.RP, "device": deviceID, "app": req.Context.App, "ip": req.Context.IP,
	}})
	s.log.Warn("fraud reported", "user", req.User, "request", req.ID, "rp", req.RP, "ip", req.Context.IP)
	if s.cfg.KeepUnblockedOnFraud {
		return
	}
	if err := s.store.SetBlocked(req.User, true); err != nil {
		s.log.Error("blocking after fraud", "user", req.User, "err", err)
		return
	}
	s.store.Audit(store.AuditEvent{Time: now, Kind: "blocked", User: req.User, Detail: map[string]string{"reason": "fraud reported", "request": req.ID}})
}
