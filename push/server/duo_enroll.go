package server

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/duoauth"
	"github.com/countersign/countersign/push/store"
)

// enrollResult is enroll's answer: Duo's names, our activation.
type enrollResult struct {
	// ActivationBarcode is the URL of the activation QR code image.
	ActivationBarcode string `json:"activation_barcode"`
	// ActivationCode is the countersign://activate URI the QR code holds.
	ActivationCode string `json:"activation_code"`
	Expiration     int64  `json:"expiration"`
	UserID         string `json:"user_id"`
	Username       string `json:"username"`
}

// handleEnroll makes an activation for a user, adding the user if there is
// none of that name (as Duo's enroll adds one). A device activated for a
// user who has devices already waits for an approval from one of them.
func (d *duoAPI) handleEnroll(w http.ResponseWriter, r *http.Request, rp store.RelyingParty, p url.Values) {
	user := p.Get("username")
	if user == "" {
		// Duo makes up a name; users here are named by the administrator
		// or the integration.
		duoauth.WriteFail(w, duoauth.ErrMissingParams.WithDetail("username"))
		return
	}
	if _, err := d.s.store.User(user); errors.Is(err, store.ErrNotFound) {
		if err := d.s.AddUser(user, true); err != nil {
			duoauth.WriteFail(w, duoauth.ErrInvalidParams.WithDetail("username: %v", err))
			return
		}
		d.s.log.Info("user added by an integration", "user", user, "rp", rp.Name)
	} else if err != nil {
		d.fail(w, err)
		return
	}
	e, err := d.s.enroll(user, "")
	var refused *Error
	if errors.As(err, &refused) && refused.Code == "user_blocked" {
		duoauth.WriteFail(w, duoauth.ErrInvalidParams.WithDetail("username: the user is locked out"))
		return
	}
	if err != nil {
		d.fail(w, err)
		return
	}
	duoauth.WriteOK(w, enrollResult{ActivationBarcode: e.EnrollURL + "/qr.png", ActivationCode: e.ActivationURI,
		Expiration: e.ExpiresAt.Unix(), UserID: user, Username: user})
}

// handleEnrollStatus says whether an activation was used: success (its
// device is active), waiting (not used yet, or its device waits for an
// approval) or invalid (unknown, another user's, expired, or its device
// turned away).
func (d *duoAPI) handleEnrollStatus(w http.ResponseWriter, r *http.Request, rp store.RelyingParty, p url.Values) {
	user, code := p.Get("user_id"), p.Get("activation_code")
	for name, v := range map[string]string{"user_id": user, "activation_code": code} {
		if v == "" {
			duoauth.WriteFail(w, duoauth.ErrMissingParams.WithDetail("%s", name))
			return
		}
	}
	status, err := d.enrollStatus(user, code)
	if err != nil {
		d.fail(w, err)
		return
	}
	duoauth.WriteOK(w, status)
}

func (d *duoAPI) enrollStatus(user, code string) (string, error) {
	act, err := push.ParseActivationURI(code)
	if err != nil {
		return "invalid", nil
	}
	hash := sha256.Sum256([]byte(act.Code))
	a, err := d.s.store.ActivationByCodeHash(hash[:])
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.User != user) {
		return "invalid", nil
	}
	if err != nil {
		return "", err
	}
	if a.Used.IsZero() {
		if !d.s.cfg.Now().Before(a.Expires) {
			return "invalid", nil
		}
		return "waiting", nil
	}
	dev, err := d.s.store.Device(a.DeviceID)
	if err != nil {
		return "", err
	}
	switch {
	case !dev.Revoked.IsZero():
		return "invalid", nil
	case dev.Pending:
		return "waiting", nil
	}
	return "success", nil
}
