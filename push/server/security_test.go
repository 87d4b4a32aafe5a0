package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/scanner"
)

// post sends a JSON body without an API key, as the server's own pages
// do from a browser (with their Origin), and decodes the answer.
func (e *env) post(path string, body any, out any) int {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, "http://"+e.addr+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://"+e.addr)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode
}

// TestPushFatigueLimits: requests past the per-minute limit, and requests
// after a run of unanswered expiries, are refused with 429 and a code
// naming the limit; the wait grows.
func TestPushFatigueLimits(t *testing.T) {
	e := newEnv(t, Config{MaxPending: 100, RequestsPerMinute: 3})
	e.activate("ada", "laptop")
	for range 3 {
		e.signIn("ada")
	}
	var ae apiErr
	if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae); code != http.StatusTooManyRequests || ae.Error.Code != "rate_limited" ||
		ae.Error.Message != "ada had 3 sign-in requests in the last minute (limit 3); try again later" {
		t.Fatalf("4th in a minute: %d %+v", code, ae)
	}
	e.clock.Add(61 * time.Second)
	e.signIn("ada")

	// The spamming pattern: requests that expire unanswered, one after another.
	f := newEnv(t, Config{})
	f.activate("ada", "laptop")
	for range 3 {
		f.signIn("ada")
		f.clock.Add(2*time.Minute + time.Second) // expires unanswered
	}
	// Three unanswered: the next waits 30 s after the last one's expiry.
	if code := f.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae); code != http.StatusTooManyRequests || ae.Error.Code != "backoff" ||
		!strings.HasPrefix(ae.Error.Message, "3 requests to ada went unanswered; the next is allowed at ") {
		t.Fatalf("after 3 unanswered: %d %+v", code, ae)
	}
	f.clock.Add(30 * time.Second)
	f.signIn("ada")
	f.clock.Add(2*time.Minute + time.Second)
	// Four unanswered: 60 s now.
	f.clock.Add(30 * time.Second)
	if code := f.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae); code != http.StatusTooManyRequests || ae.Error.Code != "backoff" {
		t.Fatalf("after 4 unanswered, 30 s later: %d %+v", code, ae)
	}
	f.clock.Add(30 * time.Second)
	f.signIn("ada")
}

// TestDeviceFrameRateLimit: a device that floods the server with frames is
// disconnected with a policy-violation close.
func TestDeviceFrameRateLimit(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	p.cancel()
	raw := e.helloRaw(t, p.act)
	if w := raw.read(t); w.Type != push.FrameWelcome {
		t.Fatalf("hello: %+v", w)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range framesPerTick + 1 {
		if err := raw.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"welcome"}`)); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	var err error
	for err == nil {
		_, _, err = raw.conn.Read(ctx) // the error frames, then the close
	}
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("after %d frames: %v", framesPerTick+1, err)
	}
}

// TestRacingDecisions: two devices of the user answer the same request at
// once, many times over: exactly one decision is recorded and every
// answer is told the same final status.
func TestRacingDecisions(t *testing.T) {
	e := newEnv(t, Config{})
	a := e.activate("ada", "laptop")
	b := e.activate("ada", "phone")
	st := e.signIn("ada")
	r := a.request(t)
	answers := []struct {
		id  string
		key ed25519.PrivateKey
		ans push.Answer
	}{
		{a.act.DeviceID, a.act.PrivateKey, push.Answer{RequestID: r.ID, DeviceID: a.act.DeviceID, Decision: push.Approve, Number: st.Number, Nonce: r.Nonce}},
		{b.act.DeviceID, b.act.PrivateKey, push.Answer{RequestID: r.ID, DeviceID: b.act.DeviceID, Decision: push.Fraud, Nonce: r.Nonce}},
	}
	statuses := make(chan push.Status, 20)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := answers[i%2]
			status, err := e.srv.Answer(x.id, x.ans, ed25519.Sign(x.key, x.ans.SigningBytes()))
			if err != nil {
				t.Error(err)
			}
			statuses <- status
		}()
	}
	wg.Wait()
	close(statuses)
	final, err := e.srv.Store().AuthRequest(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for s := range statuses {
		if s != final.Status {
			t.Fatalf("an answer was told %q, the request is %q", s, final.Status)
		}
	}
	events, _ := e.srv.Store().AuditEvents("ada")
	frauds := 0
	for _, ev := range events {
		if ev.Kind == "fraud" {
			frauds++
		}
	}
	switch final.Status {
	case push.StatusApproved:
		if final.DecidedBy != a.act.DeviceID || frauds != 0 {
			t.Fatalf("approved by %s with %d fraud events", final.DecidedBy, frauds)
		}
	case push.StatusFraud:
		if final.DecidedBy != b.act.DeviceID || frauds != 1 {
			t.Fatalf("fraud by %s with %d fraud events", final.DecidedBy, frauds)
		}
	default:
		t.Fatalf("final status %q", final.Status)
	}
}

// TestRevokedDeviceCannotAnswer: a signed answer from a device revoked
// after it received the request decides nothing.
func TestRevokedDeviceCannotAnswer(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	e.activate("ada", "phone")
	st := e.signIn("ada")
	r := p.request(t)
	if err := e.srv.RevokeDevice(p.act.DeviceID); err != nil {
		t.Fatal(err)
	}
	ans := push.Answer{RequestID: r.ID, DeviceID: p.act.DeviceID, Decision: push.Approve, Number: st.Number, Nonce: r.Nonce}
	_, err := e.srv.Answer(p.act.DeviceID, ans, ed25519.Sign(p.act.PrivateKey, ans.SigningBytes()))
	if err == nil || err.Error() != "device_revoked: this device is not (or no longer) enrolled" {
		t.Fatalf("revoked device's answer: %v", err)
	}
	if now := e.status(st.ID, "0s"); now.Status != push.StatusPending {
		t.Fatalf("after the revoked device's answer: %+v", now)
	}
}

// TestFraudWithoutBlocking: with blocking turned off, fraud is still
// recorded but the user keeps signing in.
func TestFraudWithoutBlocking(t *testing.T) {
	e := newEnv(t, Config{KeepUnblockedOnFraud: true})
	p := e.activate("ada", "laptop")
	e.signIn("ada")
	r := p.request(t)
	p.client.Answer(context.Background(), r, push.Fraud, "", "")
	if ev := p.result(t, r.ID); ev.Status != push.StatusFraud {
		t.Fatalf("fraud: %+v", ev)
	}
	if u, _ := e.srv.Store().User("ada"); u.Blocked {
		t.Fatal("blocked although KeepUnblockedOnFraud")
	}
	events, _ := e.srv.Store().AuditEvents("ada")
	// The fraud report, then the sign-in's outcome for the usage report.
	last := events[len(events)-2]
	if got := e.auditKinds("ada"); got != "user_added,enrollment_created,device_activated,fraud,authentication" || last.Detail["request"] != r.ID || last.Detail["device"] != p.act.DeviceID {
		t.Fatalf("audit %s %+v", got, last)
	}
	e.signIn("ada")
}

// TestOTPWindow: codes of the previous, current and next step pass; two
// steps away fails.
func TestOTPWindow(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	now := e.clock.Now()
	cases := []struct {
		offset time.Duration
		valid  bool
	}{{-60 * time.Second, false}, {60 * time.Second, false}, {-30 * time.Second, true}, {0, true}, {30 * time.Second, true}}
	for _, c := range cases {
		var res push.OTPVerifyResult
		e.call("POST", "/v1/otp/verify", push.OTPVerifyBody{User: "ada", Code: totpCode(t, p.act.TOTP.Secret, now.Add(c.offset))}, &res)
		if res.Valid != c.valid {
			t.Errorf("code of %v: valid=%v, want %v", c.offset, res.Valid, c.valid)
		}
	}
	// Accepting the next step's code spent every step up to it.
	var res push.OTPVerifyResult
	e.call("POST", "/v1/otp/verify", push.OTPVerifyBody{User: "ada", Code: totpCode(t, p.act.TOTP.Secret, now)}, &res)
	if res.Valid {
		t.Fatal("an older step's code passed after a newer one")
	}
}

// TestActivationRaceOverHTTP: ten devices post the same code at once over
// the real API: one is enrolled, nine are told the code is used.
func TestActivationRaceOverHTTP(t *testing.T) {
	e := newEnv(t, Config{})
	enr, _ := e.srv.Enroll("ada")
	act, _ := push.ParseActivationURI(enr.ActivationURI)
	codes := make(chan string, 10)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pub, _, _ := ed25519.GenerateKey(nil)
			var out struct {
				DeviceID string         `json:"device_id"`
				Error    push.ErrorBody `json:"error"`
			}
			status := e.post("/v1/activate", push.ActivateRequest{Code: act.Code, DevicePublicKey: pub, DeviceName: fmt.Sprint("d", i)}, &out)
			codes <- fmt.Sprint(status, out.Error.Code)
		}()
	}
	wg.Wait()
	close(codes)
	count := map[string]int{}
	for c := range codes {
		count[c]++
	}
	if count["200"] != 1 || count["410activation_used"] != 9 {
		t.Fatalf("outcomes %v", count)
	}
	devices, _ := e.srv.Store().Devices("ada")
	if len(devices) != 1 {
		t.Fatalf("%d devices enrolled", len(devices))
	}
	var ae apiErr
	if code := e.post("/v1/activate", push.ActivateRequest{Code: act.Code, DevicePublicKey: []byte("short")}, &ae); code != http.StatusBadRequest || ae.Error.Code != "bad_request" {
		t.Fatalf("short key: %d %+v", code, ae)
	}
	if code := e.post("/v1/activate", push.ActivateRequest{Code: "unknown", DevicePublicKey: make([]byte, 32)}, &ae); code != http.StatusNotFound || ae.Error.Code != "activation_not_found" {
		t.Fatalf("unknown code: %d %+v", code, ae)
	}
}

// TestRelyingPartyBadInput: malformed bodies, unknown ids and bad waits get
// their stable codes.
func TestRelyingPartyBadInput(t *testing.T) {
	e := newEnv(t, Config{})
	req, _ := http.NewRequest("POST", "http://"+e.addr+"/v1/auth-requests", strings.NewReader(`{"user":`))
	req.Header.Set("Authorization", "Bearer "+e.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ae apiErr
	json.NewDecoder(resp.Body).Decode(&ae)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || ae.Error.Code != "bad_request" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("malformed body: %d %+v", resp.StatusCode, ae)
	}
	if code := e.call("GET", "/v1/auth-requests/nope", nil, &ae); code != http.StatusNotFound || ae.Error.Code != "not_found" {
		t.Fatalf("unknown id: %d %+v", code, ae)
	}
	if code := e.call("GET", "/v1/auth-requests/nope?wait=soon", nil, &ae); code != http.StatusBadRequest || ae.Error.Message != `wait="soon" is not a duration such as 30s` {
		t.Fatalf("bad wait: %d %+v", code, ae)
	}
	if code := e.callWithKey("", "POST", "/v1/otp/verify", push.OTPVerifyBody{User: "ada", Code: "123456"}, &ae); code != http.StatusUnauthorized || ae.Error.Code != "unauthorized" {
		t.Fatalf("OTP without a key: %d %+v", code, ae)
	}
	if code := e.callWithKey(e.apiKey+"x", "GET", "/v1/auth-requests/nope", nil, &ae); code != http.StatusUnauthorized || ae.Error.Code != "unauthorized" {
		t.Fatalf("wrong key: %d %+v", code, ae)
	}
	resp, err = http.Get("http://" + e.addr + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"openapi: 3.0.3", "/v1/auth-requests:", "/v1/auth-requests/{id}:", "/v1/otp/verify:", "enrollment_required", "too_many_pending"} {
		if !bytes.Contains(spec, []byte(want)) {
			t.Errorf("openapi.yaml lacks %q", want)
		}
	}
}

// TestEnrollmentOtherAppAndRenewRules: another authenticator app spends
// the enrollment for a device of its own, with a seed of its own shown once
// as an otpauth:// QR code; its codes confirm the enrollment; an open
// enrollment cannot be renewed.
func TestEnrollmentOtherAppAndRenewRules(t *testing.T) {
	e := newEnv(t, Config{})
	enr, _ := e.srv.Enroll("ada")
	token := enr.EnrollURL[strings.LastIndex(enr.EnrollURL, "/")+1:]
	qrText := func() (string, int) {
		resp, err := http.Get("http://" + e.addr + "/enroll/" + token + "/otpauth.png")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", resp.StatusCode
		}
		img, err := png.Decode(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		texts, err := scanner.Decode(img) // as the app reads it
		if err != nil || len(texts) != 1 {
			t.Fatalf("the QR code: %v %v", texts, err)
		}
		return texts[0], http.StatusOK
	}
	// Nothing to show before the other app is chosen: no seed exists yet.
	if _, code := qrText(); code != http.StatusGone {
		t.Fatalf("otpauth QR before choosing another app: %d", code)
	}
	var ae apiErr
	if code := e.post("/v1/enrollments/"+token+"/renew", nil, &ae); code != http.StatusConflict || ae.Error.Code != "not_expired" {
		t.Fatalf("renew while open: %d %+v", code, ae)
	}
	var st EnrollmentStatus
	if code := e.post("/v1/enrollments/"+token+"/otpauth", nil, &st); code != http.StatusOK || st.Status != "activated" || st.Kind != "otp" {
		t.Fatalf("choosing another app: %d %+v", code, st)
	}
	uri, code := qrText()
	if code != http.StatusOK || !strings.HasPrefix(uri, "otpauth://totp/Countersign:ada?") {
		t.Fatalf("otpauth QR %q (%d)", uri, code)
	}
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	// The code is spent: no app can activate with it any more.
	act, _ := push.ParseActivationURI(enr.ActivationURI)
	if _, err := device.Activate(context.Background(), http.DefaultClient, act, "laptop"); err == nil || !strings.Contains(err.Error(), "activation_used") {
		t.Fatalf("activating the spent code: %v", err)
	}
	var valid push.OTPVerifyResult
	if code := e.post("/v1/enrollments/"+token+"/confirm", map[string]string{"code": "000000"}, &valid); code != http.StatusOK || valid.Valid {
		t.Fatalf("confirm with a wrong code: %d %+v", code, valid)
	}
	good, _ := totp.GenerateCode(key.Secret(), e.clock.Now())
	if code := e.post("/v1/enrollments/"+token+"/confirm", map[string]string{"code": good}, &valid); code != http.StatusOK || !valid.Valid {
		t.Fatalf("confirm with the app's code: %d %+v", code, valid)
	}
	// Shown for the life of an activation code, then never again.
	e.clock.Add(11 * time.Minute)
	if _, code := qrText(); code != http.StatusGone {
		t.Fatalf("otpauth QR later: %d", code)
	}
	if code := e.post("/v1/enrollments/"+token+"/renew", nil, &ae); code != http.StatusConflict || ae.Error.Code != "not_expired" {
		t.Fatalf("renew after activation: %d %+v", code, ae)
	}
	if code := e.post("/v1/enrollments/unknown/confirm", map[string]string{"code": "123456"}, &ae); code != http.StatusNotFound {
		t.Fatalf("confirm unknown: %d %+v", code, ae)
	}
}

// TestDemoPage: the demo is its own relying party; it never hands out an
// enrollment link; without Demo it is not served.
func TestDemoPage(t *testing.T) {
	e := newEnv(t, Config{Demo: true})
	var ae apiErr
	if code := e.post("/demo/sign-in", map[string]string{"user": "ada"}, &ae); code != http.StatusConflict || ae.Error.Code != "enrollment_required" || ae.Error.EnrollURL != "" ||
		ae.Error.Message != "ada has no active device; an administrator can enroll one (countersignd enroll ada)" {
		t.Fatalf("demo without a device: %d %+v", code, ae)
	}
	p := e.activate("ada", "laptop")
	var st push.AuthRequestState
	if code := e.post("/demo/sign-in", map[string]string{"user": "ada"}, &st); code != http.StatusCreated || len(st.Number) != 2 {
		t.Fatalf("demo sign-in: %d %+v", code, st)
	}
	r := p.request(t)
	if r.Application != "Countersign demo" || r.Context.App != "" || r.Context.IP != "127.0.0.1" {
		t.Fatalf("demo request %+v", r)
	}
	got := make(chan push.AuthRequestState, 1)
	go func() {
		resp, err := http.Get("http://" + e.addr + "/demo/requests/" + st.ID + "?wait=10s")
		if err != nil {
			t.Error(err)
			got <- push.AuthRequestState{}
			return
		}
		var s push.AuthRequestState
		json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
		got <- s
	}()
	p.client.Answer(context.Background(), r, push.Approve, "", st.Number)
	if s := <-got; s.Status != push.StatusApproved {
		t.Fatalf("demo result %+v", s)
	}
	// The API's relying parties cannot read the demo's requests.
	if code := e.call("GET", "/v1/auth-requests/"+st.ID, nil, &ae); code != http.StatusNotFound {
		t.Fatalf("the demo's request through the API: %d", code)
	}

	off := newEnv(t, Config{})
	for _, path := range []string{"/", "/demo/requests/x"} {
		resp, _ := http.Get("http://" + off.addr + path)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s without the demo: %d", path, resp.StatusCode)
		}
	}
}

// TestPollWaitsForAChange: a long-polling device is answered at once when
// it lacks something, and otherwise held until a request arrives or is
// decided (no busy loop while a request waits). Handing out challenges
// stores nothing.
func TestPollWaitsForAChange(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	p.cancel()
	st := e.signIn("ada")
	poll := func(wait string, known *[]string) (PollResponse, time.Duration) {
		nonce := e.pollChallenge()
		var out PollResponse
		started := time.Now()
		body := PollRequest{DeviceID: p.act.DeviceID, Nonce: nonce, Wait: wait, Known: known,
			Signature: ed25519.Sign(p.act.PrivateKey, push.ConnectSigningBytes(nonce, p.act.DeviceID))}
		if code := e.post("/v1/devices/poll", body, &out); code != http.StatusOK {
			t.Fatalf("poll: %d", code)
		}
		return out, time.Since(started)
	}
	// First poll: the device has nothing yet, the request comes at once
	// (within 3 s, well short of the 5 s wait, however busy the machine).
	got, took := poll("5s", nil)
	if len(got.Requests) != 1 || got.Requests[0].Request.ID != st.ID || took > 3*time.Second {
		t.Fatalf("first poll: %+v after %v", got, took)
	}
	if err := push.Verify(e.srv.PublicKey(), got.Requests[0].Request.SigningBytes(), got.Requests[0].Signature); err != nil {
		t.Fatal("the polled request is not signed by the server")
	}
	// Second poll: nothing new, so it waits, until the request is decided.
	r := *got.Requests[0].Request
	go func() {
		time.Sleep(300 * time.Millisecond)
		a := push.Answer{RequestID: r.ID, DeviceID: p.act.DeviceID, Decision: push.Deny, Reason: push.ReasonCancelled, Nonce: r.Nonce}
		e.srv.Answer(p.act.DeviceID, a, ed25519.Sign(p.act.PrivateKey, a.SigningBytes()))
	}()
	got, took = poll("5s", nil)
	if len(got.Requests) != 0 || took < 250*time.Millisecond || took > 3*time.Second {
		t.Fatalf("second poll: %+v after %v, want none after about 300ms", got, took)
	}
	// Known given explicitly: an empty list means "I have nothing".
	st = e.signIn("ada")
	if got, took = poll("5s", &[]string{}); len(got.Requests) != 1 || took > 3*time.Second {
		t.Fatalf("poll knowing nothing: %+v after %v", got, took)
	}
	// Knowing the pending request: held for the whole wait.
	if got, took = poll("1s", &[]string{st.ID}); len(got.Requests) != 1 || took < 900*time.Millisecond {
		t.Fatalf("poll knowing everything: %+v after %v", got, took)
	}
	e.srv.polls.mu.Lock()
	before := len(e.srv.polls.spent)
	e.srv.polls.mu.Unlock()
	for range 200 {
		e.srv.polls.issue(e.clock.Now())
	}
	e.srv.polls.mu.Lock()
	after := len(e.srv.polls.spent)
	e.srv.polls.mu.Unlock()
	if after != before {
		t.Fatalf("issuing challenges stored %d entries", after-before)
	}
	// An expired challenge is refused.
	nonce := e.pollChallenge()
	e.clock.Add(challengeTTL)
	var ae apiErr
	body := PollRequest{DeviceID: p.act.DeviceID, Nonce: nonce, Signature: ed25519.Sign(p.act.PrivateKey, push.ConnectSigningBytes(nonce, p.act.DeviceID))}
	if code := e.post("/v1/devices/poll", body, &ae); code != http.StatusForbidden || ae.Error.Code != "bad_nonce" {
		t.Fatalf("expired challenge: %d %+v", code, ae)
	}
}

// TestRenewWindow: an expired enrollment link offers a new code for a day,
// not forever.
func TestRenewWindow(t *testing.T) {
	e := newEnv(t, Config{})
	e.activate("ada", "phone") // renewing needs an existing device to approve
	enr, _ := e.srv.Enroll("ada")
	token := enr.EnrollURL[strings.LastIndex(enr.EnrollURL, "/")+1:]
	e.clock.Add(renewWindow + time.Second)
	var ae apiErr
	if code := e.post("/v1/enrollments/"+token+"/renew", nil, &ae); code != http.StatusGone || ae.Error.Code != "enrollment_closed" {
		t.Fatalf("renew of a day-old link: %d %+v", code, ae)
	}
	enr, _ = e.srv.Enroll("ada")
	token = enr.EnrollURL[strings.LastIndex(enr.EnrollURL, "/")+1:]
	e.clock.Add(renewWindow - time.Second)
	var out map[string]string
	if code := e.post("/v1/enrollments/"+token+"/renew", nil, &out); code != http.StatusOK || !strings.HasPrefix(out["enroll_url"], "http://"+e.addr+"/enroll/") {
		t.Fatalf("renew within the day: %d %v", code, out)
	}
}

// TestOpenAPIListsTheErrorCodes: every error code the relying-party API can
// answer is in the OpenAPI document.
func TestOpenAPIListsTheErrorCodes(t *testing.T) {
	for _, code := range []string{"unauthorized", "bad_request", "unsupported_media", "too_large", "user_not_found", "user_blocked",
		"enrollment_required", "mfa_not_required", "too_many_pending", "rate_limited", "backoff", "otp_throttled", "not_found", "internal"} {
		if !bytes.Contains(openAPI, []byte(code)) {
			t.Errorf("openapi.yaml does not list %s", code)
		}
	}
	if !bytes.Contains(openAPI, []byte(WebhookSignatureHeader)) {
		t.Error("openapi.yaml does not describe the webhook signature")
	}
}

// TestApprovalAfterBlockDenies: a user blocked while a request waits cannot
// be signed in by approving it.
func TestApprovalAfterBlockDenies(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	st := e.signIn("ada")
	r := p.request(t)
	if err := e.srv.SetBlocked("ada", true); err != nil {
		t.Fatal(err)
	}
	p.client.Answer(context.Background(), r, push.Approve, "", st.Number)
	if ev := p.result(t, r.ID); ev.Status != push.StatusDenied {
		t.Fatalf("approval of a blocked user: %+v", ev)
	}
	if final := e.status(st.ID, "0s"); final.Status != push.StatusDenied || final.Reason != "user_blocked" {
		t.Fatalf("relying party sees %+v", final)
	}
}

// TestUnknownEndpointsAnswerJSON: a wrong path or method under /v1/ gets
// the API's JSON error.
func TestUnknownEndpointsAnswerJSON(t *testing.T) {
	e := newEnv(t, Config{})
	for _, c := range []struct{ method, path string }{{"GET", "/v1/nothing"}, {"GET", "/v1/activate"}, {"DELETE", "/v1/auth-requests/x"}} {
		var ae apiErr
		if code := e.call(c.method, c.path, nil, &ae); code != http.StatusNotFound || ae.Error.Code != "not_found" ||
			ae.Error.Message != "no endpoint "+c.method+" "+c.path+"; the API is described at /openapi.yaml" {
			t.Errorf("%s %s: %d %+v", c.method, c.path, code, ae)
		}
	}
}

// TestEnrollmentRequiredReusesTheOpenCode: sign-ins of a user without a
// device point at one enrollment until it nears its expiry.
func TestEnrollmentRequiredReusesTheOpenCode(t *testing.T) {
	e := newEnv(t, Config{})
	url := func() string {
		var ae apiErr
		if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae); code != http.StatusConflict || ae.Error.Code != "enrollment_required" {
			t.Fatalf("no device: %d %+v", code, ae)
		}
		return ae.Error.EnrollURL
	}
	first := url()
	if again := url(); again != first {
		t.Fatalf("a second code: %s, then %s", first, again)
	}
	e.clock.Add(9*time.Minute + time.Second) // less than a minute left
	if later := url(); later == first {
		t.Fatal("the nearly expired enrollment was offered again")
	}
}

// TestRevokedByAnotherProcessIsDisconnected: a device revoked through the
// database by another process (an admin command beside the server) loses
// its connection without waiting for a sign-in.
func TestRevokedByAnotherProcessIsDisconnected(t *testing.T) {
	saved := revokeCheckInterval
	revokeCheckInterval = 200 * time.Millisecond
	t.Cleanup(func() { revokeCheckInterval = saved })
	e := newEnv(t, Config{Now: time.Now})
	p := e.activate("ada", "laptop")
	p.cancel()
	raw := e.helloRaw(t, p.act)
	if w := raw.read(t); w.Type != push.FrameWelcome {
		t.Fatalf("hello: %+v", w)
	}
	admin, err := Open(e.dir, Config{Logger: e.cfg.Logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Store().RevokeDevice(p.act.DeviceID, time.Now()); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err = raw.conn.Read(ctx)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("still connected after %v: %v", time.Since(started), err)
	}
}

// TestEveryErrorCodeHasAStatus: each code the server's code can refuse
// with is in statusOf (a missing one would answer 500).
func TestEveryErrorCodeHasAStatus(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`errorf\("([a-z_]+)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(src, -1) {
			n++
			if code := string(m[1]); httpStatus(code) == http.StatusInternalServerError && code != "internal" {
				t.Errorf("%s: error code %s has no HTTP status in statusOf", f, code)
			}
		}
	}
	if n < 30 {
		t.Fatalf("found only %d errorf calls", n)
	}
}

// TestAnswerOfADeviceRevokedWhileConnected: a device revoked by another
// process (the database changed, this process not yet told, so its
// connection is still open) cannot decide a request with its answer: the
// answer is refused as device_revoked, the connection is closed, and the
// request still waits.
func TestAnswerOfADeviceRevokedWhileConnected(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	p.cancel()
	st := e.signIn("ada")
	raw, r := e.helloRawPending(t, p.act)
	// As another process would: in the database only.
	if err := e.srv.Store().RevokeDevice(p.act.DeviceID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	a := push.Answer{RequestID: r.ID, DeviceID: p.act.DeviceID, Decision: push.Approve, Number: st.Number, Nonce: r.Nonce}
	raw.write(t, push.Frame{Type: push.FrameAnswer, Answer: &a, Signature: ed25519.Sign(p.act.PrivateKey, a.SigningBytes())})
	if f := raw.read(t); f.Type != push.FrameError || f.Error.Code != "device_revoked" {
		t.Fatalf("the revoked device's answer: %+v", f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := raw.conn.Read(ctx); err == nil {
		t.Fatal("the revoked device's connection stays open")
	}
	if got := e.status(st.ID, "0s"); got.Status != push.StatusPending {
		t.Fatalf("the request after the revoked device's answer: %+v", got)
	}
}
