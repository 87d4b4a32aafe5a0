package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/countersign/countersign/internal/qr"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// The enrollment page: /enroll/{token} shows an activation QR code for the
// Countersign app (or, on request, a plain otpauth:// code for another
// authenticator app), follows the activation live, shows the number to
// approve on an existing device when the user has one, and asks for a code
// to confirm.

// EnrollmentStatus is what the enrollment page polls.
type EnrollmentStatus struct {
	User string `json:"user"`
	// Status is pending (waiting for a device), approval_pending (a device
	// used the code and waits for an approval from an existing one; Number
	// is to be typed there), activated, rejected (the approval was denied
	// or expired, or the device was removed since) or expired.
	Status    string    `json:"status"`
	ExpiresAt time.Time `json:"expires_at"`
	Number    string    `json:"number,omitempty"`
	// Kind is the kind of the device that used the code (app or otp), or
	// phone when the user chose text messages or calls instead.
	Kind string `json:"kind,omitempty"`
	// RecoveryCodes, in the answer that ends an enrollment by phone, are
	// the user's new recovery codes, shown once.
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

func (s *Server) enrollment(token string) (store.Activation, EnrollmentStatus, error) {
	a, err := s.store.ActivationByToken(token)
	if errors.Is(err, store.ErrNotFound) {
		return a, EnrollmentStatus{}, errorf("not_found", "this enrollment link is not known; ask your administrator for a new one")
	}
	if err != nil {
		return a, EnrollmentStatus{}, err
	}
	st := EnrollmentStatus{User: a.User, Status: "pending", ExpiresAt: a.Expires}
	switch {
	case strings.HasPrefix(a.DeviceID, store.PhoneDeviceMarker):
		// Spent by a phone method (enroll_phone.go): no device to check.
		st.Kind, st.Status = "phone", "activated"
	case !a.Used.IsZero():
		d, err := s.store.Device(a.DeviceID)
		if err != nil {
			return a, st, err
		}
		st.Kind = d.Kind
		switch {
		case !d.Revoked.IsZero():
			st.Status = "rejected"
		case d.Pending:
			st.Status = "approval_pending"
			req, err := s.store.PendingRequestAbout(d.ID, s.cfg.Now())
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return a, st, err
			}
			if err == nil {
				st.Number, st.ExpiresAt = req.Number, req.ExpiresAt
			}
		default:
			st.Status = "activated"
		}
	case !s.cfg.Now().Before(a.Expires):
		st.Status = "expired"
	}
	return a, st, nil
}

// handleEnrollmentStatus answers the enrollment page: the enrollment as
// enrollmentForPage reads it. With ?wait=D (at most maxWait) it holds the
// answer while no device has used the code, or one waits for its approval,
// until that changes, the code or the approval runs out, or D passes.
func (s *Server) handleEnrollmentStatus(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	a, st, err := s.enrollmentForPage(token)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if st.Status == "pending" || st.Status == "approval_pending" {
		if d, err := time.ParseDuration(r.URL.Query().Get("wait")); err == nil && d > 0 {
			ch := s.hub.waitForEnrollment(a.User)
			timer := time.NewTimer(max(0, min(d, maxWait, st.ExpiresAt.Sub(s.cfg.Now())+time.Second)))
			select {
			case <-ch:
			case <-timer.C:
			case <-r.Context().Done():
			}
			timer.Stop()
			s.hub.stopWaitingEnrollment(a.User, ch)
			if _, st, err = s.enrollmentForPage(token); err != nil {
				s.writeError(w, err)
				return
			}
		}
	}
	writeJSON(w, http.StatusOK, st)
}

// qrPNG answers with text drawn as a QR code image.
func qrPNG(w http.ResponseWriter, text string) {
	data, err := qr.PNG(text, 320)
	if err != nil {
		http.Error(w, "cannot draw the QR code", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(data)
}

func (s *Server) handleEnrollQR(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	a, st, err := s.enrollment(token)
	if err != nil || st.Status != "pending" {
		http.Error(w, "this activation code is no longer valid", http.StatusGone)
		return
	}
	uri, err := s.keys.openSeed(activationAD(token), a.SealedURI)
	if err != nil {
		s.writeError(w, err)
		return
	}
	qrPNG(w, string(uri))
}

// handleEnrollOTPAuth spends the enrollment's code for another
// authenticator app: a device of kind otp, with a seed of its own, which
// the page then shows as an otpauth:// QR code (handleEnrollOTPAuthQR).
func (s *Server) handleEnrollOTPAuth(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	a, st, err := s.enrollment(token)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if st.Status != "pending" {
		s.writeError(w, errorf("activation_used", "this enrollment link was already used (%s); ask for a new one", st.Status))
		return
	}
	code, err := s.keys.openSeed(activationAD(token), a.SealedURI)
	if err != nil {
		s.writeError(w, err)
		return
	}
	act, err := push.ParseActivationURI(string(code))
	if err != nil {
		s.writeError(w, err)
		return
	}
	spent, err := s.spend(act.Code, store.Device{Name: "authenticator app", Kind: store.KindOTP, PublicKey: []byte{}}, browserContext(r))
	if err != nil {
		s.writeError(w, err)
		return
	}
	defer clear(spent.seed)
	sealed, err := s.keys.sealSeed(activationAD(token), []byte(s.otpauthURI(a.User, spent.seed)))
	if err == nil {
		err = s.store.SetActivationURI(token, sealed)
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	_, page, err := s.enrollmentForPage(token)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// handleEnrollOTPAuthQR shows the otpauth:// QR code of the authenticator
// app that spent this enrollment, for as long as an activation code lives
// and until a code of that app is accepted (it holds the seed then).
func (s *Server) handleEnrollOTPAuthQR(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	a, st, err := s.enrollmentForPage(token)
	if err != nil || st.Kind != store.KindOTP || st.Status == "rejected" || st.Confirmed || s.cfg.Now().Sub(a.Used) > s.cfg.ActivationTTL {
		http.Error(w, "this code is no longer shown; ask for a new enrollment link", http.StatusGone)
		return
	}
	uri, err := s.keys.openSeed(activationAD(token), a.SealedURI)
	if err != nil {
		s.writeError(w, err)
		return
	}
	defer clear(uri)
	qrPNG(w, string(uri))
}

// handleEnrollmentConfirm checks a code of the device that used this
// enrollment: {"valid": true} once it is active and its code is right.
func (s *Server) handleEnrollmentConfirm(w http.ResponseWriter, r *http.Request) {
	a, st, err := s.enrollment(r.PathValue("token"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	var body struct {
		Code string `json:"code"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	switch st.Status {
	case "expired":
		s.writeError(w, errorf("activation_expired", "this enrollment has expired; ask for a new one"))
		return
	case "pending", "approval_pending":
		s.writeError(w, errorf("not_activated", "no device is activated with this link yet"))
		return
	case "rejected":
		s.writeError(w, errorf("device_revoked", "the device of this link was turned away or removed"))
		return
	}
	_, err = s.verifyUnauthenticated(clientIP(r), a.User, a.DeviceID, body.Code)
	if errors.Is(err, errWrongCode) {
		writeJSON(w, http.StatusOK, push.OTPVerifyResult{Valid: false})
		return
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	s.hub.notifyEnrollment(a.User) // other open pages of this enrollment: confirmed now
	codes, err := s.firstRecoveryCodes(a.User)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, EnrollmentConfirmed{Valid: true, RecoveryCodes: codes})
}

// EnrollmentConfirmed answers a right code typed on the enrollment page,
// with the user's recovery codes the first time there are any to give.
type EnrollmentConfirmed struct {
	Valid bool `json:"valid"`
	// RecoveryCodes are shown once: given when the user had none left.
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

// firstRecoveryCodes makes a user's recovery codes at the end of an
// enrollment when they have none left (a first enrollment, or all used),
// and returns them to be shown this once; nil when they have some.
func (s *Server) firstRecoveryCodes(user string) ([]string, error) {
	left, err := s.store.RecoveryCodesLeft(user)
	if err != nil || left > 0 {
		return nil, err
	}
	return s.NewRecoveryCodes(user, "enrollment")
}

// renewWindow is how long after its creation an expired enrollment link
// still offers a new code: an old link found later in a mailbox or a
// browser history cannot enroll a stranger's device.
const renewWindow = 24 * time.Hour

// handleEnrollmentRenew offers a new code for an expired link, only to a
// user who has a device already: the device that uses the new code waits
// for an approval from it. A user without one asks the application or an
// administrator again, who know who they are.
func (s *Server) handleEnrollmentRenew(w http.ResponseWriter, r *http.Request) {
	a, st, err := s.enrollment(r.PathValue("token"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	if st.Status != "expired" {
		s.writeError(w, errorf("not_expired", "this enrollment is %s; a new code is offered once it expires", st.Status))
		return
	}
	ok, err := s.renewable(a)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if !ok {
		s.writeError(w, errorf("enrollment_closed", "this enrollment link can no longer be renewed; sign in to the application again, or ask your administrator, for a new one"))
		return
	}
	e, err := s.enroll(a.User, "")
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"enroll_url": e.EnrollURL})
}
