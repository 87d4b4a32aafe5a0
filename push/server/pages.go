package server

import (
	"io/fs"
	"net"
	"net/http"
	"time"

	"github.com/countersign/countersign/assets"
	"github.com/countersign/countersign/push"
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
	mux.HandleFunc("POST /v1/enrollments/{token}/otpauth", s.handleEnrollOTPAuth)
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

func (s *Server) handleDemoSignIn(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User string `json:"user"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	state, err := s.createRequest(demoRP, "Countersign demo", push.AuthRequestBody{User: body.User, Context: push.Context{
		IP: ip, Location: "this computer", UserAgent: r.UserAgent(),
	}}, false)
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
