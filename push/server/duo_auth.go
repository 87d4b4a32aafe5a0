package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/duoauth"
	"github.com/countersign/countersign/push/store"
)

// duoStatusWait is how long auth_status long-polls after its first call.
const duoStatusWait = 25 * time.Second

// authResult is the answer of a synchronous auth and of auth_status.
type authResult struct {
	// Result is allow, deny or waiting.
	Result string `json:"result"`
	// Status is pushed, allow, deny, fraud, timeout, locked_out, bypass
	// or sent.
	Status    string `json:"status"`
	StatusMsg string `json:"status_msg"`
}

// duoDevice is a device in preauth's answer.
type duoDevice struct {
	Device       string   `json:"device"`
	Type         string   `json:"type"`
	Name         string   `json:"name"`
	DisplayName  string   `json:"display_name"`
	Number       string   `json:"number,omitempty"`
	Capabilities []string `json:"capabilities"`
}

// preauthResult is preauth's answer.
type preauthResult struct {
	// Result is auth, allow, deny or enroll.
	Result          string      `json:"result"`
	StatusMsg       string      `json:"status_msg"`
	Devices         []duoDevice `json:"devices,omitempty"`
	EnrollPortalURL string      `json:"enroll_portal_url,omitempty"`
}

// Status messages shared by several answers.
const (
	msgLockedOut = "Your account is locked out (after a fraud report or too many wrong codes); an administrator can unblock it."
	msgNoMFA     = "Two-factor authentication is not required for this user."
)

func (d *duoAPI) handlePreauth(w http.ResponseWriter, r *http.Request, rp store.RelyingParty, p url.Values) {
	user, perr := userParam(p)
	if perr != nil {
		duoauth.WriteFail(w, perr)
		return
	}
	u, err := d.s.store.User(user)
	if errors.Is(err, store.ErrNotFound) {
		// Users are added by the administrator (countersignd user add),
		// not by integrations: there is no portal to send them to.
		duoauth.WriteOK(w, preauthResult{Result: "enroll", StatusMsg: "Enroll an authentication device to proceed: ask your administrator to add you."})
		return
	}
	if err != nil {
		d.fail(w, err)
		return
	}
	if u.Blocked {
		duoauth.WriteOK(w, preauthResult{Result: "deny", StatusMsg: msgLockedOut})
		return
	}
	devices, err := d.s.store.Devices(user)
	if err != nil {
		d.fail(w, err)
		return
	}
	var out []duoDevice
	for _, dev := range devices {
		if !dev.Active() {
			continue
		}
		if dev.Kind == store.KindOTP {
			// Another authenticator app: its codes only.
			out = append(out, duoDevice{Device: dev.ID, Type: "token", Name: dev.Name, DisplayName: dev.Name, Capabilities: []string{"mobile_otp"}})
			continue
		}
		out = append(out, duoDevice{Device: dev.ID, Type: "phone", Name: dev.Name, DisplayName: dev.Name, Capabilities: []string{"auto", "push", "mobile_otp"}})
	}
	methods, err := d.s.methodsOf(u, devices)
	if err != nil {
		d.fail(w, err)
		return
	}
	if methods.Phone != "" && (methods.SMS || methods.Voice) {
		var caps []string
		if methods.Voice {
			caps = append(caps, "auto", "phone")
		}
		if methods.SMS {
			caps = append(caps, "sms")
		}
		out = append(out, duoDevice{Device: "phone", Type: "phone", Number: duoMaskPhone(methods.Phone), Name: "phone", DisplayName: "Phone (" + duoMaskPhone(methods.Phone) + ")", Capabilities: caps})
	}
	switch {
	case len(out) > 0:
		duoauth.WriteOK(w, preauthResult{Result: "auth", StatusMsg: "Account is active", Devices: out})
	case !u.RequireMFA:
		duoauth.WriteOK(w, preauthResult{Result: "allow", StatusMsg: msgNoMFA})
	default:
		enroll, err := d.s.enrollURL(user)
		if err != nil {
			d.fail(w, err)
			return
		}
		duoauth.WriteOK(w, preauthResult{Result: "enroll", StatusMsg: "Enroll an authentication device to proceed", EnrollPortalURL: enroll})
	}
}

func (d *duoAPI) handleAuth(w http.ResponseWriter, r *http.Request, rp store.RelyingParty, p url.Values) {
	user, perr := userParam(p)
	if perr != nil {
		duoauth.WriteFail(w, perr)
		return
	}
	async := p.Get("async") == "1"
	switch factor := p.Get("factor"); factor {
	case "":
		duoauth.WriteFail(w, duoauth.ErrMissingParams.WithDetail("factor"))
	case "auto", "push", "phone":
		method := push.MethodPush
		if factor == "phone" {
			method = push.MethodVoice
		} else if factor == "auto" {
			method = d.outOfBand(user)
		}
		d.authOutOfBand(w, r, rp, user, method, p, async)
	case "passcode":
		d.authPasscode(w, rp, user, p, async)
	case "sms":
		d.authSMS(w, rp, user, p, async)
	default:
		duoauth.WriteFail(w, duoauth.ErrInvalidParams.WithDetail("factor"))
	}
}

// outOfBand is the method of Duo's factor auto: a push to the app, else
// a phone call (never a text message: Duo's auto does not send one).
func (d *duoAPI) outOfBand(user string) push.Method {
	if m, err := d.s.UserMethods(user); err == nil && !m.Push && m.Voice {
		return push.MethodVoice
	}
	return push.MethodPush
}

// duoContext is what the device shows of Duo's parameters: type (Duo's
// label of the request) and ipaddr.
func duoContext(p url.Values) push.Context {
	return push.Context{App: p.Get("type"), IP: p.Get("ipaddr")}
}

// authOutOfBand pushes a sign-in request to the user's devices, or calls
// the user; async, it answers the transaction id (the request's id) at
// once, else it waits for the decision.
func (d *duoAPI) authOutOfBand(w http.ResponseWriter, r *http.Request, rp store.RelyingParty, user string, method push.Method, p url.Values, async bool) {
	st, err := d.s.CreateRequest(rp.Name, push.AuthRequestBody{User: user, Method: method, Context: duoContext(p)})
	if err != nil {
		d.refuse(w, rp, async, err)
		return
	}
	if async {
		duoauth.WriteOK(w, map[string]string{"txid": st.ID})
		return
	}
	stretch(w, time.Until(st.ExpiresAt))
	req, err := d.waitDecided(r.Context(), rp.Name, st.ID)
	if err != nil {
		d.fail(w, err)
		return
	}
	res := duoStatus(req)
	// The synchronous answer comes after the decision; it still names the
	// number, for integrations that show the status message.
	if req.Method == push.MethodPush && !req.ApproveOnly {
		res.StatusMsg += fmt.Sprintf(" (number %s)", req.Number)
	}
	duoauth.WriteOK(w, res)
}

// waitDecided waits until the request is decided or expires (or the
// client goes).
func (d *duoAPI) waitDecided(ctx context.Context, rp, id string) (store.AuthRequest, error) {
	for {
		req, err := d.s.waitForDecision(ctx, rp, id, maxWait)
		if err != nil || req.Status != push.StatusPending || ctx.Err() != nil {
			return req, err
		}
	}
}

// authPasscode checks a code the user typed: of an app or authenticator,
// of a text message sent for this relying party, a recovery or a bypass
// code (VerifyPasscode).
func (d *duoAPI) authPasscode(w http.ResponseWriter, rp store.RelyingParty, user string, p url.Values, async bool) {
	code := p.Get("passcode")
	if code == "" {
		duoauth.WriteFail(w, duoauth.ErrMissingParams.WithDetail("passcode"))
		return
	}
	_, err := d.s.VerifyPasscode(rp.Name, user, code)
	var e *Error
	if errors.As(err, &e) && e.Code == "wrong_code" {
		d.answer(w, rp, async, authResult{Result: "deny", Status: "deny", StatusMsg: "Incorrect passcode. Please try again."})
		return
	}
	if err != nil {
		d.refuse(w, rp, async, err)
		return
	}
	d.answer(w, rp, async, authResult{Result: "allow", Status: "allow", StatusMsg: "Success. Logging you in..."})
}

// authSMS sends a passcode by text message. As with Duo, this does not
// sign in: the answer is deny with status sent, and the user then types
// the code (factor passcode).
func (d *duoAPI) authSMS(w http.ResponseWriter, rp store.RelyingParty, user string, p url.Values, async bool) {
	_, err := d.s.CreateRequest(rp.Name, push.AuthRequestBody{User: user, Method: push.MethodSMS, Context: duoContext(p)})
	if err != nil {
		d.refuse(w, rp, async, err)
		return
	}
	d.answer(w, rp, async, authResult{Result: "deny", Status: "sent", StatusMsg: "New SMS passcode sent."})
}

// answer writes a result known at once: as it is, or, asked async, as a
// transaction whose auth_status gives it.
func (d *duoAPI) answer(w http.ResponseWriter, rp store.RelyingParty, async bool, res authResult) {
	if !async {
		duoauth.WriteOK(w, res)
		return
	}
	txid := randomID()
	d.mu.Lock()
	d.prune()
	d.done[txid] = doneTx{rp: rp.Name, res: res, forget: d.s.cfg.Now().Add(d.s.cfg.RequestTTL)}
	d.mu.Unlock()
	duoauth.WriteOK(w, map[string]string{"txid": txid})
}

// refuse answers a refusal of the server's domain in Duo's terms: a deny
// for what concerns the user, an error for what concerns the call.
func (d *duoAPI) refuse(w http.ResponseWriter, rp store.RelyingParty, async bool, err error) {
	var e *Error
	if !errors.As(err, &e) {
		d.fail(w, err)
		return
	}
	switch e.Code {
	case "user_not_found":
		duoauth.WriteFail(w, duoauth.ErrInvalidParams.WithDetail("username"))
	case "user_blocked":
		d.answer(w, rp, async, authResult{Result: "deny", Status: "locked_out", StatusMsg: msgLockedOut})
	case "mfa_not_required":
		d.answer(w, rp, async, authResult{Result: "allow", Status: "bypass", StatusMsg: msgNoMFA})
	case "enrollment_required":
		d.answer(w, rp, async, authResult{Result: "deny", Status: "deny", StatusMsg: "Enroll an authentication device first: " + e.EnrollURL})
	default: // too_many_pending, rate_limited, backoff, otp_throttled...
		d.answer(w, rp, async, authResult{Result: "deny", Status: "deny", StatusMsg: e.Message})
	}
}

// duoStatus is a request's state in Duo's terms.
func duoStatus(req store.AuthRequest) authResult {
	switch req.Status {
	case push.StatusPending:
		if req.Method == push.MethodVoice {
			return authResult{Result: "waiting", Status: "calling", StatusMsg: "Calling your phone..."}
		}
		msg := fmt.Sprintf("Pushed a login request to your device. Enter %s in the Countersign app to approve it.", req.Number)
		if req.ApproveOnly {
			msg = "Pushed a login request to your device. Approve it in the Countersign app."
		}
		return authResult{Result: "waiting", Status: "pushed", StatusMsg: msg}
	case push.StatusCodeSent:
		return authResult{Result: "waiting", Status: "sent", StatusMsg: "Sent a passcode by text message."}
	case push.StatusApproved:
		return authResult{Result: "allow", Status: "allow", StatusMsg: "Success. Logging you in..."}
	case push.StatusFraud:
		return authResult{Result: "deny", Status: "fraud", StatusMsg: "Login request reported as fraudulent."}
	case push.StatusExpired:
		return authResult{Result: "deny", Status: "timeout", StatusMsg: "Login timed out."}
	}
	switch req.Reason {
	case "user_blocked":
		return authResult{Result: "deny", Status: "locked_out", StatusMsg: msgLockedOut}
	case "wrong_number":
		return authResult{Result: "deny", Status: "deny", StatusMsg: "Login request denied: the number typed on the device was wrong."}
	}
	return authResult{Result: "deny", Status: "deny", StatusMsg: "Login request denied."}
}

func (d *duoAPI) handleAuthStatus(w http.ResponseWriter, r *http.Request, rp store.RelyingParty, p url.Values) {
	txid := p.Get("txid")
	if txid == "" {
		duoauth.WriteFail(w, duoauth.ErrMissingParams.WithDetail("txid"))
		return
	}
	d.mu.Lock()
	d.prune()
	done, isDone := d.done[txid]
	_, polled := d.polled[txid]
	if !polled {
		d.polled[txid] = d.s.cfg.Now().Add(d.s.cfg.RequestTTL + time.Minute)
	}
	d.mu.Unlock()
	if isDone && done.rp == rp.Name {
		duoauth.WriteOK(w, done.res)
		return
	}
	// The first call answers at once, with the number to type; the next
	// ones wait for a change, as Duo's do.
	wait := time.Duration(0)
	if polled {
		wait = duoStatusWait
		stretch(w, wait)
	}
	req, err := d.s.waitForDecision(r.Context(), rp.Name, txid, wait)
	var e *Error
	if errors.As(err, &e) && e.Code == "not_found" {
		duoauth.WriteFail(w, duoauth.ErrInvalidParams.WithDetail("txid"))
		return
	}
	if err != nil {
		d.fail(w, err)
		return
	}
	duoauth.WriteOK(w, duoStatus(req))
}

// doneTx is an async transaction decided at once (a passcode, a refusal).
type doneTx struct {
	rp     string
	res    authResult
	forget time.Time
}

// prune forgets transactions past their time; d.mu is held.
func (d *duoAPI) prune() {
	now := d.s.cfg.Now()
	for id, t := range d.polled {
		if now.After(t) {
			delete(d.polled, id)
		}
	}
	for id, t := range d.done {
		if now.After(t.forget) {
			delete(d.done, id)
		}
	}
}

// duoMaskPhone shows the last four digits of a phone number only, as Duo's
// preauth does.
func duoMaskPhone(e164 string) string {
	if len(e164) <= 4 {
		return "XXXX"
	}
	return "XXX-XXX-" + e164[len(e164)-4:]
}
