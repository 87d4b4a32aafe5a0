package server

import (
	"crypto/ed25519"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// requestFrame signs a request for the devices.
func (s *Server) requestFrame(r push.Request) push.Frame {
	return push.Frame{Type: push.FrameRequest, Request: &r, Signature: ed25519.Sign(s.keys.sign, r.SigningBytes())}
}

// deviceRevoked is the answer to a device that is not (or no longer)
// active.
func deviceRevoked() *Error {
	return errorf("device_revoked", "this device is not (or no longer) enrolled")
}

// Answer applies a device's signed answer and returns the request's
// status afterwards. It checks, before trusting anything in it: the device
// is known and active, the signature, the request belongs to the device's
// user, the nonce, the expiry, that it is still pending, and for an
// approval the number. A wrong number denies the request.
func (s *Server) Answer(deviceID string, a push.Answer, sig []byte) (push.Status, error) {
	d, err := s.store.Device(deviceID)
	if err != nil || !d.Active() {
		return "", deviceRevoked()
	}
	req, err := s.answer(d, a, sig)
	return req.Status, err
}

// answer is Answer from a device already read (a connected device's, read
// when it connected: its key and user do not change, and whether it is
// still active is checked again in the statement that stores the
// decision). It returns the request as it is afterwards.
func (s *Server) answer(d store.Device, a push.Answer, sig []byte) (store.AuthRequest, error) {
	deviceID := d.ID
	if a.DeviceID != deviceID {
		return store.AuthRequest{}, deviceRevoked()
	}
	if err := push.Verify(d.PublicKey, a.SigningBytes(), sig); err != nil {
		s.logRefused("answer with a bad signature", "device", deviceID, "request", a.RequestID)
		return store.AuthRequest{}, errorf("bad_signature", "the answer's signature does not verify")
	}
	if err := a.Validate(); err != nil {
		return store.AuthRequest{}, errorf("bad_request", "%v", err)
	}
	req, ok := s.hub.openRequest(a.RequestID)
	var err error
	if !ok {
		req, err = s.store.AuthRequest(a.RequestID)
	}
	if err != nil || req.User != d.User || (req.Method != "" && req.Method != push.MethodPush) {
		return store.AuthRequest{}, errorf("not_found", "no sign-in request %q for this device's user", a.RequestID)
	}
	if subtle.ConstantTimeCompare([]byte(a.Nonce), []byte(req.Nonce)) != 1 {
		return store.AuthRequest{}, errorf("bad_nonce", "the answer is not for this request")
	}
	if req.Kind == push.KindRemoveDevice && req.Subject != deviceID {
		return store.AuthRequest{}, errorf("forbidden", "only the device being removed can approve its removal")
	}
	status, reason := push.StatusDenied, string(a.Reason)
	switch a.Decision {
	case push.Approve:
		// An approve-only request (its relying party's setting, stored with
		// it) takes the device's marker in place of the number.
		if subtle.ConstantTimeCompare([]byte(a.Number), []byte(req.Number)) == 1 || (req.ApproveOnly && a.Number == push.ApproveOnlyNumber) {
			status, reason = push.StatusApproved, ""
		} else {
			reason = "wrong_number"
		}
	case push.Fraud:
		status, reason = push.StatusFraud, "not_me"
	}
	// The statement also checks that the device is still active, and
	// stores an approval of a user blocked since the request was made (by
	// an administrator, perhaps from another process) as a denial: it no
	// longer signs anyone in.
	now := s.cfg.Now()
	decision, err := s.store.DecideAnswer(req.ID, deviceID, status, reason, now)
	if err != nil {
		return store.AuthRequest{}, err
	}
	if !decision.Won {
		s.hub.closed(req.ID) // decided elsewhere, or expired
		if current, err := s.store.Device(deviceID); err != nil || !current.Active() {
			return store.AuthRequest{}, deviceRevoked()
		}
		if req, err = s.store.AuthRequest(req.ID); err != nil {
			return store.AuthRequest{}, err
		}
		if req.Status == push.StatusPending && !now.Before(req.ExpiresAt) {
			s.expire(req.ID)
			req, _ = s.store.AuthRequest(req.ID)
		}
		return req, nil
	}
	status = decision.Status
	req.Status, req.Reason, req.DecidedAt, req.DecidedBy = decision.Status, decision.Reason, time.Unix(now.Unix(), 0), deviceID
	s.unschedule(req.ID)
	s.log.Info("request decided", "id", req.ID, "user", req.User, "kind", req.Kind, "status", req.Status, "reason", req.Reason, "device", deviceID)
	if status == push.StatusFraud {
		s.reportFraud(req, deviceID)
	}
	s.finish(req, deviceID)
	return req, nil
}

// applyDecision carries out what an approval of the server's own requests
// was for: a pending device joins (or, denied, is turned away), or the last
// device is removed.
func (s *Server) applyDecision(req store.AuthRequest, deciderID string) {
	switch req.Kind {
	case push.KindAddDevice:
		d, err := s.store.Device(req.Subject)
		if err != nil {
			s.log.Error("the device of an add_device request", "request", req.ID, "err", err)
			return
		}
		if req.Status == push.StatusApproved {
			if ok, err := s.store.ApproveDevice(d.ID); err != nil || !ok {
				s.log.Error("approving a device", "device", d.ID, "approved", ok, "err", err)
				return
			}
			s.audit(store.AuditDeviceApproved, d.User, map[string]string{"device": d.ID, "name": d.Name, "by_device": deciderID, "request": req.ID})
			s.deviceJoined(d, deciderID)
			s.hub.notifyEnrollment(d.User)
			return
		}
		s.rejectDevice(d, req, deciderID)
	case push.KindRemoveDevice:
		if req.Status != push.StatusApproved {
			return
		}
		if err := s.revokeDevice(req.Subject, byOwnApproval); err != nil {
			s.log.Error("removing an approved device", "device", req.Subject, "err", err)
		}
	}
}

// rejectDevice turns away a pending device whose request was denied,
// reported as fraud, or expired.
func (s *Server) rejectDevice(d store.Device, req store.AuthRequest, deciderID string) {
	if !d.Pending || !d.Revoked.IsZero() {
		return
	}
	if err := s.store.RevokeDevice(d.ID, s.cfg.Now()); err != nil {
		s.log.Error("turning away a pending device", "device", d.ID, "err", err)
		return
	}
	s.audit(store.AuditDeviceRejected, d.User, map[string]string{"device": d.ID, "name": d.Name, "request": req.ID, "status": string(req.Status)})
	s.notify(d.User, d.ID, "device_rejected", fmt.Sprintf("The new device %q was not added to your account (%s).", d.Name, req.Status), deciderID)
	s.hub.notifyEnrollment(d.User)
}

// reportFraud records a fraud report and blocks the user (unless configured not to).
func (s *Server) reportFraud(req store.AuthRequest, deviceID string) {
	s.audit(store.AuditFraud, req.User, map[string]string{
		"request": req.ID, "rp": req.RP, "kind": string(req.Kind), "device": deviceID, "app": req.Context.App, "ip": req.Context.IP,
	})
	s.log.Warn("fraud reported", "user", req.User, "request", req.ID, "rp", req.RP, "ip", req.Context.IP)
	if s.cfg.KeepUnblockedOnFraud {
		return
	}
	if err := s.block(req.User, "fraud reported", map[string]string{"request": req.ID}); err != nil {
		s.log.Error("blocking after fraud", "user", req.User, "err", err)
	}
}
