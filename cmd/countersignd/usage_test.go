package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/telephony"
)

// TestUsageCountsAScriptedRun scripts a run against a real server on
// loopback, with the admin commands beside it on the same data: push
// sign-ins approved, denied, expired and reported as fraud, app codes
// right and wrong, recovery codes right and wrong, a text-message and a
// phone-call sign-in; then usage --json, --csv and the text report must
// count exactly that. The server runs in this process so that its
// requests can expire in two seconds; the phone network is the file
// gateway (no SMS provider can be reached from a test).
func TestUsageCountsAScriptedRun(t *testing.T) {
	dir := t.TempDir()
	outbox := filepath.Join(t.TempDir(), "outbox.jsonl")
	must(t, "user", "add", "ada", "--data", dir)
	must(t, "user", "add", "bob", "--data", dir)
	must(t, "user", "add", "guest", "--require-mfa=false", "--data", dir)
	rpOut := strings.Split(strings.TrimSpace(must(t, "rp", "add", "shop", "--data", dir)), "\n")
	key := rpOut[len(rpOut)-1]
	must(t, "user", "phone", "ada", "+442079460958", "--data", dir)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	gateway, err := telephony.Parse("file:" + outbox)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("0123456789abcdef0123456789abcdef")
	srv, err := server.Open(dir, server.Config{PublicURL: base, RequestTTL: 2 * time.Second, Telephony: gateway, TelephonyCallbackSecret: secret,
		UsageModel: server.UsagePerUser, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.RememberPublicURL(); err != nil { // as serve does: enroll's links point here
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Listener = ln
	ts.Start()
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		srv.Close()
	})
	client := &http.Client{Timeout: 30 * time.Second}
	device := func(user string) *testDevice {
		var enr struct {
			ActivationURI string `json:"activation_uri"`
		}
		json.Unmarshal([]byte(must(t, "enroll", user, "--json", "--data", dir)), &enr)
		return activateDevice(t, client, enr.ActivationURI)
	}
	ada, bob := device("ada"), device("bob")

	// Push: approved, denied and reported as fraud (bob), and one left to expire.
	push1 := func(d *testDevice, user string, decision push.Decision) {
		t.Helper()
		var st push.AuthRequestState
		if code := api(t, client, key, "POST", base+"/v1/auth-requests", push.AuthRequestBody{User: user, Context: push.Context{App: "Shop"}}, &st); code != http.StatusCreated {
			t.Fatalf("sign-in of %s: %d %+v", user, code, st)
		}
		f := nextFrame(t, d, push.FrameRequest)
		if decision == "" {
			var final push.AuthRequestState
			api(t, client, key, "GET", base+"/v1/auth-requests/"+st.ID+"?wait=10s", nil, &final)
			if final.Status != push.StatusExpired {
				t.Fatalf("unanswered request: %+v", final)
			}
			return
		}
		a := push.Answer{RequestID: st.ID, DeviceID: d.id, Decision: decision, Number: st.Number, Nonce: f.Request.Nonce}
		d.write(t, push.Frame{Type: push.FrameAnswer, Answer: &a, Signature: ed25519.Sign(d.key, a.SigningBytes())})
		if r := nextFrame(t, d, push.FrameResult); r.RequestID != st.ID {
			t.Fatalf("result %+v, want one for %s", r, st.ID)
		}
	}
	push1(ada, "ada", push.Approve)
	push1(ada, "ada", push.Deny)
	push1(ada, "ada", "")
	push1(bob, "bob", push.Fraud)

	// Codes: an app code right and wrong, a recovery code right and wrong.
	verify := func(code string) bool {
		t.Helper()
		var res push.OTPVerifyResult
		if status := api(t, client, key, "POST", base+"/v1/otp/verify", push.OTPVerifyBody{User: "ada", Code: code}, &res); status != http.StatusOK {
			t.Fatalf("verify %q: HTTP %d", code, status)
		}
		return res.Valid
	}
	right, err := totp.GenerateCode(ada.totp.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	if !verify(right) || verify(wrong) {
		t.Fatal("the app codes were not judged right")
	}
	var rc recoveryCodesJSON
	if err := json.Unmarshal([]byte(must(t, "user", "recovery-codes", "ada", "--json", "--data", dir)), &rc); err != nil || rc.User != "ada" || len(rc.Codes) != 10 {
		t.Fatalf("recovery-codes --json: %+v %v", rc, err)
	}
	if !verify(strings.ToUpper(rc.Codes[0])) || verify(rc.Codes[0]) {
		t.Fatal("the recovery code did not work exactly once")
	}

	// A text message, its code typed; a phone call, # pressed.
	var st push.AuthRequestState
	if code := api(t, client, key, "POST", base+"/v1/auth-requests", push.AuthRequestBody{User: "ada", Method: push.MethodSMS}, &st); code != http.StatusCreated || st.Status != push.StatusCodeSent {
		t.Fatalf("sms sign-in: %d %+v", code, st)
	}
	text := lastSentLine(t, outbox)
	smsCode := regexp.MustCompile(`\b\d{6}\b`).FindString(text.Body)
	if text.Kind != "sms" || text.ID != st.ID || smsCode == "" {
		t.Fatalf("the text message: %+v", text)
	}
	if code := api(t, client, key, "POST", base+"/v1/auth-requests/"+st.ID+"/verify", push.CodeBody{Code: smsCode}, &st); code != http.StatusOK || st.Status != push.StatusApproved {
		t.Fatalf("sms code: %d %+v", code, st)
	}
	if code := api(t, client, key, "POST", base+"/v1/auth-requests", push.AuthRequestBody{User: "ada", Method: push.MethodVoice}, &st); code != http.StatusCreated || st.Status != push.StatusPending {
		t.Fatalf("voice sign-in: %d %+v", code, st)
	}
	if call := lastSentLine(t, outbox); call.Kind != "voice" || call.ID != st.ID {
		t.Fatalf("the call: %+v", call)
	}
	body, _ := json.Marshal(map[string]string{"id": st.ID, "digits": "#", "status": "completed"})
	req, _ := http.NewRequest("POST", base+telephony.CallbackPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(telephony.CallbackSignatureHeader, telephony.SignCallback(secret, time.Now(), body))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback: HTTP %d", resp.StatusCode)
	}
	if api(t, client, key, "GET", base+"/v1/auth-requests/"+st.ID+"?wait=5s", nil, &st); st.Status != push.StatusApproved {
		t.Fatalf("after the call: %+v", st)
	}

	now := time.Now().UTC()
	day := now.Format(time.DateOnly)
	from, to := now.AddDate(0, 0, -1).Format(time.DateOnly), now.AddDate(0, 0, 1).Format(time.DateOnly)
	period := func(s string) string {
		return strings.NewReplacer("DAY", day,
			"FROM", now.AddDate(0, 0, -1).Truncate(24*time.Hour).Format(time.RFC3339),
			"TO", now.AddDate(0, 0, 2).Truncate(24*time.Hour).Format(time.RFC3339)).Replace(s)
	}
	got := must(t, "usage", "--from", from, "--to", to, "--json", "--data", dir)
	want := period(`{
  "usage_model": "per-user",
  "from": "FROM",
  "to": "TO",
  "billable": {
    "unit": "enabled_users",
    "count": 2
  },
  "enabled_users": 2,
  "authenticating_users": 2,
  "authentications": {
    "total": 10,
    "by_day": {
      "DAY": 10
    },
    "by_application": {
      "shop": 10
    },
    "by_method": {
      "otp": 2,
      "push": 4,
      "recovery": 2,
      "sms": 1,
      "voice": 1
    },
    "by_result": {
      "approved": 2,
      "code-ok": 3,
      "code-wrong": 2,
      "denied": 1,
      "expired": 1,
      "fraud": 1
    },
    "rows": [
      {
        "day": "DAY",
        "application": "shop",
        "method": "otp",
        "result": "code-ok",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "shop",
        "method": "otp",
        "result": "code-wrong",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "shop",
        "method": "push",
        "result": "approved",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "shop",
        "method": "push",
        "result": "denied",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "shop",
        "method": "push",
        "result": "expired",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "shop",
        "method": "push",
        "result": "fraud",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "shop",
        "method": "recovery",
        "result": "code-ok",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "shop",
        "method": "recovery",
        "result": "code-wrong",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "shop",
        "method": "sms",
        "result": "code-ok",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "shop",
        "method": "voice",
        "result": "approved",
        "count": 1
      }
    ]
  },
  "telephony": {
    "total": 2,
    "by_kind": {
      "sms": 1,
      "voice": 1
    },
    "by_country": {
      "GB": 2
    },
    "by_result": {
      "sent": 2
    },
    "rows": [
      {
        "day": "DAY",
        "kind": "sms",
        "country": "GB",
        "result": "sent",
        "count": 1
      },
      {
        "day": "DAY",
        "kind": "voice",
        "country": "GB",
        "result": "sent",
        "count": 1
      }
    ]
  }
}
`)
	if got != want {
		t.Fatalf("usage --json:\n%s\nwant:\n%s", got, want)
	}

	gotCSV := must(t, "usage", "--from", from, "--to", to, "--csv", "--data", dir)
	wantCSV := period(`usage_model,record,day,application,method,result,country,count
per-user,enabled_users,,,,,,2
per-user,authenticating_users,,,,,,2
per-user,authentication,DAY,shop,otp,code-ok,,1
per-user,authentication,DAY,shop,otp,code-wrong,,1
per-user,authentication,DAY,shop,push,approved,,1
per-user,authentication,DAY,shop,push,denied,,1
per-user,authentication,DAY,shop,push,expired,,1
per-user,authentication,DAY,shop,push,fraud,,1
per-user,authentication,DAY,shop,recovery,code-ok,,1
per-user,authentication,DAY,shop,recovery,code-wrong,,1
per-user,authentication,DAY,shop,sms,code-ok,,1
per-user,authentication,DAY,shop,voice,approved,,1
per-user,telephony,DAY,,sms,sent,GB,1
per-user,telephony,DAY,,voice,sent,GB,1
`)
	if gotCSV != wantCSV {
		t.Fatalf("usage --csv:\n%s\nwant:\n%s", gotCSV, wantCSV)
	}

	gotText := must(t, "usage", "--from", from, "--to", to, "--data", dir)
	wantText := strings.NewReplacer("DAY", day, "FIRST", from, "LAST", to).Replace(`Usage model: per-user (billed: 2 enabled users)
Period: FIRST to LAST (UTC, both days included)
Enabled users: 2 (require MFA on at some point of the period)
Users who authenticated: 2

Authentications: 10
  by day:
    DAY  10
  by application:
    shop  10
  by method:
    otp       2
    push      4
    recovery  2
    sms       1
    voice     1
  by result:
    approved    2
    code-ok     3
    code-wrong  2
    denied      1
    expired     1
    fraud       1

Telephony messages: 2
  by kind:
    sms    1
    voice  1
  by country:
    GB  2
  by result:
    sent  2
`)
	if gotText != wantText {
		t.Fatalf("usage:\n%s\nwant:\n%s", gotText, wantText)
	}
	// Without dates: this month, the same counts.
	if out := must(t, "usage", "--json", "--data", dir); !strings.Contains(out, `"total": 10,`) || !strings.Contains(out, `"usage_model": "per-user"`) {
		t.Fatalf("usage of this month:\n%s", out)
	}
}

// nextFrame reads a device's frames until one of type typ (notices and
// other frames in between are passed over).
func nextFrame(t *testing.T, d *testDevice, typ string) push.Frame {
	t.Helper()
	for range 20 {
		if f := d.read(t); f.Type == typ {
			return f
		}
	}
	t.Fatalf("no %s frame in 20", typ)
	return push.Frame{}
}

// sentLine is one message of the file gateway.
type sentLine struct {
	Kind, To, Body, ID string
}

func lastSentLine(t *testing.T, path string) sentLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var last sentLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
			t.Fatalf("outbox line %q: %v", sc.Text(), err)
		}
	}
	return last
}

func TestUsageRefusals(t *testing.T) {
	dir := t.TempDir()
	must(t, "user", "add", "ada", "--data", dir)
	for _, c := range []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"usage", "--json", "--csv", "--data", dir}, 2, "countersignd: usage: --json and --csv go one at a time"},
		{[]string{"usage", "--from", "2026-13-01", "--data", dir}, 2, `countersignd: --from "2026-13-01" is not a day such as 2026-11-01 (YYYY-MM-DD, UTC)`},
		{[]string{"usage", "--to", "yesterday", "--data", dir}, 2, `countersignd: --to "yesterday" is not a day such as 2026-11-30 (YYYY-MM-DD, UTC)`},
		{[]string{"usage", "--from", "2026-11-02", "--to", "2026-11-01", "--data", dir}, 2, "countersignd: --from 2026-11-02 comes after --to 2026-11-01: give the first day, then the last"},
		{[]string{"usage", "extra", "--data", dir}, 2, `countersignd: usage takes no arguments (got "extra")`},
		{[]string{"usage", "--data", t.TempDir()}, 1, "countersignd: no Countersign data in "},
		{[]string{"user", "recovery-codes", "--data", dir}, 2, "countersignd: user recovery-codes needs a user name: countersignd user recovery-codes NAME"},
		{[]string{"user", "recovery-codes", "carol", "--data", dir}, 1, `countersignd: making recovery codes: user "carol": not found`},
	} {
		status, stdout, stderr := countersignd(c.args...)
		if status != c.status || !strings.HasPrefix(stderr, c.stderr) || stdout != "" {
			t.Errorf("countersignd %q: exit %d, stdout %q, stderr %q; want exit %d, stderr %q", c.args, status, stdout, stderr, c.status, c.stderr)
		}
	}
	// One day, both ends the same: an empty report, the default model.
	out := must(t, "usage", "--from", "2026-11-01", "--to", "2026-11-01", "--data", dir)
	if !strings.HasPrefix(out, "Usage model: per-authentication (billed: 0 authentications)\nPeriod: 2026-11-01 to 2026-11-01 (UTC, both days included)\n") {
		t.Fatalf("one empty day:\n%s", out)
	}
	// The text output of recovery-codes: ten codes, then the warning.
	text := must(t, "user", "recovery-codes", "ada", "--data", dir)
	if !regexp.MustCompile(`^recovery codes of ada \(each works once, where an app code goes; any former codes no longer work\):\n([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}\n){10}give them to ada now: they are stored only as hashes and cannot be shown again\n$`).MatchString(text) {
		t.Fatalf("recovery-codes:\n%s", text)
	}
}

// TestServeKeepsTheUsageModel: serve --usage-model chooses the model at
// the first start; a later start with the other is refused.
func TestServeKeepsTheUsageModel(t *testing.T) {
	dir := t.TempDir()
	srv := serve(t, "--addr", "127.0.0.1:0", "--data", dir, "--usage-model", "per-user")
	srv.stop(t)
	out, err := exec.Command(binary(t), "serve", "--addr", "127.0.0.1:0", "--data", dir, "--usage-model", "per-authentication").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "this server's usage model is per-user, chosen at its first start; it cannot become per-authentication") {
		t.Fatalf("serve with another model: %v\n%s", err, out)
	}
	if got := must(t, "usage", "--data", dir); !strings.HasPrefix(got, "Usage model: per-user (billed: 0 enabled users)\n") {
		t.Fatalf("usage:\n%s", got)
	}
}
