package server

import (
	"errors"
	"time"

	"github.com/countersign/countersign/push/store"
)

// What the enrollment page reads of an enrollment, beyond its status: only
// what is true on the server, so that the page never says more.

// enrollmentPage is the answer of GET /v1/enrollments/{token}.
type enrollmentPage struct {
	EnrollmentStatus
	// Confirmed: a one-time code of the device that spent this enrollment
	// was accepted, on the page or anywhere; a phone method spends it only
	// with a code typed back, so it always is. For another authenticator
	// app (kind otp), whose code the page itself spends, only this shows
	// that the app holds its seed: the page says "done" only then.
	Confirmed bool `json:"confirmed"`
	// Renewable, on an expired enrollment: POST .../renew will give a new
	// code (see renewable).
	Renewable bool `json:"renewable,omitempty"`
	// PhoneOffered, on a pending enrollment: the user may choose text
	// messages or calls instead of an app (POST .../phone): the server has
	// a telephony gateway, and the user no method yet (enrollingUser).
	PhoneOffered bool `json:"phone_offered,omitempty"`
}

// enrollmentForPage reads an enrollment as the page sees it. An approval
// whose request ran out while no timer watched it (the server restarted
// meanwhile) is expired first, which turns the device away: the page then
// says so instead of waiting for a number that will never come.
func (s *Server) enrollmentForPage(token string) (store.Activation, enrollmentPage, error) {
	a, st, err := s.enrollment(token)
	if err != nil {
		return a, enrollmentPage{}, err
	}
	if st.Status == "approval_pending" && st.Number == "" {
		expired, err := s.expireLostApproval(a.DeviceID)
		if err != nil {
			return a, enrollmentPage{}, err
		}
		if expired {
			if a, st, err = s.enrollment(token); err != nil {
				return a, enrollmentPage{}, err
			}
		}
	}
	page := enrollmentPage{EnrollmentStatus: st}
	switch st.Status {
	case "activated":
		if st.Kind == "phone" { // a code sent to the phone was typed back
			page.Confirmed = true
			break
		}
		if page.Confirmed, err = s.store.DeviceCodeAccepted(a.DeviceID); err != nil {
			return a, page, err
		}
	case "expired":
		if page.Renewable, err = s.renewable(a); err != nil {
			return a, page, err
		}
	case "pending":
		if s.cfg.Telephony != nil {
			_, err := s.enrollingUser(token)
			page.PhoneOffered = err == nil
		}
	}
	return a, page, nil
}

// expireLostApproval expires the add_device request of a pending device
// once its time is up, and reports whether it did.
func (s *Server) expireLostApproval(deviceID string) (bool, error) {
	req, err := s.store.PendingRequestAbout(deviceID, time.Time{})
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if s.cfg.Now().Before(req.ExpiresAt) {
		return false, nil
	}
	s.expire(req.ID)
	return true, nil
}

// renewable reports whether an expired enrollment may get a new code: only
// for a user who has an active device (whose approval the new device will
// need), and only within renewWindow of the link's making.
func (s *Server) renewable(a store.Activation) (bool, error) {
	if s.cfg.Now().Sub(a.Created) > renewWindow {
		return false, nil
	}
	devices, err := s.store.Devices(a.User)
	if err != nil {
		return false, err
	}
	return hasActive(devices), nil
}
