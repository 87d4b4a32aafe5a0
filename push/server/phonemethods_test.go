package server

import (
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/store"
	"github.com/countersign/countersign/push/telephony"
)

// TestSelfServiceAddsAPhone adds a phone method from a real self-service
// session: a code sent to the new phone (the file gateway stands in for
// it), then an approval with number matching on the user's device.
func TestSelfServiceAddsAPhone(t *testing.T) {
	outbox := filepath.Join(t.TempDir(), "outbox.jsonl")
	g, err := telephony.Parse("file:" + outbox)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{Telephony: g, TelephonyCountries: []string{"GB"}})
	p := e.activate("ada", "laptop")
	c := e.selfServiceFrom("127.0.0.1")
	if status, ae := c.signIn("ada", e.codeOf(p.act)); status != http.StatusOK {
		t.Fatalf("sign-in: %d %+v", status, ae)
	}
	var ae apiErr
	if status := c.do("POST", "/v1/self-service/phone", map[string]string{"phone": "+1 415 555 0123", "method": "sms"}, &ae); status != http.StatusForbidden || ae.Error.Code != "country_not_allowed" {
		t.Fatalf("a US number with GB allowed: %d %+v", status, ae)
	}
	var started PhoneProofStarted
	if status := c.do("POST", "/v1/self-service/phone", map[string]string{"phone": "+44 20 7946 0958", "method": "sms"}, &started); status != http.StatusAccepted || started.SentTo != "•••• 0958" {
		t.Fatalf("start: %d %+v", status, started)
	}
	msgs := readOutbox(t, outbox)
	code := sixDigits.FindString(msgs[0].Body)
	if len(msgs) != 1 || msgs[0].To != adaPhone || msgs[0].ID != started.ProofID || code == "" {
		t.Fatalf("outbox %+v", msgs)
	}
	if status := c.do("POST", "/v1/self-service/phone/confirm", map[string]string{"proof_id": started.ProofID, "code": flip(code)}, &ae); status != http.StatusUnauthorized || ae.Error.Code != "wrong_code" {
		t.Fatalf("a wrong code: %d %+v", status, ae)
	}
	var ap Approval
	if status := c.do("POST", "/v1/self-service/phone/confirm", map[string]string{"proof_id": started.ProofID, "code": code}, &ap); status != http.StatusAccepted || ap.Status != "approval_pending" {
		t.Fatalf("the right code: %d %+v", status, ap)
	}
	if status := c.do("POST", "/v1/self-service/phone/confirm", map[string]string{"proof_id": started.ProofID, "code": code}, &ae); status != http.StatusConflict {
		t.Fatalf("the code a second time: %d %+v", status, ae)
	}
	r := p.request(t)
	if r.ID != ap.RequestID || r.Context.App != "Add phone •••• 0958 (text message)" {
		t.Fatalf("the device was asked %+v", r)
	}
	finish := map[string]string{"proof_id": started.ProofID, "request_id": ap.RequestID}
	if status := c.do("POST", "/v1/self-service/phone/confirm", finish, &ae); status != http.StatusConflict || ae.Error.Code != "approval_pending" {
		t.Fatalf("before the approval: %d %+v", status, ae)
	}
	if m, _ := e.srv.UserMethods("ada"); m.SMS || m.Phone != "" {
		t.Fatalf("the phone was set before the approval: %+v", m)
	}
	if err := p.client.Answer(context.Background(), r, push.Approve, "", ap.Number); err != nil {
		t.Fatal(err)
	}
	p.result(t, r.ID)
	var m Methods
	if status := c.do("POST", "/v1/self-service/phone/confirm", finish, &m); status != http.StatusOK || !m.SMS || m.Voice || m.Phone != adaPhone || m.Default != push.MethodPush {
		t.Fatalf("after the approval: %d %+v", status, m)
	}
	if status := c.do("POST", "/v1/self-service/phone/confirm", finish, &ae); status != http.StatusNotFound {
		t.Fatalf("the approval a second time: %d %+v", status, ae)
	}
	ev := p.await(t, func(ev device.Event) bool { return ev.Kind == device.EventNotice && ev.Notice.Kind == "phone_changed" })
	if !strings.Contains(ev.Notice.Text, "•••• 0958") {
		t.Fatalf("notice %q", ev.Notice.Text)
	}
	// Made the default, then removed.
	if status := c.do("POST", "/v1/self-service/methods/default", map[string]string{"method": "sms"}, &m); status != http.StatusOK || m.Default != push.MethodSMS {
		t.Fatalf("default sms: %d %+v", status, m)
	}
	if status := c.do("POST", "/v1/self-service/methods/voice/remove", map[string]string{}, &ae); status != http.StatusNotFound {
		t.Fatalf("removing voice, which ada does not have: %d %+v", status, ae)
	}
	if status := c.do("POST", "/v1/self-service/methods/sms/remove", map[string]string{}, &m); status != http.StatusOK || m.SMS || m.Default != push.MethodPush {
		t.Fatalf("removing sms: %d %+v", status, m)
	}
	events, _ := e.srv.Store().AuditEvents("ada")
	var kinds []string
	for _, ev := range events {
		if ev.Kind == store.AuditPhoneChanged || ev.Kind == store.AuditMethodChanged {
			kinds = append(kinds, string(ev.Kind)+" by "+ev.Actor)
		}
	}
	if got := strings.Join(kinds, ", "); got != "phone_changed by self-service, method_changed by self-service, method_changed by self-service" {
		t.Fatalf("audit: %s", got)
	}
}

// TestEnrollmentByPhone has a user without any method choose text messages
// on the enrollment page: a code to the phone (the file gateway stands in
// for it), typed back, spends the link; a user with a device cannot.
func TestEnrollmentByPhone(t *testing.T) {
	outbox := filepath.Join(t.TempDir(), "outbox.jsonl")
	g, err := telephony.Parse("file:" + outbox)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{Telephony: g, TelephonyCountries: []string{"GB"}})
	enr, err := e.srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	token := enr.EnrollURL[strings.LastIndex(enr.EnrollURL, "/")+1:]
	page := e.selfServiceFrom("127.0.0.1")
	var started PhoneProofStarted
	if status := page.do("POST", "/v1/enrollments/"+token+"/phone", map[string]string{"phone": "+44 20 7946 0958", "method": "voice"}, &started); status != http.StatusAccepted || started.Method != push.MethodVoice {
		t.Fatalf("start: %d %+v", status, started)
	}
	call := readOutbox(t, outbox)[0]
	// The call reads the code digit by digit: "1, 2, 3, 4, 5, 6".
	digits := strings.Join(regexp.MustCompile(`\d`).FindAllString(call.Body, 6), "")
	if call.Kind != "voice" || len(digits) != 6 {
		t.Fatalf("the call: %+v", call)
	}
	var st EnrollmentStatus
	if status := page.do("POST", "/v1/enrollments/"+token+"/phone/confirm", map[string]string{"proof_id": started.ProofID, "code": digits}, &st); status != http.StatusOK || st.Status != "activated" || st.Kind != "phone" {
		t.Fatalf("confirm: %d %+v", status, st)
	}
	if m, _ := e.srv.UserMethods("ada"); !m.Voice || m.SMS || m.Default != push.MethodVoice || m.Phone != adaPhone {
		t.Fatalf("methods after enrolling by phone: %+v", m)
	}
	// The link is spent; the page says so, and a second phone is refused.
	var ae apiErr
	if status := page.do("POST", "/v1/enrollments/"+token+"/phone", map[string]string{"phone": "+44 20 7946 0000", "method": "sms"}, &ae); status != http.StatusGone {
		t.Fatalf("the spent link again: %d %+v", status, ae)
	}
	// A user with a device is sent to the self-service page.
	if err := e.srv.AddUser("bob", true); err != nil {
		t.Fatal(err)
	}
	e.activate("bob", "laptop")
	enr2, err := e.srv.Enroll("bob")
	if err != nil {
		t.Fatal(err)
	}
	token2 := enr2.EnrollURL[strings.LastIndex(enr2.EnrollURL, "/")+1:]
	if status := page.do("POST", "/v1/enrollments/"+token2+"/phone", map[string]string{"phone": "+44 20 7946 0001", "method": "sms"}, &ae); status != http.StatusForbidden || !strings.Contains(ae.Error.Message, "self-service") {
		t.Fatalf("bob, who has a device: %d %+v", status, ae)
	}
	if len(readOutbox(t, outbox)) != 1 {
		t.Fatal("a code was sent for bob")
	}
}

func TestMethodLabels(t *testing.T) {
	for _, c := range []struct {
		m    Methods
		want string
	}{
		{Methods{}, ""},
		{Methods{Push: true, Default: push.MethodPush}, "push and codes (default)"},
		{Methods{Push: true, SMS: true, Voice: true, Phone: adaPhone, Default: push.MethodSMS}, "push and codes, text message to •••• 0958 (default), call to •••• 0958"},
	} {
		if got := strings.Join(methodLabels(c.m), ", "); got != c.want {
			t.Errorf("%+v: %q, want %q", c.m, got, c.want)
		}
	}
}
