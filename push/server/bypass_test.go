package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/store"
)

// TestBypassCodeAtTheRelyingParty: an administrator's bypass code (for a
// user who lost their phone) is taken by POST /v1/otp/verify once, audited
// as method bypass for the usage report, and told to the user's devices.
func TestBypassCodeAtTheRelyingParty(t *testing.T) {
	e := newEnv(t, Config{})
	p := e.activate("ada", "laptop")
	code, _, err := e.srv.newBypassCode("ada", "root")
	if err != nil {
		t.Fatal(err)
	}
	typed := code[:3] + " " + code[3:6] + "-" + code[6:]
	var res push.OTPVerifyResult
	if status := e.call("POST", "/v1/otp/verify", push.OTPVerifyBody{User: "ada", Code: typed}, &res); status != http.StatusOK || !res.Valid {
		t.Fatalf("the bypass code: %d %+v", status, res)
	}
	if status := e.call("POST", "/v1/otp/verify", push.OTPVerifyBody{User: "ada", Code: code}, &res); status != http.StatusOK || res.Valid {
		t.Fatalf("the bypass code a second time: %d %+v", status, res)
	}
	ev := p.await(t, func(ev device.Event) bool {
		return ev.Kind == device.EventNotice && ev.Notice.Kind == "bypass_code_used"
	})
	if !strings.Contains(ev.Notice.Text, "bypass code was used") {
		t.Fatalf("notice %q", ev.Notice.Text)
	}
	events, _ := e.srv.Store().AuditEvents("ada")
	var got []string
	for _, ev := range events {
		if ev.Kind == store.AuditAuthentication {
			got = append(got, ev.Method+" "+ev.Result)
		}
	}
	if strings.Join(got, ", ") != "bypass code-ok, bypass code-wrong" {
		t.Fatalf("audit: %v", got)
	}
}
