package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/store"
)

// clock is a settable time for the server under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a real server on a loopback port with a real SQLite file.
type env struct {
	t      *testing.T
	dir    string
	addr   string
	cfg    Config
	srv    *Server
	ts     *httptest.Server
	apiKey string
	clock  *clock
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: &clock{t: time.Now()}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	cfg.PublicURL = "http://" + e.addr
	if cfg.Now == nil {
		cfg.Now = e.clock.Now
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	e.cfg = cfg
	e.start(ln)
	if err := e.srv.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	if e.apiKey, _, err = e.srv.AddRelyingParty("payroll", ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.stop)
	return e
}

func (e *env) start(ln net.Listener) {
	srv, err := Open(e.dir, e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv = srv
	e.ts = &httptest.Server{Listener: ln, Config: &http.Server{Handler: srv.Handler()}}
	e.ts.Start()
}

func (e *env) stop() {
	if e.ts != nil {
		e.ts.CloseClientConnections()
		e.ts.Close()
		e.srv.Close()
		e.ts = nil
	}
}

// restart stops the server and starts it again on the same port and data.
func (e *env) restart() {
	e.stop()
	ln, err := net.Listen("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.start(ln)
}

// call makes an API request with the relying party's key.
func (e *env) call(method, path string, body any, out any) int {
	e.t.Helper()
	return e.callWithKey(e.apiKey, method, path, body, out)
}

func (e *env) callWithKey(key, method, path string, body any, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+e.addr+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode
}

type apiErr struct {
	Error push.ErrorBody `json:"error"`
}

// phone is an activated device with its running client.
type phone struct {
	act    device.Activated
	client *device.Client
	events chan device.Event
	cancel context.CancelFunc
	// notices are the notices that await passed over, for notice().
	notices []push.Notice
}

func (e *env) activate(user, name string) *phone {
	e.t.Helper()
	enr, err := e.srv.Enroll(user)
	if err != nil {
		e.t.Fatal(err)
	}
	act, err := push.ParseActivationURI(enr.ActivationURI)
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := device.Activate(context.Background(), http.DefaultClient, act, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.connect(a)
}

func (e *env) connect(a device.Activated) *phone {
	p := &phone{act: a, events: make(chan device.Event, 64)}
	p.client = device.NewClient(a.Enrollment, a.PrivateKey, func(ev device.Event) { p.events <- ev })
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go p.client.Run(ctx)
	e.t.Cleanup(cancel)
	p.await(e.t, func(ev device.Event) bool { return ev.Kind == device.EventState && ev.State == device.Connected })
	return p
}

// await returns the first event matching ok, within 10 s.
func (p *phone) await(t *testing.T, ok func(device.Event) bool) device.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-p.events:
			if ok(ev) {
				return ev
			}
			if ev.Kind == device.EventNotice {
				p.notices = append(p.notices, ev.Notice)
			}
		case <-timeout:
			t.Fatal("the expected event did not arrive within 10 s")
		}
	}
}

func (p *phone) request(t *testing.T) push.Request {
	t.Helper()
	return p.await(t, func(ev device.Event) bool { return ev.Kind == device.EventRequest }).Request
}

func (p *phone) result(t *testing.T, id string) device.Event {
	t.Helper()
	return p.await(t, func(ev device.Event) bool { return ev.Kind == device.EventResult && ev.RequestID == id })
}

func (e *env) signIn(user string) push.AuthRequestState {
	e.t.Helper()
	var st push.AuthRequestState
	if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: user, Context: push.Context{App: "Payroll", IP: "203.0.113.7", Location: "Lyon, FR", UserAgent: "Firefox"}}, &st); code != http.StatusCreated {
		e.t.Fatalf("sign-in: HTTP %d %+v", code, st)
	}
	return st
}

func (e *env) status(id, wait string) push.AuthRequestState {
	e.t.Helper()
	var st push.AuthRequestState
	if code := e.call("GET", "/v1/auth-requests/"+id+"?wait="+wait, nil, &st); code != http.StatusOK {
		e.t.Fatalf("status: HTTP %d", code)
	}
	return st
}

func TestApproveEndToEnd(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	if p.act.Account != "ada" || p.act.TOTP.Digits != 6 || len(p.act.TOTP.Secret) != 32 {
		t.Fatalf("activation %+v", p.act.Enrollment)
	}
	st := e.signIn("ada")
	if st.Status != push.StatusPending || len(st.Number) != 2 {
		t.Fatalf("created %+v", st)
	}
	r := p.request(t)
	if r.ID != st.ID || r.User != "ada" || r.Context.App != "Payroll" || r.Context.IP != "203.0.113.7" || r.Context.Location != "Lyon, FR" {
		t.Fatalf("device got %+v", r)
	}
	// The relying party long-polls while the user answers.
	got := make(chan push.AuthRequestState, 1)
	go func() { got <- e.status(st.ID, "10s") }()
	if err := p.client.Answer(context.Background(), r, push.Approve, "", st.Number); err != nil {
		t.Fatal(err)
	}
	if ev := p.result(t, r.ID); ev.Status != push.StatusApproved {
		t.Fatalf("device result %+v", ev)
	}
	if final := <-got; final.Status != push.StatusApproved || final.DecidedAt.IsZero() {
		t.Fatalf("relying party sees %+v", final)
	}
	// A second decision changes nothing: the first wins.
	if err := p.client.Answer(context.Background(), r, push.Fraud, "", ""); err != nil {
		t.Fatal(err)
	}
	if ev := p.result(t, r.ID); ev.Status != push.StatusApproved {
		t.Fatalf("second decision: %+v", ev)
	}
	if u, _ := e.srv.Store().User("ada"); u.Blocked {
		t.Fatal("a late fraud report on a decided request blocked the user")
	}
}

func TestWrongNumberDenies(t *testing.T) {
	e := newEnv(t, Config{NumberDigits: 6})
	p := e.activate("ada", "laptop")
	st := e.signIn("ada")
	r := p.request(t)
	wrong := "000000"
	if st.Number == wrong {
		wrong = "000001"
	}
	p.client.Answer(context.Background(), r, push.Approve, "", wrong)
	if ev := p.result(t, r.ID); ev.Status != push.StatusDenied {
		t.Fatalf("wrong number: %+v", ev)
	}
	if final := e.status(st.ID, "0s"); final.Status != push.StatusDenied || final.Reason != "wrong_number" {
		t.Fatalf("relying party sees %+v", final)
	}
}

func TestDenyCarriesSignedReason(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	other := e.activate("ada", "phone")
	st := e.signIn("ada")
	r := p.request(t)
	other.request(t)
	p.client.Answer(context.Background(), r, push.Deny, push.ReasonNotMe, "")
	if ev := p.result(t, r.ID); ev.Status != push.StatusDenied {
		t.Fatalf("deny: %+v", ev)
	}
	// The other device is told the request is gone.
	ev := other.await(t, func(ev device.Event) bool { return ev.Kind == device.EventResolved })
	if ev.RequestID != r.ID || ev.Status != push.StatusDenied {
		t.Fatalf("other device: %+v", ev)
	}
	if final := e.status(st.ID, "0s"); final.Reason != "not_me" {
		t.Fatalf("reason %q", final.Reason)
	}
}

func TestFraudBlocksUser(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	st := e.signIn("ada")
	r := p.request(t)
	p.client.Answer(context.Background(), r, push.Fraud, "", "")
	if ev := p.result(t, r.ID); ev.Status != push.StatusFraud {
		t.Fatalf("fraud: %+v", ev)
	}
	if final := e.status(st.ID, "0s"); final.Status != push.StatusFraud {
		t.Fatalf("relying party sees %+v", final)
	}
	var ae apiErr
	if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae); code != http.StatusForbidden || ae.Error.Code != "user_blocked" {
		t.Fatalf("sign-in after fraud: %d %+v", code, ae)
	}
	if code := e.call("POST", "/v1/otp/verify", push.OTPVerifyBody{User: "ada", Code: "123456"}, &ae); code != http.StatusForbidden || ae.Error.Code != "user_blocked" {
		t.Fatalf("OTP after fraud: %d %+v", code, ae)
	}
	if got := e.auditKinds("ada"); got != "user_added,enrollment_created,device_activated,fraud,blocked,authentication" {
		t.Fatalf("audit %q", got)
	}
	if err := e.srv.SetBlocked("ada", false); err != nil {
		t.Fatal(err)
	}
	e.signIn("ada")
}

func TestFraudWebhookIsSigned(t *testing.T) {
	e := newEnv(t, Config{})
	got := make(chan *http.Request, 1)
	bodies := make(chan []byte, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer hook.Close()
	key, secret, err := e.srv.AddRelyingParty("shop", hook.URL+"/countersign")
	if err != nil {
		t.Fatal(err)
	}
	p := e.activate("ada", "laptop")
	var st push.AuthRequestState
	if code := e.callWithKey(key, "POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &st); code != http.StatusCreated {
		t.Fatalf("sign-in: %d", code)
	}
	r := p.request(t)
	p.client.Answer(context.Background(), r, push.Fraud, "", "")
	var req *http.Request
	select {
	case req = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook within 10 s")
	}
	body := <-bodies
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); req.Header.Get(WebhookSignatureHeader) != want || req.URL.Path != "/countersign" {
		t.Fatalf("webhook %s signed %q, want %q", req.URL.Path, req.Header.Get(WebhookSignatureHeader), want)
	}
	var state push.AuthRequestState
	if err := json.Unmarshal(body, &state); err != nil || state.ID != st.ID || state.Status != push.StatusFraud {
		t.Fatalf("webhook body %s", body)
	}
	if _, _, err := e.srv.AddRelyingParty("evil", "http://10.0.0.1/hook"); err == nil {
		t.Fatal("a plain-http webhook off this machine was accepted")
	}
}

func TestRequestExpires(t *testing.T) {
	e := newEnv(t, Config{RequestTTL: time.Second, Now: time.Now})
	p := e.activate("ada", "laptop")
	st := e.signIn("ada")
	r := p.request(t)
	ev := p.await(t, func(ev device.Event) bool { return ev.Kind == device.EventResolved })
	if ev.RequestID != r.ID || ev.Status != push.StatusExpired {
		t.Fatalf("device told %+v", ev)
	}
	if final := e.status(st.ID, "0s"); final.Status != push.StatusExpired {
		t.Fatalf("relying party sees %+v", final)
	}
	// An answer after expiry decides nothing.
	p.client.Answer(context.Background(), r, push.Approve, "", st.Number)
	if ev := p.result(t, r.ID); ev.Status != push.StatusExpired {
		t.Fatalf("late approval: %+v", ev)
	}
}

// rawDevice speaks the protocol by hand, to try what the real client never sends.
type rawDevice struct {
	conn *websocket.Conn
}

func (e *env) dialRaw(t *testing.T) (*rawDevice, string) {
	t.Helper()
	conn, _, err := websocket.Dial(context.Background(), "ws://"+e.addr+"/v1/devices/connect", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	d := &rawDevice{conn: conn}
	f := d.read(t)
	if f.Type != push.FrameChallenge {
		t.Fatalf("first frame %+v", f)
	}
	return d, f.Nonce
}

func (d *rawDevice) read(t *testing.T) push.Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := d.conn.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	f, err := push.DecodeFrame(data)
	if err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return f
}

func (d *rawDevice) write(t *testing.T, v any) {
	t.Helper()
	data, _ := json.Marshal(v)
	if err := d.conn.Write(context.Background(), websocket.MessageText, data); err != nil {
		t.Fatal(err)
	}
}

func (e *env) helloRaw(t *testing.T, a device.Activated) *rawDevice {
	t.Helper()
	d, nonce := e.dialRaw(t)
	d.write(t, push.Frame{Type: push.FrameHello, DeviceID: a.DeviceID, Signature: ed25519.Sign(a.PrivateKey, push.ConnectSigningBytes(nonce, a.DeviceID))})
	return d
}

// helloRawPending connects a as a raw device with one request pending for
// it, and reads what the server sends first: the request, then welcome.
func (e *env) helloRawPending(t *testing.T, a device.Activated) (*rawDevice, push.Request) {
	t.Helper()
	raw := e.helloRaw(t, a)
	f := raw.read(t)
	if f.Type != push.FrameRequest {
		t.Fatalf("expected the pending request, got %+v", f)
	}
	if w := raw.read(t); w.Type != push.FrameWelcome {
		t.Fatalf("expected welcome after the pending request, got %+v", w)
	}
	return raw, *f.Request
}

func TestConnectRefusesForgedAndRevoked(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	p.cancel()
	_, stranger, _ := ed25519.GenerateKey(nil)

	d, nonce := e.dialRaw(t)
	d.write(t, push.Frame{Type: push.FrameHello, DeviceID: p.act.DeviceID, Signature: ed25519.Sign(stranger, push.ConnectSigningBytes(nonce, p.act.DeviceID))})
	if f := d.read(t); f.Type != push.FrameError || !strings.Contains(f.Error.Message, "signature does not verify") {
		t.Fatalf("forged hello: %+v", f)
	}
	// A signature over an old challenge is a replay.
	d2, _ := e.dialRaw(t)
	d2.write(t, push.Frame{Type: push.FrameHello, DeviceID: p.act.DeviceID, Signature: ed25519.Sign(p.act.PrivateKey, push.ConnectSigningBytes(nonce, p.act.DeviceID))})
	if f := d2.read(t); f.Type != push.FrameError {
		t.Fatalf("replayed hello: %+v", f)
	}
	live := e.helloRaw(t, p.act)
	if w := live.read(t); w.Type != push.FrameWelcome {
		t.Fatalf("hello: %+v", w)
	}
	if err := e.srv.RevokeDevice(p.act.DeviceID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := live.conn.Read(ctx); err == nil {
		t.Fatal("a revoked device stays connected")
	}
	d3, nonce3 := e.dialRaw(t)
	d3.write(t, push.Frame{Type: push.FrameHello, DeviceID: p.act.DeviceID, Signature: ed25519.Sign(p.act.PrivateKey, push.ConnectSigningBytes(nonce3, p.act.DeviceID))})
	if f := d3.read(t); f.Type != push.FrameError || !strings.Contains(f.Error.Message, "revoked") {
		t.Fatalf("revoked hello: %+v", f)
	}
	var ae apiErr
	if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae); code != http.StatusConflict || ae.Error.Code != "enrollment_required" || !strings.HasPrefix(ae.Error.EnrollURL, "http://"+e.addr+"/enroll/") {
		t.Fatalf("sign-in with only a revoked device: %d %+v", code, ae)
	}
}

func TestAnswersThatMustFail(t *testing.T) {
	e := newEnv(t, Config{})
	if err := e.srv.AddUser("bob", true); err != nil {
		t.Fatal(err)
	}
	ada := e.activate("ada", "laptop")
	bob := e.activate("bob", "phone")
	ada.cancel()
	bob.cancel()
	st := e.signIn("ada")
	raw, r := e.helloRawPending(t, ada.act)
	answer := push.Answer{RequestID: r.ID, DeviceID: ada.act.DeviceID, Decision: push.Approve, Number: st.Number, Nonce: r.Nonce}
	_, stranger, _ := ed25519.GenerateKey(nil)
	cases := []struct {
		name string
		a    push.Answer
		key  ed25519.PrivateKey
		code string
	}{
		{"forged signature", answer, stranger, "bad_signature"},
		{"another device's id", func() push.Answer { a := answer; a.DeviceID = bob.act.DeviceID; return a }(), bob.act.PrivateKey, "device_revoked"},
		{"wrong nonce", func() push.Answer { a := answer; a.Nonce = "other"; return a }(), ada.act.PrivateKey, "bad_nonce"},
		{"unknown request", func() push.Answer { a := answer; a.RequestID = "nope"; return a }(), ada.act.PrivateKey, "not_found"},
	}
	for _, c := range cases {
		raw.write(t, push.Frame{Type: push.FrameAnswer, Answer: &c.a, Signature: ed25519.Sign(c.key, c.a.SigningBytes())})
		if f := raw.read(t); f.Type != push.FrameError || f.Error.Code != c.code {
			t.Errorf("%s: got %+v, want error %s", c.name, f, c.code)
		}
	}
	// Bob's device, properly signed, answering Ada's request.
	bobRaw := e.helloRaw(t, bob.act)
	if w := bobRaw.read(t); w.Type != push.FrameWelcome {
		t.Fatalf("bob's hello: %+v", w)
	}
	ba := push.Answer{RequestID: r.ID, DeviceID: bob.act.DeviceID, Decision: push.Approve, Number: st.Number, Nonce: r.Nonce}
	bobRaw.write(t, push.Frame{Type: push.FrameAnswer, Answer: &ba, Signature: ed25519.Sign(bob.act.PrivateKey, ba.SigningBytes())})
	if f := bobRaw.read(t); f.Type != push.FrameError || f.Error.Code != "not_found" {
		t.Fatalf("another user's device: %+v", f)
	}
	if now := e.status(st.ID, "0s"); now.Status != push.StatusPending {
		t.Fatalf("after the failed attempts: %+v", now)
	}
	// Malformed frames get an error and the connection lives on.
	raw.conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"answer","answer":`))
	if f := raw.read(t); f.Type != push.FrameError || f.Error.Code != "bad_frame" {
		t.Fatalf("malformed: %+v", f)
	}
	raw.write(t, push.Frame{Type: push.FrameAnswer, Answer: &answer, Signature: ed25519.Sign(ada.act.PrivateKey, answer.SigningBytes())})
	if f := raw.read(t); f.Type != push.FrameResult || f.Status != push.StatusApproved {
		t.Fatalf("the genuine answer: %+v", f)
	}
	// Replaying the same signed answer decides nothing new.
	raw.write(t, push.Frame{Type: push.FrameAnswer, Answer: &answer, Signature: ed25519.Sign(ada.act.PrivateKey, answer.SigningBytes())})
	if f := raw.read(t); f.Type != push.FrameResult || f.Status != push.StatusApproved {
		t.Fatalf("replay: %+v", f)
	}
	// An oversized frame closes the connection.
	raw.conn.Write(context.Background(), websocket.MessageText, bytes.Repeat([]byte("x"), push.MaxFrameSize+1))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := raw.conn.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("oversized frame: %v", err)
	}
}

func TestRelyingPartyAuthAndLimits(t *testing.T) {
	e := newEnv(t, Config{})
	var ae apiErr
	for _, key := range []string{"", "cs_wrong"} {
		if code := e.callWithKey(key, "POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae); code != http.StatusUnauthorized || ae.Error.Code != "unauthorized" {
			t.Fatalf("key %q: %d %+v", key, code, ae)
		}
	}
	if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "nobody"}, &ae); code != http.StatusNotFound || ae.Error.Code != "user_not_found" {
		t.Fatalf("unknown user: %d %+v", code, ae)
	}
	if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae); code != http.StatusConflict || ae.Error.Code != "enrollment_required" {
		t.Fatalf("no device: %d %+v", code, ae)
	}
	e.srv.AddUser("guest", false)
	ae = apiErr{}
	if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "guest"}, &ae); code != http.StatusConflict || ae.Error.Code != "mfa_not_required" || ae.Error.EnrollURL != "" {
		t.Fatalf("no device, MFA not required: %d %+v", code, ae)
	}
	e.activate("ada", "laptop")
	st := e.signIn("ada")
	if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae); code != http.StatusTooManyRequests || ae.Error.Code != "too_many_pending" {
		t.Fatalf("second pending: %d %+v", code, ae)
	}
	// Another relying party cannot read this one's request.
	otherKey, _, _ := e.srv.AddRelyingParty("intranet", "")
	if code := e.callWithKey(otherKey, "GET", "/v1/auth-requests/"+st.ID, nil, &ae); code != http.StatusNotFound {
		t.Fatalf("foreign request: %d", code)
	}
	big := strings.Repeat("x", maxBodySize+1)
	if code := e.call("POST", "/v1/auth-requests", map[string]string{"user": big}, &ae); code != http.StatusRequestEntityTooLarge || ae.Error.Code != "too_large" {
		t.Fatalf("huge body: %d %+v", code, ae)
	}
}

func TestActivationSingleUseAndExpiry(t *testing.T) {
	e := newEnv(t, Config{})
	enr, _ := e.srv.Enroll("ada")
	act, _ := push.ParseActivationURI(enr.ActivationURI)
	if _, err := device.Activate(context.Background(), http.DefaultClient, act, "first"); err != nil {
		t.Fatal(err)
	}
	_, err := device.Activate(context.Background(), http.DefaultClient, act, "second")
	if err == nil || !strings.Contains(err.Error(), "activation_used") {
		t.Fatalf("reuse: %v", err)
	}
	enr2, _ := e.srv.Enroll("ada")
	act2, _ := push.ParseActivationURI(enr2.ActivationURI)
	e.clock.Add(10 * time.Minute)
	if _, err := device.Activate(context.Background(), http.DefaultClient, act2, "late"); err == nil || !strings.Contains(err.Error(), "activation_expired") {
		t.Fatalf("expired: %v", err)
	}
	// A code for another server: the fingerprint does not match.
	enr3, _ := e.srv.Enroll("ada")
	act3, _ := push.ParseActivationURI(enr3.ActivationURI)
	other, _, _ := ed25519.GenerateKey(nil)
	act3.Fingerprint = push.Fingerprint(other)
	if _, err := device.Activate(context.Background(), http.DefaultClient, act3, "mitm"); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("fingerprint: %v", err)
	}
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOTPVerifyReplayThrottleBlock(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	verify := func(code string) (int, push.OTPVerifyResult, apiErr) {
		var raw json.RawMessage
		status := e.call("POST", "/v1/otp/verify", push.OTPVerifyBody{User: "ada", Code: code}, &raw)
		var res push.OTPVerifyResult
		var ae apiErr
		json.Unmarshal(raw, &res)
		json.Unmarshal(raw, &ae)
		return status, res, ae
	}
	now := e.clock.Now()
	good := totpCode(t, p.act.TOTP.Secret, now)
	if status, res, _ := verify(good); status != 200 || !res.Valid {
		t.Fatalf("good code: %d %+v", status, res)
	}
	if _, res, _ := verify(good); res.Valid {
		t.Fatal("the same code was accepted twice")
	}
	// The previous step's code is accepted (clock skew) if not used yet.
	e.clock.Add(30 * time.Second)
	if _, res, _ := verify(totpCode(t, p.act.TOTP.Secret, e.clock.Now())); !res.Valid {
		t.Fatal("the next step's code was refused")
	}
	wrong := func() string {
		for _, c := range []string{"000000", "111111", "222222"} {
			if c != totpCode(t, p.act.TOTP.Secret, e.clock.Now()) {
				return c
			}
		}
		return "333333"
	}
	// A good code resets the count of failures; five wrong ones reach the throttle.
	for range 5 {
		if _, res, _ := verify(wrong()); res.Valid {
			t.Fatal("a wrong code was accepted")
		}
	}
	status, _, ae := verify(wrong())
	if status != http.StatusTooManyRequests || ae.Error.Code != "otp_throttled" {
		t.Fatalf("after 5 failures: %d %+v", status, ae)
	}
	// Guessing on, each after its wait, ends in a block at 20.
	for i := 0; i < 15; i++ {
		e.clock.Add(time.Hour)
		verify(wrong())
	}
	e.clock.Add(time.Hour)
	status, _, ae = verify(totpCode(t, p.act.TOTP.Secret, e.clock.Now()))
	if status != http.StatusForbidden || ae.Error.Code != "user_blocked" {
		t.Fatalf("after 20 failures: %d %+v", status, ae)
	}
}

// TestServerRestartMidRequest restarts the server while a request waits:
// the device reconnects by itself, gets the request again, and its approval
// counts once.
func TestServerRestartMidRequest(t *testing.T) {
	e := newEnv(t, Config{Now: time.Now})
	p := e.activate("ada", "laptop")
	st := e.signIn("ada")
	r := p.request(t)
	e.restart()
	p.await(t, func(ev device.Event) bool { return ev.Kind == device.EventState && ev.State == device.Connected })
	pending := p.client.Pending()
	if len(pending) != 1 || pending[0].ID != r.ID {
		t.Fatalf("pending after reconnect: %+v", pending)
	}
	if err := p.client.Answer(context.Background(), r, push.Approve, "", st.Number); err != nil {
		t.Fatal(err)
	}
	if ev := p.result(t, r.ID); ev.Status != push.StatusApproved {
		t.Fatalf("after restart: %+v", ev)
	}
	if final := e.status(st.ID, "0s"); final.Status != push.StatusApproved {
		t.Fatalf("relying party sees %+v", final)
	}
	if got := e.auditKinds("ada"); got != "user_added,enrollment_created,device_activated,authentication" {
		t.Fatalf("audit after restart: %s", got)
	}
}

func TestEnrollmentPageFlow(t *testing.T) {
	e := newEnv(t, Config{Demo: true})
	enr, err := e.srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	token := enr.EnrollURL[strings.LastIndex(enr.EnrollURL, "/")+1:]
	get := func(path string) (int, []byte) {
		resp, err := http.Get("http://" + e.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, page := get("/enroll/" + token); code != 200 || !bytes.Contains(page, []byte("Add Countersign to your account")) {
		t.Fatalf("page: %d", code)
	}
	if code, img := get("/enroll/" + token + "/qr.png"); code != 200 || !bytes.HasPrefix(img, []byte("\x89PNG")) {
		t.Fatalf("qr: %d", code)
	}
	// The page long-polls; the app activates meanwhile; the page learns it at once.
	result := make(chan EnrollmentStatus, 1)
	started := time.Now()
	go func() {
		_, b := get("/v1/enrollments/" + token + "?wait=20s")
		var st EnrollmentStatus
		json.Unmarshal(b, &st)
		result <- st
	}()
	time.Sleep(100 * time.Millisecond)
	act, _ := push.ParseActivationURI(enr.ActivationURI)
	a, err := device.Activate(context.Background(), http.DefaultClient, act, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	st := <-result
	if st.Status != "activated" || st.User != "ada" || time.Since(started) > 10*time.Second {
		t.Fatalf("page status %+v after %v", st, time.Since(started))
	}
	if code, _ := get("/enroll/" + token + "/qr.png"); code != http.StatusGone {
		t.Fatalf("QR of a used code: %d", code)
	}
	var res push.OTPVerifyResult
	if code := e.post("/v1/enrollments/"+token+"/confirm", map[string]string{"code": totpCode(t, a.TOTP.Secret, e.clock.Now())}, &res); code != http.StatusOK || !res.Valid {
		t.Fatalf("the confirmation code was refused: %d %+v", code, res)
	}
	// Expired enrollments offer a new code.
	old, _ := e.srv.Enroll("ada")
	oldToken := old.EnrollURL[strings.LastIndex(old.EnrollURL, "/")+1:]
	e.clock.Add(11 * time.Minute)
	var renewed map[string]string
	e.post("/v1/enrollments/"+oldToken+"/renew", nil, &renewed)
	if !strings.HasPrefix(renewed["enroll_url"], "http://"+e.addr+"/enroll/") || renewed["enroll_url"] == old.EnrollURL {
		t.Fatalf("renew: %v", renewed)
	}
	if code, page := get("/"); code != 200 || !bytes.Contains(page, []byte("Sign in (demo)")) {
		t.Fatalf("demo page: %d", code)
	}
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte(`{"type":"hello","device_id":"d","signature":"AAAA"}`))
	f.Add([]byte(`{"type":"answer","answer":{"request_id":"r","device_id":"d","decision":"approve","number":"42","nonce":"n"},"signature":"AAAA"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := push.DecodeFrame(data)
		if err != nil {
			return
		}
		if fr.Type == push.FrameAnswer {
			if err := fr.Answer.Validate(); err != nil {
				t.Fatalf("accepted an invalid answer: %v", err)
			}
		}
		if _, err := json.Marshal(fr); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLongPollFallbackThroughAProxyThatBlocksWebsockets puts a proxy that
// refuses websocket upgrades in front of the server: the device falls back
// to signed HTTPS long-polling and the sign-in still completes.
func TestLongPollFallbackThroughAProxyThatBlocksWebsockets(t *testing.T) {
	e := newEnv(t, Config{Now: time.Now})
	target, _ := url.Parse("http://" + e.addr)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "websockets are not allowed here", http.StatusForbidden)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	defer func() { proxy.CloseClientConnections(); proxy.Close() }()
	enr, _ := e.srv.Enroll("ada")
	act, _ := push.ParseActivationURI(enr.ActivationURI)
	a, err := device.Activate(context.Background(), http.DefaultClient, act, "behind a proxy")
	if err != nil {
		t.Fatal(err)
	}
	a.WebsocketURL = "ws" + strings.TrimPrefix(proxy.URL, "http") + "/v1/devices/connect"
	p := e.connect(a)
	defer p.cancel()
	st := e.signIn("ada")
	r := p.request(t)
	if r.ID != st.ID {
		t.Fatalf("polled %+v", r)
	}
	if err := p.client.Answer(context.Background(), r, push.Approve, "", st.Number); err != nil {
		t.Fatal(err)
	}
	if ev := p.result(t, r.ID); ev.Status != push.StatusApproved {
		t.Fatalf("result %+v", ev)
	}
	if final := e.status(st.ID, "0s"); final.Status != push.StatusApproved {
		t.Fatalf("relying party sees %+v", final)
	}
	// A poll signed with another key, a replayed challenge and a forged
	// challenge are refused.
	poll := func(nonce string, key ed25519.PrivateKey) (int, string) {
		var ae apiErr
		return e.post("/v1/devices/poll", PollRequest{DeviceID: a.DeviceID, Nonce: nonce, Signature: ed25519.Sign(key, push.ConnectSigningBytes(nonce, a.DeviceID))}, &ae), ae.Error.Code
	}
	_, stranger, _ := ed25519.GenerateKey(nil)
	nonce := e.pollChallenge()
	if code, ec := poll(nonce, stranger); code != http.StatusForbidden || ec != "bad_signature" {
		t.Fatalf("poll signed by a stranger: %d %s", code, ec)
	}
	if code, _ := poll(nonce, a.PrivateKey); code != http.StatusOK {
		t.Fatalf("genuine poll: %d", code)
	}
	if code, ec := poll(nonce, a.PrivateKey); code != http.StatusForbidden || ec != "bad_nonce" {
		t.Fatalf("replayed challenge: %d %s", code, ec)
	}
	forged := []byte(e.pollChallenge())
	forged[10] ^= 1
	if code, ec := poll(string(forged), a.PrivateKey); code != http.StatusForbidden || ec != "bad_nonce" {
		t.Fatalf("forged challenge: %d %s", code, ec)
	}
}

func (e *env) pollChallenge() string {
	e.t.Helper()
	resp, err := http.Get("http://" + e.addr + "/v1/devices/challenge")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var ch map[string]string
	json.NewDecoder(resp.Body).Decode(&ch)
	return ch["nonce"]
}

// TestSelfServiceReplacesALostDevice: a user signs in with a code from the
// device they still have, adds a new one and removes the lost one.
func TestSelfServiceReplacesALostDevice(t *testing.T) {
	e := newEnv(t, Config{})
	if err := e.srv.AddUser("bob", true); err != nil {
		t.Fatal(err)
	}
	kept := e.activate("ada", "phone")
	lost := e.activate("ada", "old laptop")
	bobs := e.activate("bob", "bob's phone")
	post := func(path, token string, body any, out any) int {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", "http://"+e.addr+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "http://"+e.addr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(out)
		return resp.StatusCode
	}
	var ae apiErr
	if code := post("/v1/self-service/sign-in", "", map[string]string{"user": "ada", "code": "000000"}, &ae); code != http.StatusUnauthorized || ae.Error.Code != "wrong_code" {
		t.Fatalf("wrong code: %d %+v", code, ae)
	}
	var tok map[string]string
	code := totpCode(t, kept.act.TOTP.Secret, e.clock.Now())
	if status := post("/v1/self-service/sign-in", "", map[string]string{"user": "ada", "code": code}, &tok); status != 200 || tok["token"] == "" {
		t.Fatalf("sign-in: %d %v", status, tok)
	}
	req, _ := http.NewRequest("GET", "http://"+e.addr+"/v1/self-service/devices", nil)
	req.Header.Set("Authorization", "Bearer "+tok["token"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var devices []SelfServiceDevice
	json.NewDecoder(resp.Body).Decode(&devices)
	resp.Body.Close()
	if len(devices) != 2 || devices[0].Name != "phone" || devices[1].Name != "old laptop" || !devices[1].Active {
		t.Fatalf("devices %+v", devices)
	}
	// Bob's device is not Ada's to revoke.
	if status := post("/v1/self-service/devices/"+bobs.act.DeviceID+"/revoke", tok["token"], nil, &ae); status != http.StatusNotFound {
		t.Fatalf("revoking another user's device: %d", status)
	}
	var revoked map[string]string
	if status := post("/v1/self-service/devices/"+lost.act.DeviceID+"/revoke", tok["token"], nil, &revoked); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	if d, _ := e.srv.Store().Device(lost.act.DeviceID); d.Active() {
		t.Fatal("the lost device is still active")
	}
	var enroll map[string]string
	if status := post("/v1/self-service/enroll", tok["token"], nil, &enroll); status != 200 || !strings.HasPrefix(enroll["enroll_url"], "http://"+e.addr+"/enroll/") {
		t.Fatalf("enroll: %d %v", status, enroll)
	}
	if status := post("/v1/self-service/enroll", "forged", nil, &ae); status != http.StatusUnauthorized {
		t.Fatalf("forged session: %d", status)
	}
	e.clock.Add(11 * time.Minute)
	if status := post("/v1/self-service/enroll", tok["token"], nil, &ae); status != http.StatusUnauthorized {
		t.Fatalf("expired session: %d", status)
	}
}

// auditKinds lists the kinds of a user's audit events, oldest first.
func (e *env) auditKinds(user string) string {
	e.t.Helper()
	events, err := e.srv.Store().AuditEvents(user)
	if err != nil {
		e.t.Fatal(err)
	}
	var kinds []string
	for _, ev := range events {
		kinds = append(kinds, string(ev.Kind))
	}
	return strings.Join(kinds, ",")
}

// The request a long-poll is handed when the decision is made in this
// process is the request as stored, method included (Duo's synchronous
// auth shows the number only for a push).
func TestLongPollGetsTheStoredRequest(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	st := e.signIn("ada")
	r := p.request(t)
	got := make(chan store.AuthRequest, 1)
	go func() {
		req, err := e.srv.waitForDecision(context.Background(), "payroll", st.ID, 10*time.Second)
		if err != nil {
			t.Error(err)
		}
		got <- req
	}()
	time.Sleep(100 * time.Millisecond) // the long-poll waits
	if err := p.client.Answer(context.Background(), r, push.Approve, "", st.Number); err != nil {
		t.Fatal(err)
	}
	req := <-got
	stored, err := e.srv.Store().AuthRequest(st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if req.Status != push.StatusApproved || req.Method != push.MethodPush || req.Method != stored.Method || req.Number != stored.Number || !req.DecidedAt.Equal(stored.DecidedAt) || req.DecidedBy != stored.DecidedBy {
		t.Fatalf("the long-poll got %+v, the database holds %+v", req, stored)
	}
}
