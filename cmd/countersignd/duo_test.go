package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	duoapi "github.com/duosecurity/duo_api_golang"
	"github.com/duosecurity/duo_api_golang/authapi"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/countersign/countersign/push"
)

// rpCredentials is rp add --json.
type rpCredentials struct {
	Name        string `json:"name"`
	APIKey      string `json:"api_key"`
	IKey        string `json:"ikey"`
	SKey        string `json:"skey"`
	APIHostname string `json:"api_hostname"`
}

// duoEnv is a countersignd serving HTTPS with a certificate made by the
// test, with a user whose phone (the test's device) is activated.
type duoEnv struct {
	srv     *served
	dir     string
	certPEM []byte
	pool    *x509.CertPool
	client  *http.Client
	dev     *testDevice
}

func startDuoServer(t *testing.T) *duoEnv {
	t.Helper()
	e := &duoEnv{dir: t.TempDir()}
	var keyPEM []byte
	e.certPEM, keyPEM, e.pool = selfSigned(t)
	certFile, keyFile := filepath.Join(e.dir, "cert.pem"), filepath.Join(e.dir, "key.pem")
	os.WriteFile(certFile, e.certPEM, 0o600)
	os.WriteFile(keyFile, keyPEM, 0o600)
	e.srv = serve(t, "--addr", "127.0.0.1:0", "--data", e.dir, "--tls-cert", certFile, "--tls-key", keyFile)
	e.client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.pool}}}
	must(t, "user", "add", "ada", "--data", e.dir)
	var enr struct {
		ActivationURI string `json:"activation_uri"`
	}
	json.Unmarshal([]byte(must(t, "enroll", "ada", "--json", "--data", e.dir)), &enr)
	e.dev = activateDevice(t, e.client, enr.ActivationURI)
	return e
}

// addRP runs rp add NAME --json (with more flags) and checks that it
// prints exactly the five documented fields.
func (e *duoEnv) addRP(t *testing.T, name string, flags ...string) rpCredentials {
	t.Helper()
	out := must(t, append([]string{"rp", "add", name, "--json", "--data", e.dir}, flags...)...)
	var fields map[string]any
	if err := json.Unmarshal([]byte(out), &fields); err != nil || len(fields) != 5 {
		t.Fatalf("rp add --json printed %q", out)
	}
	var c rpCredentials
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("rp add --json: %v: %s", err, out)
	}
	if c.Name != name || !strings.HasPrefix(c.APIKey, "cs_") || !regexp.MustCompile(`^DI[A-Z0-9]{18}$`).MatchString(c.IKey) ||
		!regexp.MustCompile(`^[A-Za-z0-9]{40}$`).MatchString(c.SKey) || c.APIHostname != e.srv.addr {
		t.Fatalf("rp add --json: %+v (serving at %s)", c, e.srv.addr)
	}
	return c
}

// duo is Duo's Go client for an integration. Duo's client pins Duo's own
// CAs; duoapi.SetTransport is its option to trust another one.
func (e *duoEnv) duo(ikey, skey, host string) *authapi.AuthApi {
	return authapi.NewAuthApi(*duoapi.NewDuoApi(ikey, skey, host, "countersign-test",
		duoapi.SetTimeout(30*time.Second),
		duoapi.SetTransport(func(tr *http.Transport) { tr.TLSClientConfig.RootCAs = e.pool })))
}

// failCode is the code of a FAIL answer, or 0.
func failCode(r duoapi.StatResult) int32 {
	if r.Stat != "FAIL" || r.Code == nil {
		return 0
	}
	return *r.Code
}

// numberRe finds the number to type in auth_status's message.
var numberRe = regexp.MustCompile(`Enter (\d+) in the Countersign app`)

// answer sends the device's signed answer to the request of frame f and
// returns the server's verdict.
func (d *testDevice) answer(t *testing.T, f push.Frame, decision push.Decision, number string) push.Status {
	t.Helper()
	a := push.Answer{RequestID: f.Request.ID, DeviceID: d.id, Decision: decision, Number: number, Nonce: f.Request.Nonce}
	if decision == push.Fraud {
		a.Reason = push.ReasonNotMe
	}
	d.write(t, push.Frame{Type: push.FrameAnswer, Answer: &a, Signature: ed25519.Sign(d.key, a.SigningBytes())})
	r := d.read(t)
	if r.Type != push.FrameResult || r.RequestID != f.Request.ID {
		t.Fatalf("after the answer: %+v", r)
	}
	return r.Status
}

// TestDuoGoClient drives countersignd with Duo's own Go client
// (duo_api_golang's authapi) over HTTPS: check, preauth, push with number
// matching, denial, approve-only, passcodes and their replay, fraud, and
// the refusals of a wrong secret key and of a stale date.
func TestDuoGoClient(t *testing.T) {
	e := startDuoServer(t)
	rp := e.addRP(t, "vpn")
	duo := e.duo(rp.IKey, rp.SKey, rp.APIHostname)

	ping, err := duo.Ping()
	if err != nil || ping.Stat != "OK" || time.Since(time.Unix(ping.Response.Time, 0)).Abs() > time.Minute {
		t.Fatalf("ping: %+v %v", ping, err)
	}
	check, err := duo.Check()
	if err != nil || check.Stat != "OK" || time.Since(time.Unix(check.Response.Time, 0)).Abs() > time.Minute {
		t.Fatalf("check: %+v %v", check, err)
	}

	// preauth: a user with a device, one unknown, one blocked.
	must(t, "user", "add", "bob", "--data", e.dir)
	must(t, "user", "block", "bob", "--data", e.dir)
	pre, err := duo.Preauth(authapi.PreauthUsername("ada"))
	if err != nil || pre.Stat != "OK" || pre.Response.Result != "auth" || len(pre.Response.Devices) != 1 {
		t.Fatalf("preauth ada: %+v %v", pre, err)
	}
	if dev := pre.Response.Devices[0]; dev.Device != e.dev.id || dev.Type != "phone" || dev.Name != "test phone" ||
		strings.Join(dev.Capabilities, ",") != "auto,push,mobile_otp" {
		t.Fatalf("ada's device: %+v", dev)
	}
	for user, want := range map[string]string{"nobody": "enroll", "bob": "deny"} {
		pre, err := duo.Preauth(authapi.PreauthUsername(user))
		if err != nil || pre.Stat != "OK" || pre.Response.Result != want {
			t.Fatalf("preauth %s: %+v %v, want %s", user, pre, err, want)
		}
	}

	// auth push, async: the number is in the first auth_status; the
	// device types it and approves.
	txid := pushAsync(t, duo, "ada")
	st, err := duo.AuthStatus(txid)
	if err != nil || st.Response.Result != "waiting" || st.Response.Status != "pushed" {
		t.Fatalf("first auth_status: %+v %v", st, err)
	}
	m := numberRe.FindStringSubmatch(st.Response.Status_Msg)
	if m == nil {
		t.Fatalf("no number in status_msg %q", st.Response.Status_Msg)
	}
	f := e.dev.read(t)
	if f.Type != push.FrameRequest || f.Request.ID != txid || f.Request.Application != "vpn" || f.Request.ApproveOnly {
		t.Fatalf("device got %+v", f)
	}
	if got := e.dev.answer(t, f, push.Approve, m[1]); got != push.StatusApproved {
		t.Fatalf("approval with the number from status_msg: %s", got)
	}
	expectStatus(t, duo, txid, "allow", "allow")

	// Denied on the device.
	txid = pushAsync(t, duo, "ada")
	expectStatus(t, duo, txid, "waiting", "pushed")
	if got := e.dev.answer(t, e.dev.read(t), push.Deny, ""); got != push.StatusDenied {
		t.Fatalf("denial: %s", got)
	}
	expectStatus(t, duo, txid, "deny", "deny")

	// The approve-only marker does not approve a request that has a number.
	txid = pushAsync(t, duo, "ada")
	if got := e.dev.answer(t, e.dev.read(t), push.Approve, push.ApproveOnlyNumber); got != push.StatusDenied {
		t.Fatalf("approve-only marker on a number-matching request: %s", got)
	}
	expectStatus(t, duo, txid, "deny", "deny")

	// An approve-only integration: no number anywhere; the request says so
	// to the device, which approves without one. Synchronous this time.
	kiosk := e.addRP(t, "kiosk", "--approve-only")
	kduo := e.duo(kiosk.IKey, kiosk.SKey, kiosk.APIHostname)
	done := make(chan *authapi.AuthResult, 1)
	go func() {
		res, err := kduo.Auth("push", authapi.AuthUsername("ada"), authapi.AuthType("Kiosk login"))
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	f = e.dev.read(t)
	if !f.Request.ApproveOnly || f.Request.Application != "kiosk" || f.Request.Context.App != "Kiosk login" {
		t.Fatalf("approve-only request on the device: %+v", f.Request)
	}
	if got := e.dev.answer(t, f, push.Approve, push.ApproveOnlyNumber); got != push.StatusApproved {
		t.Fatalf("approve-only approval: %s", got)
	}
	if res := <-done; res == nil || res.Response.Result != "allow" || res.Response.Status != "allow" || numberRe.MatchString(res.Response.Status_Msg) {
		t.Fatalf("synchronous approve-only auth: %+v", res)
	}

	// auth passcode with the device's code; the same code again is refused.
	code, err := totp.GenerateCodeCustom(e.dev.totp.Secret, time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"allow", "deny"} {
		res, err := duo.Auth("passcode", authapi.AuthUsername("ada"), authapi.AuthPasscode(code))
		if err != nil || res.Stat != "OK" || res.Response.Result != want || res.Response.Status != want {
			t.Fatalf("passcode, try %d: %+v %v, want %s", i+1, res, err, want)
		}
	}

	// Report fraud: the answer says fraud, and ada is locked out.
	txid = pushAsync(t, duo, "ada")
	expectStatus(t, duo, txid, "waiting", "pushed")
	if got := e.dev.answer(t, e.dev.read(t), push.Fraud, ""); got != push.StatusFraud {
		t.Fatalf("fraud: %s", got)
	}
	expectStatus(t, duo, txid, "deny", "fraud")
	if pre, _ := duo.Preauth(authapi.PreauthUsername("ada")); pre.Response.Result != "deny" {
		t.Fatalf("preauth after fraud: %+v", pre)
	}
	if res, _ := duo.Auth("push", authapi.AuthUsername("ada"), authapi.AuthAsync()); res.Response.Txid != "" {
		if st, _ := duo.AuthStatus(res.Response.Txid); st.Response.Status != "locked_out" {
			t.Fatalf("auth after fraud: %+v", st)
		}
	} else if res.Response.Status != "locked_out" {
		t.Fatalf("auth after fraud: %+v", res)
	}

	// A wrong secret key, an unknown integration key.
	if c, err := e.duo(rp.IKey, strings.Repeat("x", 40), rp.APIHostname).Check(); err != nil || failCode(c.StatResult) != 40103 {
		t.Fatalf("wrong secret key: %+v %v", c, err)
	}
	if c, err := e.duo("DIUNKNOWN00000000000", rp.SKey, rp.APIHostname).Check(); err != nil || failCode(c.StatResult) != 40102 {
		t.Fatalf("unknown integration key: %+v %v", c, err)
	}

	// A stale Date. Duo's client always signs the time now, so this
	// request is signed here, as Duo's documentation describes it
	// (HMAC-SHA512 of date, method, host, path and parameters); the same
	// signer with the time now is accepted.
	for _, c := range []struct {
		date time.Time
		want int
	}{{time.Now(), 200}, {time.Now().Add(-6 * time.Minute), 401}, {time.Now().Add(6 * time.Minute), 401}} {
		status, body := signedGet(t, e.client, rp, "/auth/v2/check", c.date)
		if status != c.want || (c.want == 401 && !strings.Contains(body, `"code":40105`)) {
			t.Fatalf("Date %s: %d %s", c.date.Format(time.RFC1123Z), status, body)
		}
	}

	logs := e.srv.logs()
	for name, secret := range map[string]string{"secret key": rp.SKey, "API key": rp.APIKey, "passcode": code} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s", name)
		}
	}
}

// pushAsync starts an async push and returns its transaction id.
func pushAsync(t *testing.T, duo *authapi.AuthApi, user string) string {
	t.Helper()
	res, err := duo.Auth("push", authapi.AuthUsername(user), authapi.AuthAsync())
	if err != nil || res.Stat != "OK" || res.Response.Txid == "" {
		t.Fatalf("auth push async: %+v %v", res, err)
	}
	return res.Response.Txid
}

// expectStatus calls auth_status until the transaction is no longer
// waiting (or once, when waiting is expected).
func expectStatus(t *testing.T, duo *authapi.AuthApi, txid, result, status string) {
	t.Helper()
	for range 5 {
		st, err := duo.AuthStatus(txid)
		if err != nil || st.Stat != "OK" {
			t.Fatalf("auth_status: %+v %v", st, err)
		}
		if st.Response.Result == result && st.Response.Status == status {
			return
		}
		if st.Response.Result != "waiting" || result == "waiting" {
			t.Fatalf("auth_status: %+v, want %s/%s", st.Response, result, status)
		}
	}
	t.Fatalf("auth_status still waiting, want %s/%s", result, status)
}

// signedGet makes a GET signed with Duo's v2 canonical text and
// HMAC-SHA512 at date, and returns the status and body.
func signedGet(t *testing.T, client *http.Client, rp rpCredentials, path string, date time.Time) (int, string) {
	t.Helper()
	d := date.UTC().Format(time.RFC1123Z)
	mac := hmac.New(sha512.New, []byte(rp.SKey))
	mac.Write([]byte(strings.Join([]string{d, "GET", strings.ToLower(rp.APIHostname), path, ""}, "\n")))
	req, _ := http.NewRequest("GET", "https://"+rp.APIHostname+path, nil)
	req.Header.Set("Date", d)
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(rp.IKey+":"+hex.EncodeToString(mac.Sum(nil)))))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(bytes.TrimSpace(body))
}
