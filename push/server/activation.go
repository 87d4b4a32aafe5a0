package server

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"

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
		return push.ActivateResponse{}, errorf("bad_request", "device_public_key must be a %d-byte Ed25519 key", ed25519.PublicKeySize)
	}
	name := strings.TrimSpace(body.DeviceName)
	if name == "" || len(name) > 128 {
		name = "device"
	}
	hash := sha256.Sum256([]byte(body.Code))
	d, err := s.store.SpendActivation(hash[:], store.Device{ID: randomID(), Name: name, PublicKey: body.DevicePublicKey}, s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return push.ActivateResponse{}, errorf("activation_not_found", "this activation code is not known; ask for a new one")
	case errors.Is(err, store.ErrActivationUsed):
		return push.ActivateResponse{}, errorf("activation_used", "this activation code was already used; ask for a new one")
	case errors.Is(err, store.ErrActivationExpired):
		return push.ActivateResponse{}, errorf("activation_expired", "this activation code has expired; ask for a new one")
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
