package server

import (
	"errors"
	"io/fs"
	"net"
	"net/http"
	"time"

	"github.com/countersign/countersign/assets"
	"github.com/countersign/countersign/internal/qr"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// demoRP is the relying-party name of the demo page's own requests.
const demoRP = "demo"

// routePages adds the enrollment page and, if enabled, the demo page.
func (s *Server) routePages(mux *http.ServeMux) {
	web, _ := fs.Sub(assets.Web, "web")
	page := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			data, err := fs.ReadFile(web, name)
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(data)
		}
	}
	mux.HandleFunc("GET /enroll/{token}", page("enroll.html"))
	mux.HandleFunc("GET /enroll/{token}/qr.png", s.handleEnrollQR)
	mux.HandleFunc("GET /enroll/{token}/otpauth.png", s.handleEnrollOTPAuthQR)
	mux.HandleFunc("GET /v1/enrollments/{token}", s.handleEnrollmentStatus)
	mux.HandleFunc("POST /v1/enrollments/{token}/confirm", s.handleEnrollmentConfirm)
	mux.HandleFunc("POST /v1/enrollments/{token}/renew", s.handleEnrollmentRenew)
	s.routeSelfService(mux, page)
	mux.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openAPI)
	})
	if s.cfg.Demo {
		mux.HandleFunc("GET /{$}", page("demo.html"))
		mux.HandleFunc("POST /demo/sign-in", s.handleDemoSignIn)
		mux.HandleFunc("GET /demo/requests/{id}", s.handleDemoRequest)
	}
}

// EnrollmentStatus is what the enrollment page polls.
type EnrollmentStatus struct {
	User      string    `json:"user"`
	Status    string    `json:"status"` // pending, activated, expired
	ExpiresAt time.Time `json:"expires_at"`
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
	case !a.Used.IsZero():
		st.Status = "activated"
	case !s.cfg.Now().Before(a.Expires):
		st.Status = "expired"
	}
	return a, st, nil
}

func (s *Server) handleEnrollmentStatus(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	a, st, err := s.enrollment(token)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if st.Status == "pending" {
		if d, err := time.ParseDuration(r.URL.Query().Get("wait")); err == nil && d > 0 {
			ch := s.hub.waitForEnrollment(a.User)
			timer := time.NewTimer(min(d, maxWait, time.Until(a.Expires)+time.Second))
			select {
			case <-ch:
			case <-timer.C:
			case <-r.Context().Done():
			}
			timer.Stop()
			s.hub.stopWaitingEnrollment(a.User, ch)
			_, st, _ = s.enrollment(token)
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
	uri, err := s.keys.openSeed("activation:"+token, a.SealedURI)
	if err != nil {
		s.writeError(w, err)
		return
	}
	qrPNG(w, string(uri))
}

// handleEnrollOTPAuthQR shows the user's seed as a plain otpauth:// QR code
// for other authenticator apps, while the enrollment is still open.
func (s *Server) handleEnrollOTPAuthQR(w http.ResponseWriter, r *http.Request) {
	a, st, err := s.enrollment(r.PathValue("token"))
	if err != nil || st.Status != "pending" {
		http.Error(w, "this enrollment link is no longer open", http.StatusGone)
		return
	}
	uri, err := s.OTPAuthURI(a.User)
	if err != nil {
		s.writeError(w, err)
		return
	}
	qrPNG(w, uri)
}

func (s *Server) handleEnrollmentConfirm(w http.ResponseWriter, r *http.Request) {
	_, st, err := s.enrollment(r.PathValue("token"))
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
	if st.Status == "expired" {
		s.writeError(w, errorf("activation_expired", "this enrollment has expired; ask for a new one"))
		return
	}
	valid, err := s.VerifyOTP(st.User, body.Code)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, push.OTPVerifyResult{Valid: valid})
}

// renewWindow is how long after its creation an expired enrollment link
// still offers a new code: an old link found later in a mailbox or a
// browser history cannot enroll a stranger's device.
const renewWindow = 24 * time.Hour

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
	if s.cfg.Now().Sub(a.Created) > renewWindow {
		s.writeError(w, errorf("enrollment_closed", "this enrollment link is more than a day old; ask your administrator (or the application you sign in to) for a new one"))
		return
	}
	e, err := s.Enroll(st.User)
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"enroll_url": e.EnrollURL})
}

func (s *Server) handleDemoSignIn(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User string `json:"user"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	state, err := s.CreateRequest(demoRP, push.AuthRequestBody{User: body.User, Context: push.Context{
		App: "Countersign demo", IP: ip, Location: "this computer", UserAgent: r.UserAgent(),
	}})
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, state)
}

func (s *Server) handleDemoRequest(w http.ResponseWriter, r *http.Request) {
	wait, _ := time.ParseDuration(r.URL.Query().Get("wait"))
	req, err := s.waitForDecision(r.Context(), demoRP, r.PathValue("id"), min(max(wait, 0), maxWait))
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, stateOf(req))
}
