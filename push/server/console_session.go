package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/countersign/countersign/push/store"
)

// Console sessions: a random id in a cookie (only its SHA-256 is stored),
// 15 minutes idle and 8 hours at most; a CSRF token per session, in a
// hidden field of every form, checked on every POST in constant time.

const (
	sessionIdle    = 15 * time.Minute
	sessionMaxAge  = 8 * time.Hour
	maxConsoleForm = 64 << 10
)

// sessionCookie is the session's cookie name. The __Host- prefix makes
// browsers keep the cookie to this host, path / and HTTPS only, so no
// sibling domain or plain-HTTP page can set or overwrite it; browsers
// refuse a __Host- cookie without Secure, and Secure cookies cannot be set
// over plain HTTP, so over plain loopback HTTP (tests, a trial on one's
// own machine; serve refuses plain HTTP off loopback) the name has no
// prefix. pendingCookie is the same for the sign-in waiting for its push.
func (c *console) sessionCookie() string {
	if c.s.cfg.TLS {
		return "__Host-countersign-admin"
	}
	return "countersign-admin"
}

func (c *console) pendingCookie() string {
	if c.s.cfg.TLS {
		return "__Host-countersign-admin-pending"
	}
	return "countersign-admin-pending"
}

// setCookie sets (maxAge > 0) or clears (maxAge < 0) a console cookie:
// HttpOnly, SameSite=Strict, Path=/, and Secure over TLS.
func (c *console) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: c.s.cfg.TLS, SameSite: http.SameSiteStrictMode})
}

// hashCookie is what is kept of a cookie's value.
func hashCookie(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}

// adminSession is a signed-in administrator's session, as handlers see it.
type adminSession struct {
	Admin string
	CSRF  string
	// owner identifies the session to the console's waiting pushes.
	owner string
}

// session returns the live session of the request's cookie.
func (c *console) session(r *http.Request) (adminSession, bool) {
	ck, err := r.Cookie(c.sessionCookie())
	if err != nil || ck.Value == "" {
		return adminSession{}, false
	}
	now := c.s.cfg.Now()
	h := hashCookie(ck.Value)
	ses, err := c.s.store.TouchAdminSession(h, now, now.Add(-sessionIdle), now.Add(-sessionMaxAge))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			c.s.log.Error("reading a console session", "err", err)
		}
		return adminSession{}, false
	}
	if u, err := c.s.store.User(ses.Admin); err != nil || u.Blocked {
		c.s.store.EndAdminSession(h)
		return adminSession{}, false
	}
	return adminSession{Admin: ses.Admin, CSRF: ses.CSRF, owner: hex.EncodeToString(h)}, true
}

// startSession signs an administrator in: a new session and its cookie.
func (c *console) startSession(w http.ResponseWriter, admin string) error {
	id := randomToken(32)
	now := c.s.cfg.Now()
	err := c.s.store.AddAdminSession(store.AdminSession{IDHash: hashCookie(id), Admin: admin, CSRF: randomToken(32), Created: now, LastSeen: now},
		now.Add(-sessionIdle), now.Add(-sessionMaxAge))
	if err != nil {
		return err
	}
	c.setCookie(w, c.sessionCookie(), id, int(sessionMaxAge/time.Second))
	return nil
}

// sameSite applies the pages' Host and Origin checks (edge.go) to the console.
func (c *console) sameSite(w http.ResponseWriter, r *http.Request) bool {
	return c.s.sameSite(w, r, parseOrigin(c.s.cfg.PublicURL))
}

// open wraps a page that needs no session (signing in).
func (c *console) open(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !c.sameSite(w, r) {
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxConsoleForm)
			if err := r.ParseForm(); err != nil {
				http.Error(w, "the form could not be read; send it again", http.StatusBadRequest)
				return
			}
		}
		h(w, r)
	}
}

// page wraps a page that shows something to a signed-in administrator;
// without a session it leads to the sign-in.
func (c *console) page(h func(http.ResponseWriter, *http.Request, adminSession)) http.HandlerFunc {
	return c.open(func(w http.ResponseWriter, r *http.Request) {
		ses, ok := c.session(r)
		if !ok {
			http.Redirect(w, r, "/admin/sign-in", http.StatusSeeOther)
			return
		}
		h(w, r, ses)
	})
}

// change wraps a POST that changes something: it needs a session and the
// session's CSRF token in the form's csrf field.
func (c *console) change(h func(http.ResponseWriter, *http.Request, adminSession)) http.HandlerFunc {
	return c.open(func(w http.ResponseWriter, r *http.Request) {
		ses, ok := c.session(r)
		if !ok {
			c.render(w, http.StatusForbidden, "signin.html", view{Title: "Sign in", Error: "Your session has ended. Sign in again, then repeat what you were doing."})
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(ses.CSRF)) != 1 {
			c.s.logRefused("console POST without its CSRF token", "remote", remoteIP(r), "path", outside(r.URL.Path))
			c.render(w, http.StatusForbidden, "error.html", view{Title: "Refused", Admin: ses.Admin, CSRF: ses.CSRF,
				Error: "This form did not come from your console session (its security token is missing or wrong). Open the page again and repeat."})
			return
		}
		h(w, r, ses)
	})
}

// handleSignOut ends the session.
func (c *console) handleSignOut(w http.ResponseWriter, r *http.Request, ses adminSession) {
	if ck, err := r.Cookie(c.sessionCookie()); err == nil {
		c.s.store.EndAdminSession(hashCookie(ck.Value))
	}
	c.setCookie(w, c.sessionCookie(), "", -1)
	http.Redirect(w, r, "/admin/sign-in", http.StatusSeeOther)
}
