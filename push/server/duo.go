package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/countersign/countersign/push/duoauth"
	"github.com/countersign/countersign/push/store"
)

// Duo's Auth API v2 (https://duo.com/docs/authapi) under /auth/v2/: a
// second door beside the native API, so that Duo's client libraries and
// the integrations built on them (PAM modules, single sign-on, proxies)
// work against Countersign unchanged. Requests are signed with the
// relying party's integration and secret keys (push/duoauth); answers use
// Duo's envelopes. duo_auth.go has preauth, auth and auth_status,
// duo_enroll.go enroll and enroll_status.

// duoAPI holds what the Duo endpoints share.
type duoAPI struct {
	s        *Server
	verifier *duoauth.Verifier
	// polled are the transactions whose status was asked once already:
	// the first auth_status answers at once (with the number to type), the
	// next ones long-poll.
	mu     sync.Mutex
	polled map[string]time.Time // txid → when to forget it
	// done are the async transactions decided at once.
	done map[string]doneTx
}

// routeDuo adds the endpoints of Duo's Auth API.
func (s *Server) routeDuo(mux *http.ServeMux) {
	d := &duoAPI{s: s, verifier: &duoauth.Verifier{Secret: s.duoSecret, Now: s.cfg.Now}, polled: map[string]time.Time{}, done: map[string]doneTx{}}
	mux.HandleFunc("GET /auth/v2/ping", d.handlePing)
	for path, h := range map[string]func(http.ResponseWriter, *http.Request, store.RelyingParty, url.Values){
		"check":         d.handleCheck,
		"preauth":       d.handlePreauth,
		"auth":          d.handleAuth,
		"auth_status":   d.handleAuthStatus,
		"enroll":        d.handleEnroll,
		"enroll_status": d.handleEnrollStatus,
	} {
		// Duo documents GET for some and POST for others; its clients
		// differ (duo_api_golang POSTs enroll_status): both are taken,
		// the method being signed.
		mux.HandleFunc("GET /auth/v2/"+path, d.signed(h))
		mux.HandleFunc("POST /auth/v2/"+path, d.signed(h))
	}
	mux.HandleFunc("/auth/v2/", func(w http.ResponseWriter, r *http.Request) {
		duoauth.WriteFail(w, duoauth.ErrNotFound.WithDetail("no endpoint %s %s", r.Method, r.URL.Path))
	})
}

// signed verifies a request's signature and date, and passes on the
// relying party whose integration key signed it, with the parameters.
func (d *duoAPI) signed(h func(http.ResponseWriter, *http.Request, store.RelyingParty, url.Values)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := d.verifier.Verify(r)
		var refused *duoauth.Error
		if errors.As(err, &refused) {
			d.s.logRefused("Duo API request refused", "remote", r.RemoteAddr, "path", r.URL.Path, "code", refused.Code)
			duoauth.WriteFail(w, refused)
			return
		}
		if err != nil {
			d.fail(w, err)
			return
		}
		rp, err := d.s.store.RelyingPartyByIKey(req.IKey)
		if err != nil {
			d.fail(w, err)
			return
		}
		h(w, r, rp, req.Params)
	}
}

// fail answers an error: a refusal in Duo's terms as it is, anything else
// as Duo's internal error, after logging it.
func (d *duoAPI) fail(w http.ResponseWriter, err error) {
	var refused *duoauth.Error
	if errors.As(err, &refused) {
		duoauth.WriteFail(w, refused)
		return
	}
	d.s.log.Error("Duo API", "err", err)
	duoauth.WriteFail(w, duoauth.ErrInternal)
}

// serverTime is the response of ping and check.
type serverTime struct {
	Time int64 `json:"time"`
}

func (d *duoAPI) handlePing(w http.ResponseWriter, r *http.Request) {
	duoauth.WriteOK(w, serverTime{d.s.cfg.Now().Unix()})
}

func (d *duoAPI) handleCheck(w http.ResponseWriter, r *http.Request, rp store.RelyingParty, p url.Values) {
	duoauth.WriteOK(w, serverTime{d.s.cfg.Now().Unix()})
}

// userParam is the user a request is about: username, or user_id (Duo's
// opaque id, which here is the user name too).
func userParam(p url.Values) (string, *duoauth.Error) {
	u := strings.TrimSpace(p.Get("username"))
	if u == "" {
		u = strings.TrimSpace(p.Get("user_id"))
	}
	if u == "" {
		return "", duoauth.ErrMissingParams.WithDetail("username")
	}
	return u, nil
}

// stretch lets an answer be written up to wait from now (a long-poll),
// beyond the http.Server's write timeout.
func stretch(w http.ResponseWriter, wait time.Duration) {
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(wait + longPollSlack))
}
