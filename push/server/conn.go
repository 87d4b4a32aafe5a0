package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

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

// flush waits (a write timeout at most) until the queued frames are written.
func (c *deviceConn) flush() {
	deadline := time.Now().Add(writeTimeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		done := len(c.queue) == 0 && !c.writing
		c.mu.Unlock()
		if done || c.ctx.Err() != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
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
		if len(c.queue) == 0 {
			c.queue = nil // an idle connection keeps no queue
		}
		c.mu.Unlock()
		if err := writeFrame(c.ctx, c.conn, f); err != nil {
			c.cancel() // writing stays true: nothing more is written
			return
		}
	}
}

// handleConnect is the device websocket: challenge, signed hello, then
// pending requests out and signed answers in. Once the device is
// authenticated the connection is served on a goroutine of its own and the
// HTTP handler returns: the handler's goroutine and request, which a
// connection held for hours would otherwise keep (net/http's deep stack,
// the request's headers), are freed.
func (s *Server) handleConnect(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered
	}
	conn.SetReadLimit(push.MaxFrameSize)
	// The request's context ends when this handler returns; the
	// connection's ends when it closes (or the server does: hub.closeAll).
	ctx, cancel := context.WithCancel(context.Background())
	dc, err := s.authenticate(ctx, conn)
	if err != nil {
		defer cancel()
		s.logRefused("device refused", "remote", r.RemoteAddr, "err", err)
		body := push.ErrorBody{Code: "unauthorized", Message: err.Error()}
		var refusal *Error
		if errors.As(err, &refusal) {
			body = refusal.ErrorBody
		}
		writeFrame(ctx, conn, push.Frame{Type: push.FrameError, Error: &body})
		conn.Close(websocket.StatusPolicyViolation, "unauthorized")
		return
	}
	dc.ctx, dc.cancel = ctx, cancel
	go s.serveDevice(dc)
}

// serveDevice serves an authenticated device until its connection ends.
func (s *Server) serveDevice(dc *deviceConn) {
	defer dc.cancel()
	defer func() {
		// A bug must not take every other device's connection down with
		// the process: net/http would recover a handler's panic, and this
		// is no longer the handler.
		if p := recover(); p != nil {
			s.log.Error("serving a device failed", "device", dc.device.ID, "panic", p)
			dc.conn.CloseNow()
		}
	}()
	s.hub.add(dc)
	defer s.hub.remove(dc)
	s.log.Info("device connected", "device", dc.device.ID, "user", dc.device.User)

	// The pending requests go first; welcome then tells the device it has
	// every request that was waiting.
	s.onWorker(func() {
		pending, err := s.store.PendingRequests(dc.device.User, s.cfg.Now())
		if err != nil {
			s.log.Error("listing pending requests", "err", err)
		}
		for _, p := range pending {
			dc.send(s.requestFrame(p.Request))
		}
		for _, n := range s.unseenNoticeFrames(dc.device.ID) {
			dc.send(n)
		}
		dc.send(push.Frame{Type: push.FrameWelcome})
	})
	err := s.readLoop(dc.ctx, dc)
	conn := dc.conn
	status := websocket.CloseStatus(err)
	switch {
	case status == websocket.StatusMessageTooBig:
		s.log.Warn("device sent an oversized frame", "device", dc.device.ID)
	case errors.Is(err, errPolicy):
		conn.Close(websocket.StatusPolicyViolation, err.Error())
	case errors.Is(err, errRemoved):
		dc.flush()
		conn.Close(websocket.StatusNormalClosure, "removed")
	default:
		conn.Close(websocket.StatusNormalClosure, "")
	}
	s.log.Info("device disconnected", "device", dc.device.ID, "reason", err)
}

var (
	errPolicy  = errors.New("policy violation")
	errRemoved = errors.New("the device was removed")
)

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
	var d store.Device
	s.onWorker(func() { d, err = s.checkHello(nonce, data) })
	if err != nil {
		return nil, err
	}
	return &deviceConn{device: d, conn: conn, nextPing: time.Now().Add(pingInterval)}, nil
}

// checkHello checks a device's signed hello to the challenge nonce and
// returns the device, as much of it as a connection keeps.
func (s *Server) checkHello(nonce string, data []byte) (store.Device, error) {
	f, err := push.DecodeFrame(data)
	if err != nil || f.Type != push.FrameHello {
		return store.Device{}, errors.New("expected a hello frame")
	}
	d, err := s.store.Device(f.DeviceID)
	if err == nil && d.Pending && d.Revoked.IsZero() {
		return store.Device{}, errorf("approval_pending", "this device waits for an approval from one of your other devices")
	}
	if err != nil || !d.Active() {
		return store.Device{}, errors.New("unknown or revoked device")
	}
	if err := push.Verify(d.PublicKey, push.ConnectSigningBytes(nonce, d.ID), f.Signature); err != nil {
		return store.Device{}, errors.New("the hello signature does not verify")
	}
	return store.Device{ID: d.ID, User: d.User, Name: d.Name, Kind: d.Kind, PublicKey: d.PublicKey, Created: d.Created}, nil
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
		var reply push.Frame
		var end error
		s.onWorker(func() { reply, end = s.takeFrame(dc, data) })
		dc.send(reply)
		if end != nil {
			return end
		}
	}
}

// takeFrame applies a frame a device sent and returns the frame that
// answers it, and errRemoved when the connection is to close after it
// (the device approved its own removal, or was revoked since it
// connected).
func (s *Server) takeFrame(dc *deviceConn, data []byte) (push.Frame, error) {
	f, err := push.DecodeFrame(data)
	if err != nil {
		return push.Frame{Type: push.FrameError, Error: &push.ErrorBody{Code: "bad_frame", Message: err.Error()}}, nil
	}
	if f.Type != push.FrameAnswer {
		return push.Frame{Type: push.FrameError, Error: &push.ErrorBody{Code: "bad_frame", Message: "devices send answer frames only"}}, nil
	}
	req, err := s.answer(dc.device, *f.Answer, f.Signature)
	if err != nil {
		body := s.asError(err).ErrorBody
		reply := push.Frame{Type: push.FrameError, RequestID: f.Answer.RequestID, Error: &body}
		if body.Code == "device_revoked" {
			if d, err := s.store.Device(dc.device.ID); err != nil || !d.Active() {
				return reply, errRemoved // told, then closed
			}
		}
		return reply, nil
	}
	reply := push.Frame{Type: push.FrameResult, RequestID: f.Answer.RequestID, Status: req.Status}
	if req.Kind == push.KindRemoveDevice && req.Status == push.StatusApproved {
		return reply, errRemoved // it approved its own removal: told, then closed
	}
	return reply, nil
}
