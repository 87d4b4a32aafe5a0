package server

import (
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// Signing in to the console: a password, then a push to the
// administrator's own device with number matching. The page shows the
// number and waits (console.js long-polls /admin/requests/{id}, then
// submits the form that finishes the sign-in; without script, its button
// does). The same push, with what it allows in its text, confirms the
// dangerous actions (reauth).

// signInFailed is the one message of a wrong name or password: it does
// not tell which.
const signInFailed = "The name or password is not right."

// consolePollWait bounds one long-poll of a console push (within the
// server's write timeout).
const consolePollWait = 20 * time.Second

func (c *console) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.session(r); ok {
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
		return
	}
	c.render(w, http.StatusOK, "signin.html", view{Title: "Sign in"})
}

// signInView is the sign-in form again, with an error.
func (c *console) signInError(w http.ResponseWriter, status int, name, msg string) {
	c.render(w, status, "signin.html", view{Title: "Sign in", Error: msg, Data: name})
}

func (c *console) handleSignIn(w http.ResponseWriter, r *http.Request) {
	name, password := r.PostForm.Get("name"), r.PostForm.Get("password")
	ip, now := remoteIP(r), c.s.cfg.Now()
	if c.byIP.check(ip, now) != nil || c.byName.check(name, now) != nil {
		c.s.logRefused("console sign-in refused: too many attempts", "remote", ip)
		c.signInError(w, http.StatusTooManyRequests, name, "Too many failed sign-ins. Wait 15 minutes, then try again.")
		return
	}
	hash := dummyHash()
	admin, err := c.s.store.Admin(name)
	if err == nil {
		hash = admin.PasswordHash
	} else if !errors.Is(err, store.ErrNotFound) {
		c.failedOpen(w, err)
		return
	}
	ok, verr := verifyPassword(hash, password)
	if verr != nil {
		c.s.log.Error("checking an administrator's password", "admin", name, "err", verr)
	}
	if err != nil || !ok {
		c.byIP.fail(ip, now)
		c.byName.fail(name, now)
		c.s.logRefused("console sign-in refused: wrong name or password", "remote", ip)
		if err == nil {
			c.s.auditBy(name, AuditAdminSignInError, name, map[string]string{"ip": ip, "why": "wrong password"})
		}
		c.signInError(w, http.StatusUnauthorized, name, signInFailed)
		return
	}
	u, err := c.s.store.User(name)
	if err != nil {
		c.failedOpen(w, err)
		return
	}
	if u.Blocked {
		c.signInError(w, http.StatusForbidden, name, "Your account is blocked. Another administrator can unblock it (countersignd user unblock "+name+").")
		return
	}
	devices, err := c.s.store.Devices(name)
	if err != nil {
		c.failedOpen(w, err)
		return
	}
	if !canApprove(devices) {
		c.signInError(w, http.StatusConflict, name, "You have no Countersign app to approve the sign-in with. Enroll one first: countersignd enroll "+name)
		return
	}
	// The push-fatigue limits (one waiting at a time, a few a minute, a
	// growing wait after unanswered ones) hold here too: someone who knows
	// the password cannot flood the administrator's device.
	if err := c.s.checkFatigue(name, consoleRP, now); err != nil {
		var e *Error
		if errors.As(err, &e) {
			c.signInError(w, httpStatus(e.Code), name, "Not now: "+e.Message+". Answer the sign-in waiting on your device, or wait.")
			return
		}
		c.failedOpen(w, err)
		return
	}
	token := randomToken(32)
	req, err := c.push(name, hex.EncodeToString(hashCookie(token)), "", "Sign in to the console", r)
	if err != nil {
		c.failedOpen(w, err)
		return
	}
	c.setCookie(w, c.pendingCookie(), token, int(c.s.cfg.RequestTTL/time.Second)+60)
	c.render(w, http.StatusOK, "approve.html", view{Title: "Approve on your device", Data: approveView{
		Number: req.Number, RequestID: req.ID, Action: "/admin/sign-in/finish", ExpiresAt: req.ExpiresAt,
		What: "Open Countersign on your device, and approve the sign-in with this number.",
	}})
}

// canApprove reports whether one of devices is a Countersign app that may approve.
func canApprove(devices []store.Device) bool {
	for _, d := range devices {
		if d.Active() && d.Kind == store.KindApp {
			return true
		}
	}
	return false
}

// approveView is the page that waits for a push: the number, the request
// to watch, and the form (Action, Fields) to submit once it is decided.
type approveView struct {
	Number    string
	RequestID string
	Action    string
	What      string
	ExpiresAt time.Time
	Fields    []formField
}

// formField is a hidden field of a form to submit again.
type formField struct{ Name, Value string }

// push sends one of the console's requests to an administrator's devices,
// watched by owner; action is what a re-authentication allows.
func (c *console) push(admin, owner, action, what string, r *http.Request) (store.AuthRequest, error) {
	ctx := browserContext(r)
	ctx.App = what
	req, err := c.s.newRequest(admin, consoleRP, consoleApp, push.KindSignIn, "", ctx)
	if err != nil {
		return req, err
	}
	now := c.s.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, p := range c.waiting {
		if now.After(p.expires.Add(time.Minute)) {
			delete(c.waiting, id)
		}
	}
	c.waiting[req.ID] = waitingPush{owner: owner, admin: admin, action: action, expires: req.ExpiresAt}
	return req, nil
}

// watched returns the console push id if owner may watch it.
func (c *console) watched(id, owner string) (waitingPush, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.waiting[id]
	return p, ok && owner != "" && p.owner == owner
}

// spend forgets a push once its approval was used.
func (c *console) spend(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.waiting, id)
}

// owner is who the request's cookies make it: its session, or else the
// sign-in that waits for its push.
func (c *console) owner(r *http.Request) string {
	if ses, ok := c.session(r); ok {
		return ses.owner
	}
	if ck, err := r.Cookie(c.pendingCookie()); err == nil && ck.Value != "" {
		return hex.EncodeToString(hashCookie(ck.Value))
	}
	return ""
}

// handleWaitPush long-polls one of the console's pushes: {"status": ...}.
func (c *console) handleWaitPush(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := c.watched(id, c.owner(r)); !ok {
		writeJSON(w, http.StatusOK, map[string]string{"status": "unknown"})
		return
	}
	wait, _ := time.ParseDuration(r.URL.Query().Get("wait"))
	req, err := c.s.waitForDecision(r.Context(), consoleRP, id, min(max(wait, 0), consolePollWait))
	if err != nil {
		c.s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": string(req.Status)})
}

// decided returns the console push id of owner, and whether it is approved.
func (c *console) decided(id, owner string) (store.AuthRequest, waitingPush, bool) {
	p, ok := c.watched(id, owner)
	if !ok {
		return store.AuthRequest{}, p, false
	}
	req, err := c.s.store.AuthRequest(id)
	if err != nil || req.RP != consoleRP || req.User != p.admin {
		return req, p, false
	}
	if req.Status == push.StatusPending && !c.s.cfg.Now().Before(req.ExpiresAt) {
		c.s.expire(id)
		req, _ = c.s.store.AuthRequest(id)
	}
	return req, p, true
}

func (c *console) handleSignInFinish(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("request")
	req, p, ok := c.decided(id, c.owner(r))
	if !ok || p.action != "" {
		c.signInError(w, http.StatusForbidden, "", "This sign-in is not known here (it ended, or began in another browser). Sign in again.")
		return
	}
	switch req.Status {
	case push.StatusPending:
		c.render(w, http.StatusOK, "approve.html", view{Title: "Approve on your device", Data: approveView{
			Number: req.Number, RequestID: req.ID, Action: "/admin/sign-in/finish", ExpiresAt: req.ExpiresAt,
			What: "Open Countersign on your device, and approve the sign-in with this number.",
		}})
		return
	case push.StatusApproved:
	default:
		c.spend(id)
		c.setCookie(w, c.pendingCookie(), "", -1)
		c.s.auditBy(p.admin, AuditAdminSignInError, p.admin, map[string]string{"ip": remoteIP(r), "why": "push " + string(req.Status)})
		c.signInError(w, http.StatusUnauthorized, "", "The sign-in was not approved on your device ("+statusWords(req.Status)+"). Sign in again to try once more.")
		return
	}
	c.spend(id)
	if err := c.startSession(w, p.admin); err != nil {
		c.failedOpen(w, err)
		return
	}
	c.setCookie(w, c.pendingCookie(), "", -1)
	c.s.log.Info("administrator signed in", "admin", p.admin)
	c.s.auditBy(p.admin, AuditAdminSignIn, p.admin, map[string]string{"ip": remoteIP(r)})
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// statusWords says a decided request's status in words.
func statusWords(st push.Status) string {
	switch st {
	case push.StatusDenied:
		return "denied"
	case push.StatusFraud:
		return "reported as fraud"
	case push.StatusExpired:
		return "no answer in time"
	}
	return string(st)
}

// failedOpen shows a server failure to someone not signed in.
func (c *console) failedOpen(w http.ResponseWriter, err error) {
	c.failed(w, adminSession{}, err)
}

// reauthed lets a dangerous action go on only with a fresh push approved
// for it: the first POST sends a push whose text says what it allows, and
// answers a page that waits for it and then submits the same form again,
// with reauth=ID; that second POST goes on (true) if the push was approved
// for exactly this form by this session's administrator. Each approval
// allows one action.
func (c *console) reauthed(w http.ResponseWriter, r *http.Request, ses adminSession, what string) bool {
	action := actionKey(r)
	if id := r.PostForm.Get("reauth"); id != "" {
		req, p, ok := c.decided(id, ses.owner)
		if ok && p.action == action {
			switch req.Status {
			case push.StatusApproved:
				c.spend(id)
				return true
			case push.StatusPending:
				c.render(w, http.StatusOK, "approve.html", c.reauthView(r, ses, req, what))
				return false
			}
			c.spend(id)
			c.render(w, http.StatusForbidden, "error.html", view{Title: "Not done", Admin: ses.Admin, CSRF: ses.CSRF,
				Error: "Not done: the confirmation was not approved on your device (" + statusWords(req.Status) + ")."})
			return false
		}
	}
	req, err := c.push(ses.Admin, ses.owner, action, what, r)
	if err != nil {
		c.failed(w, ses, err)
		return false
	}
	c.render(w, http.StatusOK, "approve.html", c.reauthView(r, ses, req, what))
	return false
}

func (c *console) reauthView(r *http.Request, ses adminSession, req store.AuthRequest, what string) view {
	var fields []formField
	for _, k := range sortedKeys(r.PostForm) {
		if k != "reauth" && k != "csrf" {
			fields = append(fields, formField{k, r.PostForm.Get(k)})
		}
	}
	fields = append(fields, formField{"reauth", req.ID})
	return view{Title: "Confirm on your device", Admin: ses.Admin, CSRF: ses.CSRF, Data: approveView{
		Number: req.Number, RequestID: req.ID, Action: r.URL.Path, ExpiresAt: req.ExpiresAt, Fields: fields,
		What: "To " + strings.ToLower(what[:1]) + what[1:] + ", approve on your device with this number.",
	}}
}

// actionKey is what a re-authentication allows: the path and the form,
// without the token and the re-authentication itself.
func actionKey(r *http.Request) string {
	v := url.Values{}
	for k, vs := range r.PostForm {
		if k != "reauth" && k != "csrf" {
			v[k] = vs
		}
	}
	return r.URL.Path + "?" + v.Encode()
}

func sortedKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
