package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/scanner"
)

// The attacks of the red team's report (issue 7), each performed against a
// real server on loopback, each shown to fail. The HTTP edge's attacks
// (slow bodies, cross-site requests, clickjacking) are in edge_test.go.

// selfService is a self-service client: it posts as the server's page
// does from a browser, from the loopback address from (127.0.0.1, or
// another one of 127/8 to stand for another client).
type selfService struct {
	e      *env
	client *http.Client
	token  string
}

func (e *env) selfServiceFrom(from string) *selfService {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return &selfService{e: e, client: &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}}
}

func (c *selfService) do(method, path string, body, out any) int {
	c.e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+c.e.addr+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://"+c.e.addr)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.e.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode
}

// signIn signs in to self-service with a code; it returns the HTTP status.
func (c *selfService) signIn(user, code string) (int, apiErr) {
	c.e.t.Helper()
	var out struct {
		Token string         `json:"token"`
		Error push.ErrorBody `json:"error"`
	}
	status := c.do("POST", "/v1/self-service/sign-in", push.OTPVerifyBody{User: user, Code: code}, &out)
	c.token = out.Token
	return status, apiErr{Error: out.Error}
}

// codeOf is the current code of an activated device.
func (e *env) codeOf(p device.Activated) string {
	return totpCode(e.t, p.TOTP.Secret, e.clock.Now())
}

// activationOfPage reads the activation QR code of an enrollment page.
func (e *env) activationOfPage(enrollURL string) push.Activation {
	e.t.Helper()
	resp, err := http.Get(enrollURL + "/qr.png")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	img, err := png.Decode(resp.Body)
	if err != nil {
		e.t.Fatalf("the page's QR code: HTTP %d, %v", resp.StatusCode, err)
	}
	// The app's scanner, as a user's app reads it (gozxing's bare reader
	// misses about one code in 170 that other readers and ours read).
	texts, err := scanner.Decode(img)
	if err != nil || len(texts) != 1 {
		e.t.Fatalf("the page's QR code: %v %v", texts, err)
	}
	act, err := push.ParseActivationURI(texts[0])
	if err != nil {
		e.t.Fatal(err)
	}
	return act
}

// activateRaw activates a device with an activation code and returns the
// server's whole answer (Pending and the approval number included).
func (e *env) activateRaw(act push.Activation, name string) (push.ActivateResponse, device.Activated) {
	e.t.Helper()
	pub, priv, _ := ed25519.GenerateKey(nil)
	var resp push.ActivateResponse
	if code := e.callWithKey("", "POST", "/v1/activate", push.ActivateRequest{Code: act.Code, DevicePublicKey: pub, DeviceName: name}, &resp); code != http.StatusOK {
		e.t.Fatalf("activation: HTTP %d", code)
	}
	return resp, device.Activated{
		Enrollment: device.Enrollment{DeviceID: resp.DeviceID, ServerKey: resp.ServerPublicKey, WebsocketURL: resp.WebsocketURL, Issuer: resp.Issuer, Account: resp.Account},
		PrivateKey: priv, TOTP: resp.TOTP,
	}
}

// notice returns the device's notice of this kind, waiting for it if it
// has not come yet.
func (p *phone) notice(t *testing.T, kind string) push.Notice {
	t.Helper()
	for i, n := range p.notices {
		if n.Kind == kind {
			p.notices = append(p.notices[:i], p.notices[i+1:]...)
			return n
		}
	}
	return p.await(t, func(ev device.Event) bool { return ev.Kind == device.EventNotice && ev.Notice.Kind == kind }).Notice
}

// verify checks a code through the relying-party API.
func (e *env) verify(user, code string) bool {
	e.t.Helper()
	var res push.OTPVerifyResult
	if status := e.call("POST", "/v1/otp/verify", push.OTPVerifyBody{User: user, Code: code}, &res); status != http.StatusOK {
		e.t.Fatalf("verify: HTTP %d", status)
	}
	return res.Valid
}

// TestAttacksOnAccounts performs the takeover and the other account
// attacks of the red team's report; each must fail.
func TestAttacksOnAccounts(t *testing.T) {
	t.Run("a lost device's codes still sign in after it is revoked", func(t *testing.T) {
		e := newEnv(t, Config{})
		kept := e.activate("ada", "phone")
		lost := e.activate("ada", "lost laptop")
		if kept.act.TOTP.Secret == lost.act.TOTP.Secret {
			t.Fatal("two devices share a seed")
		}
		lostCode := e.codeOf(lost.act)
		if err := e.srv.RevokeDevice(lost.act.DeviceID); err != nil {
			t.Fatal(err)
		}
		if e.verify("ada", lostCode) {
			t.Fatal("the revoked device's code signed in")
		}
		if !e.verify("ada", e.codeOf(kept.act)) {
			t.Fatal("the kept device's code was refused")
		}
		if n := kept.notice(t, "device_removed"); n.Text != `The device "lost laptop" was removed from your account (by admin). If this was not you, contact your administrator.` {
			t.Fatalf("notice to the kept device: %+v", n)
		}
	})

	t.Run("one phished code adds the attacker's device", func(t *testing.T) {
		e := newEnv(t, Config{})
		owner := e.activate("ada", "phone")
		tablet := e.activate("ada", "tablet")
		attacker := e.selfServiceFrom("127.0.0.1")
		if status, ae := attacker.signIn("ada", e.codeOf(owner.act)); status != http.StatusOK {
			t.Fatalf("sign-in with the phished code: %d %+v", status, ae)
		}
		var enroll map[string]string
		if status := attacker.do("POST", "/v1/self-service/enroll", nil, &enroll); status != http.StatusOK {
			t.Fatalf("enroll: %d", status)
		}
		resp, evil := e.activateRaw(e.activationOfPage(enroll["enroll_url"]), "evil phone")
		if !resp.Pending || len(resp.ApprovalNumber) != 2 || resp.ApprovalExpiresAt.IsZero() {
			t.Fatalf("the attacker's device joined without approval: %+v", resp)
		}
		// Pending: it can neither connect, nor sign in with its codes.
		raw := e.helloRaw(t, evil)
		if f := raw.read(t); f.Type != push.FrameError || f.Error.Code != "approval_pending" || f.Error.Message != "this device waits for an approval from one of your other devices" {
			t.Fatalf("the pending device's hello: %+v", f)
		}
		if e.verify("ada", e.codeOf(evil)) {
			t.Fatal("the pending device's code signed in")
		}
		// The owner is asked, with number matching, and told.
		r := owner.request(t)
		if r.Kind != push.KindAddDevice || r.Application != "Countersign" || r.Context.App != "New device: evil phone" || r.Context.IP != "127.0.0.1" {
			t.Fatalf("the owner's request: %+v", r)
		}
		if n := owner.notice(t, "device_pending"); n.Text != `A new device, "evil phone", asks to join your account. Approve it only if you are adding it now.` {
			t.Fatalf("notice: %+v", n)
		}
		// Approving blindly with a guessed number fails and turns it away.
		wrong := "00"
		if resp.ApprovalNumber == wrong {
			wrong = "01"
		}
		owner.client.Answer(context.Background(), r, push.Approve, "", wrong)
		if ev := owner.result(t, r.ID); ev.Status != push.StatusDenied {
			t.Fatalf("a wrong number: %+v", ev)
		}
		if d, _ := e.srv.Store().Device(evil.DeviceID); d.Revoked.IsZero() || d.Active() {
			t.Fatalf("the attacker's device after the denial: %+v", d)
		}
		// The other devices are told; the one that answered knows.
		if n := tablet.notice(t, "device_rejected"); n.Text != `The new device "evil phone" was not added to your account (denied).` {
			t.Fatalf("notice: %+v", n)
		}
		if got := e.auditKinds("ada"); got != "user_added,enrollment_created,device_activated,enrollment_created,device_activated,self_service_sign_in,enrollment_created,device_pending,authentication,device_rejected" {
			t.Fatalf("audit: %s", got)
		}
	})

	t.Run("a new device joins when the owner approves with the number", func(t *testing.T) {
		e := newEnv(t, Config{})
		owner := e.activate("ada", "phone")
		me := e.selfServiceFrom("127.0.0.1")
		me.signIn("ada", e.codeOf(owner.act))
		var enroll map[string]string
		me.do("POST", "/v1/self-service/enroll", nil, &enroll)
		token := enroll["enroll_url"][strings.LastIndex(enroll["enroll_url"], "/")+1:]
		resp, laptop := e.activateRaw(e.activationOfPage(enroll["enroll_url"]), "laptop")
		var st EnrollmentStatus
		if code := e.callWithKey("", "GET", "/v1/enrollments/"+token, nil, &st); code != http.StatusOK || st.Status != "approval_pending" || st.Number != resp.ApprovalNumber {
			t.Fatalf("the enrollment page while waiting: %+v", st)
		}
		r := owner.request(t)
		owner.client.Answer(context.Background(), r, push.Approve, "", resp.ApprovalNumber)
		if ev := owner.result(t, r.ID); ev.Status != push.StatusApproved {
			t.Fatalf("approval: %+v", ev)
		}
		if d, _ := e.srv.Store().Device(laptop.DeviceID); !d.Active() {
			t.Fatalf("the approved device: %+v", d)
		}
		if e.callWithKey("", "GET", "/v1/enrollments/"+token, nil, &st); st.Status != "activated" {
			t.Fatalf("the enrollment page after approval: %+v", st)
		}
		e.connect(laptop) // connects now
		if !e.verify("ada", e.codeOf(laptop)) {
			t.Fatal("the approved device's code was refused")
		}
	})

	t.Run("a phished code removes the owner's last device", func(t *testing.T) {
		e := newEnv(t, Config{})
		owner := e.activate("ada", "phone")
		attacker := e.selfServiceFrom("127.0.0.1")
		attacker.signIn("ada", e.codeOf(owner.act))
		var approval Approval
		if status := attacker.do("POST", "/v1/self-service/devices/"+owner.act.DeviceID+"/revoke", nil, &approval); status != http.StatusAccepted || approval.Status != "approval_pending" {
			t.Fatalf("removing the last device: %d %+v", status, approval)
		}
		if d, _ := e.srv.Store().Device(owner.act.DeviceID); !d.Active() {
			t.Fatal("the last device was removed without its approval")
		}
		r := owner.request(t)
		if r.Kind != push.KindRemoveDevice || r.Context.App != "Remove this device: phone" {
			t.Fatalf("request: %+v", r)
		}
		owner.client.Answer(context.Background(), r, push.Deny, push.ReasonNotMe, "")
		owner.result(t, r.ID)
		if d, _ := e.srv.Store().Device(owner.act.DeviceID); !d.Active() {
			t.Fatal("the last device was removed although it denied")
		}
		// Its own approval removes it.
		if status := attacker.do("POST", "/v1/self-service/devices/"+owner.act.DeviceID+"/revoke", nil, &approval); status != http.StatusAccepted {
			t.Fatalf("asking again: %d %+v", status, approval)
		}
		r = owner.request(t)
		owner.client.Answer(context.Background(), r, push.Approve, "", approval.Number)
		if ev := owner.result(t, r.ID); ev.Status != push.StatusApproved {
			t.Fatalf("approving its own removal: %+v", ev)
		}
		if d, _ := e.srv.Store().Device(owner.act.DeviceID); d.Active() {
			t.Fatal("the approved removal did not happen")
		}
	})

	t.Run("wrong codes on self-service lock the owner out", func(t *testing.T) {
		e := newEnv(t, Config{})
		owner := e.activate("ada", "phone")
		attacker := e.selfServiceFrom("127.0.0.2")
		var last apiErr
		for range 30 {
			_, last = attacker.signIn("ada", "000000")
		}
		if last.Error.Code != "too_many_attempts" {
			t.Fatalf("the 30th wrong code from one address: %+v", last)
		}
		if u, _ := e.srv.Store().User("ada"); u.Blocked {
			t.Fatal("failures without a key blocked the user")
		}
		if n, _, _ := e.srv.Store().OTPFailures("ada"); n != 0 {
			t.Fatalf("failures without a key counted against the user: %d", n)
		}
		// The owner, elsewhere, signs in with a correct code, by self-service
		// and through an application; pushes still reach them.
		me := e.selfServiceFrom("127.0.0.1")
		if status, ae := me.signIn("ada", e.codeOf(owner.act)); status != http.StatusOK {
			t.Fatalf("the owner's correct code: %d %+v", status, ae)
		}
		e.clock.Add(30 * time.Second)
		if !e.verify("ada", e.codeOf(owner.act)) {
			t.Fatal("the owner's correct code was refused by the API")
		}
		e.signIn("ada")
	})

	t.Run("self-service tells who has an account", func(t *testing.T) {
		e := newEnv(t, Config{})
		e.activate("ada", "phone")
		c := e.selfServiceFrom("127.0.0.3")
		s1, known := c.signIn("ada", "000000")
		s2, unknown := c.signIn("nobody", "000000")
		s3, noDevice := c.signIn("bob", "000000")
		if s1 != s2 || s2 != s3 || known != unknown || unknown != noDevice || known.Error.Code != "wrong_code" {
			t.Fatalf("answers differ: %d %+v / %d %+v / %d %+v", s1, known, s2, unknown, s3, noDevice)
		}
	})

	t.Run("one application fills the user's pending slot for all", func(t *testing.T) {
		e := newEnv(t, Config{})
		e.activate("ada", "phone")
		e.signIn("ada") // payroll's request waits
		otherKey, _, _ := e.srv.AddRelyingParty("intranet", "")
		var st push.AuthRequestState
		if code := e.callWithKey(otherKey, "POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &st); code != http.StatusCreated {
			t.Fatalf("another application's request: %d", code)
		}
		var ae apiErr
		if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae); code != http.StatusTooManyRequests || ae.Error.Code != "too_many_pending" {
			t.Fatalf("payroll's second: %d %+v", code, ae)
		}
	})

	t.Run("unanswered requests push the back-off to hours", func(t *testing.T) {
		e := newEnv(t, Config{})
		e.activate("ada", "phone")
		var ae apiErr
		for i := range 14 {
			for e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae) == http.StatusTooManyRequests {
				e.clock.Add(time.Minute)
			}
			e.clock.Add(2*time.Minute + time.Second) // expires unanswered
			_ = i
		}
		// After 14 unanswered, the wait is at most 15 minutes.
		e.clock.Add(maxBackoff)
		if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae); code != http.StatusCreated {
			t.Fatalf("after the 15-minute cap: %d %+v", code, ae)
		}
	})

	t.Run("an answer does not reset the back-off", func(t *testing.T) {
		e := newEnv(t, Config{})
		p := e.activate("ada", "phone")
		for range 3 {
			e.signIn("ada")
			e.clock.Add(2*time.Minute + time.Second)
		}
		e.clock.Add(30 * time.Second)
		e.signIn("ada")
		r := p.request(t)
		for r.ExpiresAt.Before(e.clock.Now()) { // the expired ones may come first
			r = p.request(t)
		}
		p.client.Answer(context.Background(), r, push.Deny, push.ReasonCancelled, "")
		p.result(t, r.ID)
		e.signIn("ada") // no wait after an answer
	})

	t.Run("a blocked user keeps their session and can enroll and activate", func(t *testing.T) {
		e := newEnv(t, Config{})
		owner := e.activate("ada", "phone")
		c := e.selfServiceFrom("127.0.0.1")
		c.signIn("ada", e.codeOf(owner.act))
		enr, _ := e.srv.Enroll("ada") // open before the block
		if err := e.srv.SetBlocked("ada", true); err != nil {
			t.Fatal(err)
		}
		var ae apiErr
		if status := c.do("GET", "/v1/self-service/devices", nil, &ae); status != http.StatusUnauthorized {
			t.Fatalf("the session after the block: %d", status)
		}
		if _, err := e.srv.Enroll("ada"); err == nil || !strings.Contains(err.Error(), "user_blocked") {
			t.Fatalf("enrolling a blocked user: %v", err)
		}
		act, _ := push.ParseActivationURI(enr.ActivationURI)
		if _, err := device.Activate(context.Background(), http.DefaultClient, act, "laptop"); err == nil || !strings.Contains(err.Error(), "user_blocked") {
			t.Fatalf("activating for a blocked user: %v", err)
		}
		e.clock.Add(30 * time.Second)
		if status, ae := c.signIn("ada", e.codeOf(owner.act)); status != http.StatusForbidden || ae.Error.Code != "user_blocked" {
			t.Fatalf("signing in again: %d %+v", status, ae)
		}
	})

	t.Run("a copied device key holds many connections", func(t *testing.T) {
		e := newEnv(t, Config{})
		p := e.activate("ada", "phone")
		p.cancel()
		var conns []*rawDevice
		for range 5 {
			d := e.helloRaw(t, p.act)
			if w := d.read(t); w.Type != push.FrameWelcome {
				t.Fatalf("hello: %+v", w)
			}
			conns = append(conns, d)
		}
		// Only the newest is live: each one replaced the one before.
		for i, d := range conns[:4] {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, _, err := d.conn.Read(ctx)
			timedOut := ctx.Err() != nil
			cancel()
			if err == nil || timedOut {
				t.Fatalf("connection %d is still open: %v", i, err)
			}
		}
		if n := e.srv.Connected(); n != 1 {
			t.Fatalf("%d connections of one device, want 1", n)
		}
		st := e.signIn("ada")
		if f := conns[4].read(t); f.Type != push.FrameRequest || f.Request.ID != st.ID {
			t.Fatalf("the live connection got %+v", f)
		}
	})

	t.Run("a revoked device's session goes on", func(t *testing.T) {
		e := newEnv(t, Config{})
		e.activate("ada", "phone")
		lost := e.activate("ada", "lost phone")
		thief := e.selfServiceFrom("127.0.0.1")
		thief.signIn("ada", e.codeOf(lost.act))
		e.srv.RevokeDevice(lost.act.DeviceID)
		var ae apiErr
		if status := thief.do("POST", "/v1/self-service/enroll", nil, &ae); status != http.StatusUnauthorized {
			t.Fatalf("the revoked device's session: %d %+v", status, ae)
		}
	})

	t.Run("the database gives away enrollment tokens and webhook secrets", func(t *testing.T) {
		e := newEnv(t, Config{})
		enr, _ := e.srv.Enroll("ada")
		token := enr.EnrollURL[strings.LastIndex(enr.EnrollURL, "/")+1:]
		_, secret, err := e.srv.AddRelyingParty("shop", "https://shop.example/hook")
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(e.dir, DatabaseFile+"*"))
		if len(files) == 0 {
			t.Fatal("no database file")
		}
		for _, f := range files {
			data, _ := os.ReadFile(f)
			for name, s := range map[string]string{"enrollment token": token, "webhook secret": secret} {
				if bytes.Contains(data, []byte(s)) {
					t.Errorf("%s holds the %s in clear", filepath.Base(f), name)
				}
			}
		}
	})

	t.Run("an expired link is renewed by anyone who holds it", func(t *testing.T) {
		e := newEnv(t, Config{})
		var ae apiErr
		// No device to approve: the link is not renewed.
		st, err := e.srv.CreateRequest("payroll", push.AuthRequestBody{User: "ada"})
		if err == nil {
			t.Fatalf("request without a device: %+v", st)
		}
		link := err.(*Error).EnrollURL
		e.clock.Add(11 * time.Minute)
		token := link[strings.LastIndex(link, "/")+1:]
		if code := e.post("/v1/enrollments/"+token+"/renew", nil, &ae); code != http.StatusGone || ae.Error.Code != "enrollment_closed" {
			t.Fatalf("renewing without a device: %d %+v", code, ae)
		}
		// With a device, the new link's device waits for its approval.
		owner := e.activate("ada", "phone")
		var out map[string]string
		if code := e.post("/v1/enrollments/"+token+"/renew", nil, &out); code != http.StatusOK {
			t.Fatalf("renewing with a device: %d", code)
		}
		resp, _ := e.activateRaw(e.activationOfPage(out["enroll_url"]), "new phone")
		if !resp.Pending {
			t.Fatal("the renewed link's device joined without approval")
		}
		owner.request(t)
	})

	t.Run("a multi-byte character cut at 512 bytes drops the push", func(t *testing.T) {
		e := newEnv(t, Config{})
		p := e.activate("ada", "phone")
		app := strings.Repeat("a", 511) + "é" // the cut at 512 falls inside é
		var st push.AuthRequestState
		if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada", Context: push.Context{App: app, Location: strings.Repeat("€", 200)}}, &st); code != http.StatusCreated {
			t.Fatalf("sign-in: %d", code)
		}
		r := p.request(t) // arrives: its signature verified on the device
		if r.ID != st.ID || r.Context.App != strings.Repeat("a", 511) || r.Context.Location != strings.Repeat("€", 170) {
			t.Fatalf("request %q / %q", r.Context.App, r.Context.Location)
		}
	})

	t.Run("the caller poses as another application and injects escapes", func(t *testing.T) {
		e := newEnv(t, Config{})
		p := e.activate("ada", "phone\x1b[2J\u202Eenohp")
		var st push.AuthRequestState
		e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada", Context: push.Context{
			App: "Your Bank\x1b]0;pwned\x07", IP: "203.0.113.7\u202E", UserAgent: "Firefox\r\nInjected: yes",
		}}, &st)
		r := p.request(t)
		if r.Application != "payroll" || r.Context.App != "Your Bank]0;pwned" || r.Context.IP != "203.0.113.7" || r.Context.UserAgent != "Firefox  Injected: yes" {
			t.Fatalf("request as shown: %+v", r)
		}
		if d, _ := e.srv.Store().Device(p.act.DeviceID); d.Name != "phone[2Jenohp" {
			t.Fatalf("device name %q", d.Name)
		}
	})
}
