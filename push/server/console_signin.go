package server

import (
	"crypto/sha256"
	"crypto/subtle"
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

// The console's pushes keep who may watch them and what they allow in
// their request's subject (unused by sign-in requests otherwise):
// "console:OWNER:ACTION", OWNER the hex hash of the browser's sign-in
// cookie or session, ACTION the hex SHA-256 of the action a
// re-authentication allows ("sign-in" for a sign-in). An approval is
// spent by one conditional UPDATE of that subject: it works once, also
// across restarts and several server processes sharing the database.

// pushSubject is the subject of a console push.
func pushSubject(owner, action string) string {
	if action == "" {
		return "console:" + owner + ":sign-in"
	}
	h := sha256.Sum256([]byte(action))
	return "console:" + owner + ":" + hex.EncodeToString(h[:])
}

// push sends one of the console's requests to an administrator's devices,
// watched by owner; action is what a re-authentication allows.
func (c *console) push(admin, owner, action, what string, r *http.Request) (store.AuthRequest, error) {
	ctx := browserContext(r)
	ctx.App = what
	return c.s.newRequest(admin, consoleRP, consoleApp, push.KindSignIn, pushSubject(owner, action), ctx)
}

// watched returns the console push id if owner may watch it.
func (c *console) watched(id, owner string) (store.AuthRequest, bool) {
	if owner == "" {
		return store.AuthRequest{}, false
	}
	req, err := c.s.store.AuthRequest(id)
	if err != nil || req.RP != consoleRP {
		return req, false
	}
	prefix := "console:" + owner + ":"
	return req, len(req.Subject) > len(prefix) && subtle.ConstantTimeCompare([]byte(req.Subject[:len(prefix)]), []byte(prefix)) == 1
}

// spend uses up an approved console push for action: true once.
func (c *console) spend(req store.AuthRequest, owner, action string) (bool, error) {
	return c.s.store.SpendConsoleApproval(req.ID, consoleRP, pushSubject(owner, action), consoleSpent)
}

// consoleSpent is the subject of a console push whose approval was used.
const consoleSpent = "console:spent"

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

// decided returns the console push id of owner, for action (expired if
// its time ran out), and whether owner may use it for action.
func (c *console) decided(id, owner, action string) (store.AuthRequest, bool) {
	req, ok := c.watched(id, owner)
	if !ok || subtle.ConstantTimeCompare([]byte(req.Subject), []byte(pushSubject(owner, action))) != 1 {
		return req, false
	}
	if req.Status == push.StatusPending && !c.s.cfg.Now().Before(req.ExpiresAt) {
		c.s.expire(id)
		req, _ = c.s.store.AuthRequest(id)
	}
	return req, true
}

func (c *console) handleSignInFinish(w http.ResponseWriter, r *http.Request) {
	id, owner := r.PostForm.Get("request"), c.owner(r)
	req, ok := c.decided(id, owner, "")
	if !ok {
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
		c.setCookie(w, c.pendingCookie(), "", -1)
		c.s.auditBy(req.User, AuditAdminSignInError, req.User, map[string]string{"ip": remoteIP(r), "why": "push " + string(req.Status)})
		c.signInError(w, http.StatusUnauthorized, "", "The sign-in was not approved on your device ("+statusWords(req.Status)+"). Sign in again to try once more.")
		return
	}
	if spent, err := c.spend(req, owner, ""); err != nil || !spent {
		if err == nil {
			err = errorf("forbidden", "this sign-in was used already; sign in again")
		}
		c.failedOpen(w, err)
		return
	}
	if err := c.startSession(w, req.User); err != nil {
		c.failedOpen(w, err)
		return
	}
	c.setCookie(w, c.pendingCookie(), "", -1)
	c.s.log.Info("administrator signed in", "admin", req.User)
	c.s.auditBy(req.User, AuditAdminSignIn, req.User, map[string]string{"ip": remoteIP(r)})
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
		req, ok := c.decided(id, ses.owner, action)
		if ok && req.User == ses.Admin {
			switch req.Status {
			case push.StatusApproved:
				spent, err := c.spend(req, ses.owner, action)
				if err != nil {
					c.failed(w, ses, err)
					return false
				}
				return spent
			case push.StatusPending:
				c.render(w, http.StatusOK, "approve.html", c.reauthView(r, ses, req, what))
				return false
			}
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
