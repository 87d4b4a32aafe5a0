package server

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

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
	// decided keeps, for the requests that someone waits for, the request
	// as it was decided here, so that the waiters need not read it again.
	decided map[string]store.AuthRequest
	// open keeps the push requests made here while they wait for an
	// answer, as they were stored: the device's answer and the relying
	// party's long-poll find them without reading the database. It is a
	// cache, not the truth: the decision is still one conditional write,
	// and a request decided elsewhere is dropped when this process hears
	// of it (resolvedHere) or its time is up (expire).
	open    map[string]store.AuthRequest
	enrolls map[string]map[chan struct{}]struct{}
	pollers map[string]map[chan struct{}]struct{} // long-polling devices, by user
	// shut: the server is closing; a device that connects now is closed.
	shut bool
}

func newHub(s *Server) *hub {
	return &hub{s: s, byUser: map[string]map[*deviceConn]struct{}{}, waiters: map[string]map[chan struct{}]struct{}{}, decided: map[string]store.AuthRequest{}, open: map[string]store.AuthRequest{}, enrolls: map[string]map[chan struct{}]struct{}{}, pollers: map[string]map[chan struct{}]struct{}{}}
}

// add registers a connected device. A device has one live connection: an
// older one of the same device is closed (a copied key, or a connection
// that died without the server noticing, cannot pile up connections).
func (h *hub) add(c *deviceConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shut {
		c.cancel() // authenticated while the server closed
		return
	}
	if h.byUser[c.device.User] == nil {
		h.byUser[c.device.User] = map[*deviceConn]struct{}{}
	}
	for old := range h.byUser[c.device.User] {
		if old.device.ID == c.device.ID {
			old.cancel()
			delete(h.byUser[c.device.User], old)
		}
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

// sendToUser queues f for every connected device of user but those in
// skip, and returns their ids; long-polling devices are woken to fetch it.
// A device too slow to take it is disconnected (it resumes on reconnect).
func (h *hub) sendToUser(user string, f push.Frame, skip ...string) []string {
	if f.Type == push.FrameRequest || f.Type == push.FrameResolved || f.Type == push.FrameNotice {
		wake(&h.mu, h.pollers, user)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for c := range h.byUser[user] {
		if slices.Contains(skip, c.device.ID) {
			continue
		}
		c.send(f)
		ids = append(ids, c.device.ID)
	}
	return ids
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
	h.disconnectDeviceHere(id)
	h.s.publish(evRevoked, "", id)
}

// connectedDevices returns the ids of user's devices connected here.
func (h *hub) connectedDevices(user string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for c := range h.byUser[user] {
		ids = append(ids, c.device.ID)
	}
	return ids
}

// sendToDevice queues f for one connected device.
func (h *hub) sendToDevice(id string, f push.Frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, conns := range h.byUser {
		for c := range conns {
			if c.device.ID == id {
				c.send(f)
			}
		}
	}
}

// disconnectDeviceHere closes the device's connection to this process.
func (h *hub) disconnectDeviceHere(id string) {
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
	h.shut = true
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

func (h *hub) stopWaiting(id string, ch chan struct{}) {
	unregister(&h.mu, h.waiters, id, ch)
	h.mu.Lock()
	if len(h.waiters[id]) == 0 {
		delete(h.decided, id)
	}
	h.mu.Unlock()
}

// opened keeps a push request made here until it is resolved.
func (h *hub) opened(req store.AuthRequest) {
	h.mu.Lock()
	h.open[req.ID] = req
	h.mu.Unlock()
}

// openRequest returns a request made here that, as far as this process
// knows, still waits for an answer.
func (h *hub) openRequest(id string) (store.AuthRequest, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	req, ok := h.open[id]
	return req, ok
}

// closed forgets an open request.
func (h *hub) closed(id string) {
	h.mu.Lock()
	delete(h.open, id)
	h.mu.Unlock()
}

// decision returns the request id as it was decided (or expired) in this
// process, while someone waits for it; false when it was not (it may have
// been decided elsewhere: read it).
func (h *hub) decision(id string) (store.AuthRequest, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	req, ok := h.decided[id]
	return req, ok
}

// waitForEnrollment returns a channel closed when a device of user activates.
func (h *hub) waitForEnrollment(user string) chan struct{} {
	return register(&h.mu, h.enrolls, user)
}

func (h *hub) stopWaitingEnrollment(user string, ch chan struct{}) {
	unregister(&h.mu, h.enrolls, user, ch)
}

func (h *hub) notifyEnrollment(user string) {
	h.wakeEnrollment(user)
	h.s.publish(evEnrollment, user, "")
}

// wakeEnrollment wakes this process's enrollment pages of user.
func (h *hub) wakeEnrollment(user string) { wake(&h.mu, h.enrolls, user) }

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
	h.resolvedHere(req, skipDevice)
	h.s.notifyWebhook(req)
	h.s.publish(evResolved, req.User, req.ID)
}

// resolvedHere is resolved for the waiters and devices of this process.
func (h *hub) resolvedHere(req store.AuthRequest, skipDevice string) {
	h.mu.Lock()
	delete(h.open, req.ID)
	if len(h.waiters[req.ID]) > 0 {
		h.decided[req.ID] = req
	}
	h.mu.Unlock()
	wake(&h.mu, h.waiters, req.ID)
	h.sendToUser(req.User, push.Frame{Type: push.FrameResolved, RequestID: req.ID, Status: req.Status}, skipDevice)
}
