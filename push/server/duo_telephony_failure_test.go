package server

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/duosecurity/duo_api_golang/authapi"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/telephony"
)

// messageIDInLog is how the public refusal names the message whose
// reason the server's log keeps.
var messageIDInLog = regexp.MustCompile(`the server's telephony gateway failed \(the reason is under message [0-9a-f]{32} in the server's log\)`)

// TestDuoTelephonyFailureKeepsItsReason: through Duo's Auth API too, a text
// the gateway cannot send is refused with the public message (what failed,
// and the message id the server's log keeps the reason under), never the
// gateway's reason: the exec program (a real one, run by the real gateway,
// standing in for an SMS provider's client, which cannot exist here) says
// a secret on its standard error, and the status_msg Duo's client shows
// its user must not carry it, nor the program's path.
func TestDuoTelephonyFailureKeepsItsReason(t *testing.T) {
	const secret = "provider refused account AC0123 with token sk_live_9f8e7d"
	program := filepath.Join(t.TempDir(), "countersign-send")
	if err := os.WriteFile(program, []byte("#!/bin/sh\necho '"+secret+"' >&2\nexit 3\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	g, err := telephony.Parse("exec:" + program)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{Telephony: g, TelephonyCountries: []string{"GB"}})
	if err := e.srv.SetPhone("ada", adaPhone, []push.Method{push.MethodSMS}, "test"); err != nil {
		t.Fatal(err)
	}
	duo := e.duo("vpn", RelyingPartyOptions{})
	res, err := duo.Auth("sms", authapi.AuthUsername("ada"))
	if err != nil {
		t.Fatal(err)
	}
	msg := res.Response.Status_Msg
	if res.Response.Result != "deny" || !messageIDInLog.MatchString(msg) || strings.Contains(msg, secret) || strings.Contains(msg, program) {
		t.Fatalf("factor sms with a failing gateway: %+v; want deny with the public message only", res)
	}
}
