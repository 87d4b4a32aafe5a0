package server

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

func (s *Server) handleActivate(w http.ResponseWriter, r *http.Request) {
	var body push.ActivateRequest
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	resp, err := s.activate(body, store.KindApp, browserContext(r))
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// browserContext describes where an HTTP call comes from, for a request
// that asks the user to approve it.
func browserContext(r *http.Request) push.Context {
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	return push.Context{IP: ip, UserAgent: textsafe.Truncate(textsafe.Clean(r.UserAgent()), maxContextField)}
}

// Activate spends an activation code: the device's public key is bound to
// the code's user, and the device receives its id, its own TOTP seed and
// the server's key. A device joining a user who already has one is pending
// until one of those approves it (see activate).
func (s *Server) Activate(body push.ActivateRequest) (push.ActivateResponse, error) {
	return s.activate(body, store.KindApp, push.Context{})
}

// activated is a spent activation: the new device and its seed.
type activated struct {
	device store.Device
	seed   []byte
	// approval is the add_device request of a pending device.
	approval store.AuthRequest
}

// spend spends an activation code for a new device of kind, with a seed of
// its own. When the user already has an active device and no administrator
// made the code, the device is pending, and an add_device request (number
// matching) goes to the user's devices; from says where the new device is.
func (s *Server) spend(code string, d store.Device, from push.Context) (activated, error) {
	d.ID = randomID()
	seed, sealed, err := s.newDeviceSeed(d.ID)
	if err != nil {
		return activated{}, err
	}
	d.SealedSeed = sealed
	hash := sha256.Sum256([]byte(code))
	d, err = s.store.SpendActivation(hash[:], d, s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = errorf("activation_not_found", "this activation code is not known; ask for a new one")
	case errors.Is(err, store.ErrActivationUsed):
		err = errorf("activation_used", "this activation code was already used; ask for a new one")
	case errors.Is(err, store.ErrActivationExpired):
		err = errorf("activation_expired", "this activation code has expired; ask for a new one")
	case errors.Is(err, store.ErrUserBlocked):
		err = errorf("user_blocked", "this account is blocked; ask your administrator")
	}
	if err != nil {
		clear(seed)
		return activated{}, err
	}
	out := activated{device: d, seed: seed}
	if d.Pending {
		from.App = "New device: " + d.Name
		out.approval, err = s.newRequest(d.User, "", countersignApp, push.KindAddDevice, d.ID, from)
		if err != nil {
			clear(seed)
			return activated{}, err
		}
		s.audit(store.AuditDevicePending, d.User, map[string]string{"device": d.ID, "name": d.Name, "kind": d.Kind, "request": out.approval.ID})
		s.log.Info("device waits for approval", "user", d.User, "device", d.ID, "request", out.approval.ID)
		s.notify(d.User, d.ID, "device_pending", fmt.Sprintf("A new device, %q, asks to join your account. Approve it only if you are adding it now.", d.Name))
	} else {
		s.deviceJoined(d)
	}
	s.hub.notifyEnrollment(d.User)
	return out, nil
}

// deviceJoined records and announces a device that can now sign in (to
// the user's devices but the one that approved it, if any).
func (s *Server) deviceJoined(d store.Device, approver ...string) {
	s.audit(store.AuditDeviceActivated, d.User, map[string]string{"device": d.ID, "name": d.Name, "kind": d.Kind})
	s.log.Info("device activated", "user", d.User, "device", d.ID)
	s.notify(d.User, d.ID, "device_added", fmt.Sprintf("A new device, %q, was added to your account. If this was not you, report it to your administrator.", d.Name), approver...)
}

// deviceName cleans the name a device gives itself.
func deviceName(name string) string {
	name = strings.TrimSpace(textsafe.Truncate(textsafe.Clean(name), 128))
	if name == "" {
		return "device"
	}
	return name
}

func (s *Server) activate(body push.ActivateRequest, kind string, from push.Context) (push.ActivateResponse, error) {
	if len(body.DevicePublicKey) != ed25519.PublicKeySize {
		return push.ActivateResponse{}, errorf("bad_request", "device_public_key must be a %d-byte Ed25519 key", ed25519.PublicKeySize)
	}
	a, err := s.spend(body.Code, store.Device{Name: deviceName(body.DeviceName), Kind: kind, PublicKey: body.DevicePublicKey}, from)
	if err != nil {
		return push.ActivateResponse{}, err
	}
	defer clear(a.seed)
	ws := strings.Replace(strings.Replace(s.cfg.PublicURL, "https://", "wss://", 1), "http://", "ws://", 1)
	resp := push.ActivateResponse{
		DeviceID:        a.device.ID,
		ServerPublicKey: s.PublicKey(),
		Fingerprint:     push.Fingerprint(s.PublicKey()),
		TOTP:            push.TOTPParams{Secret: seedEncoding.EncodeToString(a.seed), Algorithm: "SHA1", Digits: 6, Period: 30},
		Issuer:          s.cfg.Issuer,
		Account:         a.device.User,
		WebsocketURL:    ws + "/v1/devices/connect",
		PollURL:         s.cfg.PublicURL + "/v1/devices/poll",
		Pending:         a.device.Pending,
	}
	if a.device.Pending {
		resp.ApprovalNumber, resp.ApprovalExpiresAt = a.approval.Number, a.approval.ExpiresAt
	}
	return resp, nil
}
