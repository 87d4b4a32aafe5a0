package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/store"
	"github.com/countersign/countersign/push/telephony"
)

// The phones here are the file gateway: no phone or SMS provider can be
// reached from a test, so each text message and call is a line in a file,
// read back as the user's phone would receive it.

const adaPhone = "+442079460958"

// phoneEnv is a server with the file gateway and ada's phone set.
func phoneEnv(t *testing.T, cfg Config) (*env, string) {
	t.Helper()
	outbox := filepath.Join(t.TempDir(), "outbox.jsonl")
	g, err := telephony.Parse("file:" + outbox)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Telephony = g
	cfg.TelephonyCallbackSecret = []byte("0123456789abcdef0123456789abcdef")
	e := newEnv(t, cfg)
	if err := e.srv.SetPhone("ada", adaPhone, []push.Method{push.MethodSMS, push.MethodVoice}, "test"); err != nil {
		t.Fatal(err)
	}
	return e, outbox
}

// sentMessage is one line of the file gateway.
type sentMessage struct {
	Kind, To, Body, ID, Script string
}

func readOutbox(t *testing.T, path string) []sentMessage {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []sentMessage
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var m sentMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("outbox line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// smsSignIn starts a text-message sign-in and returns it with the code the
// phone received.
func (e *env) smsSignIn(t *testing.T, outbox string) (push.AuthRequestState, string) {
	t.Helper()
	var st push.AuthRequestState
	if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada", Method: push.MethodSMS, Context: push.Context{App: "Payroll"}}, &st); code != http.StatusCreated {
		t.Fatalf("sms sign-in: HTTP %d %+v", code, st)
	}
	msgs := readOutbox(t, outbox)
	last := msgs[len(msgs)-1]
	if last.Kind != "sms" || last.To != adaPhone || last.ID != st.ID {
		t.Fatalf("the text message went as %+v, want sms to %s for %s", last, adaPhone, st.ID)
	}
	code := sixDigits.FindString(last.Body)
	if code == "" {
		t.Fatalf("no code in the text message %q", last.Body)
	}
	return st, code
}

func (e *env) verifyCode(t *testing.T, id, code string) push.AuthRequestState {
	t.Helper()
	var st push.AuthRequestState
	if status := e.call("POST", "/v1/auth-requests/"+id+"/verify", push.CodeBody{Code: code}, &st); status != http.StatusOK {
		t.Fatalf("verify: HTTP %d %+v", status, st)
	}
	return st
}

func TestSMSSignIn(t *testing.T) {
	t.Run("approved by the code, once", func(t *testing.T) {
		e, outbox := phoneEnv(t, Config{})
		st, code := e.smsSignIn(t, outbox)
		if st.Status != push.StatusCodeSent || st.Method != push.MethodSMS || st.Number != "" {
			t.Fatalf("created %+v, want status code_sent, method sms, no number", st)
		}
		if !strings.Contains(readOutbox(t, outbox)[0].Body, "payroll") {
			t.Errorf("the text %q does not name the application", readOutbox(t, outbox)[0].Body)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		if got := e.verifyCode(t, st.ID, wrong); got.Status != push.StatusCodeSent || got.Reason != "wrong_code" {
			t.Fatalf("a wrong code gave %+v, want code_sent with reason wrong_code", got)
		}
		if got := e.verifyCode(t, st.ID, code[:3]+" "+code[3:]); got.Status != push.StatusApproved {
			t.Fatalf("the right code gave %+v, want approved", got)
		}
		// The code signed in once; a new sign-in needs the new code.
		st2, code2 := e.smsSignIn(t, outbox)
		if code2 != code {
			if got := e.verifyCode(t, st2.ID, code); got.Status != push.StatusCodeSent || got.Reason != "wrong_code" {
				t.Fatalf("the first code on the second sign-in gave %+v, want wrong_code", got)
			}
		}
		if got := e.status(st.ID, "0s"); got.Status != push.StatusApproved {
			t.Fatalf("GET of the approved request: %+v", got)
		}
	})
	t.Run("three wrong codes deny", func(t *testing.T) {
		e, outbox := phoneEnv(t, Config{})
		st, code := e.smsSignIn(t, outbox)
		wrong := "123456"
		if code == wrong {
			wrong = "654321"
		}
		e.verifyCode(t, st.ID, wrong)
		e.verifyCode(t, st.ID, wrong)
		if got := e.verifyCode(t, st.ID, wrong); got.Status != push.StatusDenied || got.Reason != "too_many_wrong_codes" {
			t.Fatalf("the third wrong code gave %+v, want denied too_many_wrong_codes", got)
		}
		if got := e.verifyCode(t, st.ID, code); got.Status != push.StatusDenied {
			t.Fatalf("the right code after the denial gave %+v, want it to stay denied", got)
		}
	})
	t.Run("expires after five minutes", func(t *testing.T) {
		e, outbox := phoneEnv(t, Config{})
		st, code := e.smsSignIn(t, outbox)
		if want := e.clock.Now().Truncate(time.Second).Add(5 * time.Minute); !st.ExpiresAt.Equal(want) {
			t.Errorf("expires at %s, want %s", st.ExpiresAt, want)
		}
		e.clock.Add(5*time.Minute + time.Second)
		if got := e.verifyCode(t, st.ID, code); got.Status != push.StatusExpired {
			t.Fatalf("the right code after 5 minutes gave %+v, want expired", got)
		}
	})
	t.Run("another relying party cannot check it", func(t *testing.T) {
		e, outbox := phoneEnv(t, Config{})
		st, code := e.smsSignIn(t, outbox)
		other, _, err := e.srv.AddRelyingParty("wiki", "")
		if err != nil {
			t.Fatal(err)
		}
		var body push.ErrorBody
		if status := e.callWithKey(other, "POST", "/v1/auth-requests/"+st.ID+"/verify", push.CodeBody{Code: code}, &body); status != http.StatusNotFound {
			t.Fatalf("another relying party's verify: HTTP %d, want 404", status)
		}
	})
}

// playCallback signs and posts a call's outcome as the gateway would.
func (e *env) playCallback(t *testing.T, secret []byte, id, digits string) (int, push.AuthRequestState) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"id": id, "digits": digits, "status": "completed"})
	req, _ := http.NewRequest("POST", "http://"+e.addr+"/v1/telephony/callback", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Countersign-Signature", telephony.SignCallback(secret, e.clock.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st push.AuthRequestState
	json.NewDecoder(resp.Body).Decode(&st)
	return resp.StatusCode, st
}

func (e *env) callSignIn(t *testing.T, outbox string) (push.AuthRequestState, sentMessage) {
	t.Helper()
	var st push.AuthRequestState
	if code := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada", Method: push.MethodVoice}, &st); code != http.StatusCreated {
		t.Fatalf("voice sign-in: HTTP %d %+v", code, st)
	}
	msgs := readOutbox(t, outbox)
	return st, msgs[len(msgs)-1]
}

func TestVoiceSignIn(t *testing.T) {
	t.Run("pressing # approves", func(t *testing.T) {
		e, outbox := phoneEnv(t, Config{})
		st, call := e.callSignIn(t, outbox)
		if st.Status != push.StatusPending || st.Method != push.MethodVoice {
			t.Fatalf("created %+v, want pending voice", st)
		}
		if call.Kind != "voice" || call.To != adaPhone || call.ID != st.ID || !strings.Contains(call.Script, "payroll") || !strings.Contains(call.Script, "<Say") {
			t.Fatalf("the call went as %+v", call)
		}
		if status, got := e.playCallback(t, e.cfg.TelephonyCallbackSecret, st.ID, "#"); status != http.StatusOK || got.Status != push.StatusApproved {
			t.Fatalf("callback #: HTTP %d %+v", status, got)
		}
		if got := e.status(st.ID, "0s"); got.Status != push.StatusApproved {
			t.Fatalf("the relying party sees %+v", got)
		}
		if status, _ := e.playCallback(t, e.cfg.TelephonyCallbackSecret, st.ID, "0#"); status != http.StatusConflict {
			t.Fatalf("a second callback for the call: HTTP %d, want 409", status)
		}
	})
	t.Run("pressing 0# reports fraud and blocks the user", func(t *testing.T) {
		e, outbox := phoneEnv(t, Config{})
		st, _ := e.callSignIn(t, outbox)
		if status, got := e.playCallback(t, e.cfg.TelephonyCallbackSecret, st.ID, "0#"); status != http.StatusOK || got.Status != push.StatusFraud {
			t.Fatalf("callback 0#: HTTP %d %+v", status, got)
		}
		if u, _ := e.srv.Store().User("ada"); !u.Blocked {
			t.Fatal("ada is not blocked after reporting fraud on the phone")
		}
	})
	t.Run("a forged callback is refused", func(t *testing.T) {
		e, outbox := phoneEnv(t, Config{})
		st, _ := e.callSignIn(t, outbox)
		if status, _ := e.playCallback(t, []byte("not the gateway's secret, guessed"), st.ID, "#"); status != http.StatusForbidden {
			t.Fatalf("forged callback: HTTP %d, want 403", status)
		}
		if got := e.status(st.ID, "0s"); got.Status != push.StatusPending {
			t.Fatalf("after a forged callback the request is %+v, want pending", got)
		}
	})
}

func TestTelephonyLimits(t *testing.T) {
	t.Run("three messages per number in ten minutes", func(t *testing.T) {
		e, outbox := phoneEnv(t, Config{})
		for range 3 {
			e.smsSignIn(t, outbox)
		}
		var body struct{ Error push.ErrorBody }
		if status := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada", Method: push.MethodSMS}, &body); status != http.StatusTooManyRequests || body.Error.Code != "telephony_limited" {
			t.Fatalf("fourth text message: HTTP %d %+v", status, body)
		}
		e.clock.Add(perNumberWindow + time.Second)
		var after struct{ Error push.ErrorBody }
		if status := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada", Method: push.MethodSMS}, &after); status != http.StatusCreated {
			t.Fatalf("a text message ten minutes later: HTTP %d %+v", status, after)
		}
	})
	t.Run("countries outside the allow-list", func(t *testing.T) {
		e, _ := phoneEnv(t, Config{TelephonyCountries: []string{"US", "DE"}})
		var body struct{ Error push.ErrorBody }
		if status := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada", Method: push.MethodSMS}, &body); status != http.StatusForbidden || body.Error.Code != "country_not_allowed" {
			t.Fatalf("a GB number with US,DE allowed: HTTP %d %+v", status, body)
		}
	})
	t.Run("by default, only the stored numbers' countries", func(t *testing.T) {
		e, outbox := phoneEnv(t, Config{})
		e.smsSignIn(t, outbox) // GB, ada's country
		if err := e.srv.AddUser("bob", true); err != nil {
			t.Fatal(err)
		}
		if err := e.srv.SetPhone("bob", "+8613800138000", []push.Method{push.MethodSMS}, "test"); err != nil {
			t.Fatal(err)
		}
		// Once bob's number is stored, CN is one of the stored countries.
		var st push.AuthRequestState
		if status := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "bob", Method: push.MethodSMS}, &st); status != http.StatusCreated {
			t.Fatalf("bob's text message: HTTP %d", status)
		}
	})
	t.Run("the daily cap trips and is audited", func(t *testing.T) {
		e, outbox := phoneEnv(t, Config{TelephonyDailyCap: 2})
		e.smsSignIn(t, outbox)
		e.smsSignIn(t, outbox)
		for i := range 2 {
			var body struct{ Error push.ErrorBody }
			if status := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada", Method: push.MethodSMS}, &body); status != http.StatusTooManyRequests || body.Error.Code != "telephony_limited" {
				t.Fatalf("message %d past a cap of 2: HTTP %d %+v", i+3, status, body)
			}
		}
		events, _ := e.srv.Store().AuditEvents("ada")
		trips := 0
		for _, ev := range events {
			if ev.Kind == store.AuditTelephonyCapReached {
				trips++
			}
		}
		if trips != 1 {
			t.Fatalf("%d %s audit events for one trip refusing two messages, want 1", trips, store.AuditTelephonyCapReached)
		}
	})
}

func hasAudit(events []store.AuditEvent, kind store.AuditKind, method, result string) bool {
	for _, ev := range events {
		if ev.Kind == kind && (method == "" || ev.Method == method) && (result == "" || ev.Result == result) {
			return true
		}
	}
	return false
}

func TestMethodsAndDefault(t *testing.T) {
	e, outbox := phoneEnv(t, Config{})
	p := e.activate("ada", "laptop")
	m, err := e.srv.UserMethods("ada")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Push || !m.SMS || !m.Voice || m.Default != push.MethodPush || m.Phone != adaPhone {
		t.Fatalf("methods %+v, want push, sms and voice with push the default", m)
	}
	// auto with push the default pushes to the device.
	st := e.signIn("ada")
	if st.Method != push.MethodPush || st.Number == "" {
		t.Fatalf("auto sign-in %+v, want a push with a number", st)
	}
	p.request(t)
	if err := e.srv.SetDefaultMethod("ada", push.MethodSMS, "test"); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour) // past the pending push
	var auto push.AuthRequestState
	if status := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada", Method: push.MethodAuto}, &auto); status != http.StatusCreated || auto.Method != push.MethodSMS || auto.Status != push.StatusCodeSent {
		t.Fatalf("auto with sms the default: HTTP %d %+v", status, auto)
	}
	if len(readOutbox(t, outbox)) != 1 {
		t.Fatalf("outbox %+v, want one text message", readOutbox(t, outbox))
	}
	// Changing the number is told to the device and audited.
	if err := e.srv.SetPhone("ada", "+44 20 7946 0000", []push.Method{push.MethodSMS}, "cli"); err != nil {
		t.Fatal(err)
	}
	ev := p.await(t, func(ev device.Event) bool { return ev.Kind == device.EventNotice && ev.Notice.Kind == "phone_changed" })
	if !strings.Contains(ev.Notice.Text, "•••• 0958 to •••• 0000") {
		t.Errorf("notice %q does not say which number changed to which", ev.Notice.Text)
	}
	events, _ := e.srv.Store().AuditEvents("ada")
	if !hasAudit(events, store.AuditPhoneChanged, "", "") {
		t.Fatal("the phone change is not audited")
	}
	var body struct{ Error push.ErrorBody }
	if status := e.call("POST", "/v1/auth-requests", push.AuthRequestBody{User: "ada", Method: "fax"}, &body); status != http.StatusBadRequest {
		t.Fatalf("method fax: HTTP %d %+v", status, body)
	}
}

func TestSignInsAreAuditedForUsage(t *testing.T) {
	e, outbox := phoneEnv(t, Config{})
	st, code := e.smsSignIn(t, outbox)
	e.verifyCode(t, st.ID, flip(code))
	e.verifyCode(t, st.ID, code)
	call, _ := e.callSignIn(t, outbox)
	e.playCallback(t, e.cfg.TelephonyCallbackSecret, call.ID, "#")
	events, _ := e.srv.Store().AuditEvents("ada")
	var got []string
	for _, ev := range events {
		if ev.Kind == store.AuditAuthentication || ev.Kind == store.AuditTelephony {
			got = append(got, string(ev.Kind)+" "+ev.Application+" "+ev.Method+" "+ev.Result)
		}
	}
	want := []string{
		"telephony  sms sent",
		"authentication payroll sms code-wrong",
		"authentication payroll sms code-ok",
		"telephony  voice sent",
		"authentication payroll voice approved",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// flip returns a code of the same length that differs in every digit.
func flip(code string) string {
	b := []byte(code)
	for i := range b {
		b[i] = '0' + (b[i]-'0'+1)%10
	}
	return string(b)
}
