package server

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	duoapi "github.com/duosecurity/duo_api_golang"
	"github.com/duosecurity/duo_api_golang/authapi"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
)

// overHTTP sends Duo's client's HTTPS requests as plain HTTP to the test
// server (TLS with Duo's clients is tested in cmd/countersignd); the
// requests are signed and built by the client as ever.
type overHTTP struct{}

func (overHTTP) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme = "http"
	return http.DefaultTransport.RoundTrip(r)
}

// duo registers an integration and returns Duo's Go client for it.
func (e *env) duo(name string, o RelyingPartyOptions) *authapi.AuthApi {
	e.t.Helper()
	c, err := e.srv.NewRelyingParty(name, o)
	if err != nil {
		e.t.Fatal(err)
	}
	api := duoapi.NewDuoApi(c.IKey, c.SKey, c.APIHostname, "countersign-test")
	api.SetCustomHTTPClient(&http.Client{Transport: overHTTP{}, Timeout: 60 * time.Second})
	return authapi.NewAuthApi(*api)
}

func failed(r duoapi.StatResult) int32 {
	if r.Stat != "FAIL" || r.Code == nil {
		return 0
	}
	return *r.Code
}

// TestDuoEnroll: enroll adds the user and gives our activation (the QR
// image's URL, the countersign:// URI); enroll_status follows it from
// waiting to success, and is invalid for another user or a made-up code.
func TestDuoEnroll(t *testing.T) {
	e := newEnv(t, Config{})
	duo := e.duo("wiki", RelyingPartyOptions{})
	if r, err := duo.Enroll(); err != nil || failed(r.StatResult) != 40001 {
		t.Fatalf("enroll without a username: %+v %v", r, err)
	}
	r, err := duo.Enroll(authapi.EnrollUsername("grace"))
	if err != nil || r.Stat != "OK" || r.Response.Username != "grace" || r.Response.User_Id != "grace" {
		t.Fatalf("enroll: %+v %v", r, err)
	}
	if _, err := e.srv.Store().User("grace"); err != nil {
		t.Fatalf("enroll did not add grace: %v", err)
	}
	if !regexp.MustCompile(`^http://`+regexp.QuoteMeta(e.addr)+`/enroll/[A-Za-z0-9_-]+/qr.png$`).MatchString(r.Response.Activation_Barcode) ||
		time.Until(time.Unix(r.Response.Expiration, 0)) < 9*time.Minute {
		t.Fatalf("enroll: %+v", r.Response)
	}
	resp, err := http.Get(r.Response.Activation_Barcode)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("barcode: %v %v", resp, err)
	}
	resp.Body.Close()
	act, err := push.ParseActivationURI(r.Response.Activation_Code)
	if err != nil {
		t.Fatalf("activation_code %q: %v", r.Response.Activation_Code, err)
	}
	status := func(user, code string) string {
		t.Helper()
		st, err := duo.EnrollStatus(user, code)
		if err != nil || st.Stat != "OK" {
			t.Fatalf("enroll_status: %+v %v", st, err)
		}
		return st.Response
	}
	if got := status("grace", r.Response.Activation_Code); got != "waiting" {
		t.Fatalf("before activation: %s", got)
	}
	if _, err := device.Activate(context.Background(), http.DefaultClient, act, "grace's phone"); err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]string{"grace": "success", "ada": "invalid"} {
		if got := status(user, r.Response.Activation_Code); got != want {
			t.Fatalf("after activation, for %s: %s, want %s", user, got, want)
		}
	}
	if got := status("grace", "countersign://activate?code=made-up"); got != "invalid" {
		t.Fatalf("a made-up code: %s", got)
	}
	// grace has a device now: a second one waits for its approval.
	r, _ = duo.Enroll(authapi.EnrollUsername("grace"))
	act, _ = push.ParseActivationURI(r.Response.Activation_Code)
	if _, err := device.Activate(context.Background(), http.DefaultClient, act, "grace's tablet"); err != nil {
		t.Fatal(err)
	}
	if got := status("grace", r.Response.Activation_Code); got != "waiting" {
		t.Fatalf("a device waiting for approval: %s", got)
	}
}

// TestDuoPhoneFactors: the user's phone is a device of preauth; factor sms
// sends a code (deny, sent) that factor passcode then takes; factor phone
// calls, and the key pressed decides; auto calls a user without the app.
func TestDuoPhoneFactors(t *testing.T) {
	e, outbox := phoneEnv(t, Config{})
	duo := e.duo("vpn", RelyingPartyOptions{})
	pre, err := duo.Preauth(authapi.PreauthUsername("ada"))
	if err != nil || pre.Response.Result != "auth" || len(pre.Response.Devices) != 1 {
		t.Fatalf("preauth: %+v %v", pre, err)
	}
	if d := pre.Response.Devices[0]; d.Device != "phone" || d.Number != "XXX-XXX-0958" || strings.Join(d.Capabilities, ",") != "auto,phone,sms" {
		t.Fatalf("the phone: %+v", d)
	}
	res, err := duo.Auth("sms", authapi.AuthUsername("ada"))
	if err != nil || res.Response.Result != "deny" || res.Response.Status != "sent" {
		t.Fatalf("factor sms: %+v %v", res, err)
	}
	msgs := readOutbox(t, outbox)
	code := sixDigits.FindString(msgs[len(msgs)-1].Body)
	for i, want := range []string{"allow", "deny"} {
		res, err := duo.Auth("passcode", authapi.AuthUsername("ada"), authapi.AuthPasscode(code))
		if err != nil || res.Response.Result != want {
			t.Fatalf("the text message's code, try %d: %+v %v, want %s", i+1, res, err, want)
		}
	}
	for _, factor := range []string{"phone", "auto"} {
		res, err = duo.Auth(factor, authapi.AuthUsername("ada"), authapi.AuthAsync())
		if err != nil || res.Response.Txid == "" {
			t.Fatalf("factor %s: %+v %v", factor, res, err)
		}
		st, _ := duo.AuthStatus(res.Response.Txid)
		if st.Response.Result != "waiting" || st.Response.Status != "calling" {
			t.Fatalf("factor %s, calling: %+v", factor, st.Response)
		}
		if code, got := e.playCallback(t, e.cfg.TelephonyCallbackSecret, res.Response.Txid, "#"); code != http.StatusOK || got.Status != push.StatusApproved {
			t.Fatalf("factor %s, callback: %d %+v", factor, code, got)
		}
		if st, _ = duo.AuthStatus(res.Response.Txid); st.Response.Result != "allow" || st.Response.Status != "allow" {
			t.Fatalf("factor %s, after #: %+v", factor, st.Response)
		}
	}
}

// TestDuoApproveOnlyWithTheDeviceClient: an approve-only integration's
// push says so, signed, and push/device's client approves it without a
// number; auth_status's first answer comes at once, the next long-polls
// until the decision.
func TestDuoApproveOnlyWithTheDeviceClient(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "ada's phone")
	duo := e.duo("kiosk", RelyingPartyOptions{ApproveOnly: true})
	res, err := duo.Auth("push", authapi.AuthUsername("ada"), authapi.AuthAsync())
	if err != nil || res.Response.Txid == "" {
		t.Fatalf("auth: %+v %v", res, err)
	}
	req := p.request(t)
	if !req.ApproveOnly || req.ID != res.Response.Txid {
		t.Fatalf("on the device: %+v", req)
	}
	st, err := duo.AuthStatus(res.Response.Txid)
	if err != nil || st.Response.Status != "pushed" || st.Response.Status_Msg != "Pushed a login request to your device. Approve it in the Countersign app." {
		t.Fatalf("first auth_status: %+v %v", st, err)
	}
	polled := make(chan *authapi.AuthStatusResult, 1)
	start := time.Now()
	go func() {
		st, _ := duo.AuthStatus(res.Response.Txid)
		polled <- st
	}()
	time.Sleep(300 * time.Millisecond)
	if err := p.client.Answer(context.Background(), req, push.Approve, push.ReasonNone, ""); err != nil {
		t.Fatal(err)
	}
	if ev := p.result(t, req.ID); ev.Status != push.StatusApproved {
		t.Fatalf("the device's result: %+v", ev)
	}
	select {
	case st := <-polled:
		if st.Response.Result != "allow" || time.Since(start) < 300*time.Millisecond {
			t.Fatalf("long-poll: %+v after %v", st.Response, time.Since(start))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long-poll did not end with the decision")
	}
	// The request of a relying party with number matching is not approved
	// by the device's client without the number.
	other := e.duo("vpn", RelyingPartyOptions{})
	res, _ = other.Auth("push", authapi.AuthUsername("ada"), authapi.AuthAsync())
	req = p.request(t)
	if req.ApproveOnly {
		t.Fatal("a number-matching request marked approve-only")
	}
	if err := p.client.Answer(context.Background(), req, push.Approve, push.ReasonNone, ""); err == nil {
		t.Fatal("the device client sent an approval without a number")
	}
	if err := p.client.Answer(context.Background(), req, push.Approve, push.ReasonNone, push.ApproveOnlyNumber); err != nil {
		t.Fatal(err)
	}
	if ev := p.result(t, req.ID); ev.Status != push.StatusDenied {
		t.Fatalf("the marker as the number: %+v", ev)
	}
}

// TestDuoRefusals: missing and invalid parameters, unknown transactions
// (another integration's included) and endpoints, unsigned calls; users
// without a device; an async passcode answered by auth_status.
func TestDuoRefusals(t *testing.T) {
	e := newEnv(t, Config{})
	duo := e.duo("vpn", RelyingPartyOptions{})
	other := e.duo("wiki", RelyingPartyOptions{})
	e.activate("ada", "ada's phone")
	if r, _ := duo.Preauth(); failed(r.StatResult) != 40001 {
		t.Fatalf("preauth without a user: %+v", r)
	}
	for factor, want := range map[string]int32{"": 40001, "carrier-pigeon": 40002} {
		if r, _ := duo.Auth(factor, authapi.AuthUsername("ada")); failed(r.StatResult) != want {
			t.Fatalf("factor %q: %+v, want %d", factor, r, want)
		}
	}
	if r, _ := duo.Auth("passcode", authapi.AuthUsername("ada")); failed(r.StatResult) != 40001 {
		t.Fatalf("passcode without one: %+v", r)
	}
	if r, _ := duo.Auth("push", authapi.AuthUsername("nobody")); failed(r.StatResult) != 40002 {
		t.Fatalf("push to an unknown user: %+v", r)
	}
	res, _ := duo.Auth("push", authapi.AuthUsername("ada"), authapi.AuthAsync())
	if r, _ := other.AuthStatus(res.Response.Txid); failed(r.StatResult) != 40002 {
		t.Fatalf("another integration's transaction: %+v", r)
	}
	if r, _ := duo.AuthStatus("0123456789abcdef0123456789abcdef"); failed(r.StatResult) != 40002 {
		t.Fatalf("an unknown transaction: %+v", r)
	}
	api := duoapi.NewDuoApi("DIX", "x", e.addr, "countersign-test")
	api.SetCustomHTTPClient(&http.Client{Transport: overHTTP{}})
	if resp, body, err := api.Call("GET", "/auth/v2/check", nil); err != nil || resp.StatusCode != 401 || !strings.Contains(string(body), `"code":40101`) {
		t.Fatalf("unsigned check: %v %s %v", resp, body, err)
	}
	if resp, body, _ := api.Call("GET", "/auth/v2/ping", nil); resp.StatusCode != 200 || !strings.Contains(string(body), `"stat":"OK"`) {
		t.Fatalf("unsigned ping: %s", body)
	}
	if resp, body, _ := api.Call("GET", "/auth/v2/nope", nil); resp.StatusCode != 404 || !strings.Contains(string(body), `"code":40401`) {
		t.Fatalf("unknown endpoint: %s", body)
	}

	// Async passcode: the answer is a transaction that auth_status gives.
	res, err := duo.Auth("passcode", authapi.AuthUsername("ada"), authapi.AuthPasscode("000000x"), authapi.AuthAsync())
	if err != nil || res.Response.Txid == "" {
		t.Fatalf("async passcode: %+v %v", res, err)
	}
	if st, _ := duo.AuthStatus(res.Response.Txid); st.Response.Result != "deny" || st.Response.Status != "deny" {
		t.Fatalf("async passcode's status: %+v", st.Response)
	}

	// Users without a device: enroll (with our enrollment page) when the
	// second factor is required, allow when it is not.
	e.srv.AddUser("new", true)
	e.srv.AddUser("lax", false)
	pre, _ := duo.Preauth(authapi.PreauthUsername("new"))
	if pre.Response.Result != "enroll" || !strings.HasPrefix(pre.Response.Enroll_Portal_Url, "http://"+e.addr+"/enroll/") {
		t.Fatalf("preauth of a user without a device: %+v", pre.Response)
	}
	if pre, _ := duo.Preauth(authapi.PreauthUsername("lax")); pre.Response.Result != "allow" {
		t.Fatalf("preauth of a user who needs no second factor: %+v", pre.Response)
	}
	if r, _ := duo.Auth("push", authapi.AuthUsername("lax")); r.Response.Result != "allow" || r.Response.Status != "bypass" {
		t.Fatalf("auth of a user who needs no second factor: %+v", r.Response)
	}
}
