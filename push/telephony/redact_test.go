package telephony

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestWebhookErrorHidesTheCode: a provider that echoes the message it was
// given (as most SMS APIs do in their answer) and is not taken as success
// (here success_match is not found) is quoted in the error without the
// code: the error goes to the server's log and the administrators'
// console, and the code is the user's.
func TestWebhookErrorHidesTheCode(t *testing.T) {
	var p *provider
	p = newProvider(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"status":"held","request":`+p.last().body+`}`)
	})
	g := gateway(t, p, strings.Replace(jsonConfig, `"timeout"`, `"success_match":"\"status\":\"queued\"","timeout"`, 1))
	err := g.Send(context.Background(), NewText("req-1", "+14155550123", "483920", "Payroll"))
	want := `telephony webhook: message req-1 not sent to ` + p.URL + `/send (1 attempts): the provider answered 200 OK but its body does not contain success_match "\"status\":\"queued\"": {"status":"held","request":{"to":"+14155550123","text":"[code] is your Payroll sign-in code. It expires in 5 minutes. Do not share it.","id":"req-1","from":"+15005550006"}}`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}

	var call *provider
	call = newProvider(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, call.last().body)
	})
	g = gateway(t, call, jsonConfig)
	err = g.Send(context.Background(), NewCodeCall("proof-1", "+14155550123", "483920", ""))
	if err == nil || !strings.Contains(err.Error(), "the provider answered 400 Bad Request: ") || !strings.Contains(err.Error(), "Your code is: [code].") {
		t.Errorf("err = %v, want the 400 quoted with [code] for the spelled-out code", err)
	}
	for _, secret := range []string{"483920", "4, 8, 3, 9, 2, 0"} {
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("the error holds the code (%s): %v", secret, err)
		}
	}
}

// TestExecErrorHidesTheCode: a sending program that prints the message it
// was given on its standard error when it fails is quoted without the code.
func TestExecErrorHidesTheCode(t *testing.T) {
	prog := writeScript(t, t.TempDir(), "echo-refuse", `printf 'refused: ' >&2
cat >&2
exit 4
`)
	g, err := Parse("exec:" + prog)
	if err != nil {
		t.Fatal(err)
	}
	err = g.Send(context.Background(), NewText("req-3", "+14155550123", "483920", "Payroll"))
	want := "telephony exec " + prog + ": message req-3 (sms) not sent: exit status 4: refused: [code] is your Payroll sign-in code. It expires in 5 minutes. Do not share it."
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

// TestMessageCode: the messages that carry a code say which, as it is
// sent (letters and digits only); the others carry none.
func TestMessageCode(t *testing.T) {
	for _, c := range []struct {
		m    Message
		want string
	}{
		{NewText("a", "+14155550123", "48-39 20", "X"), "483920"},
		{NewCodeCall("b", "+14155550123", "483920", "X"), "483920"},
		{NewCall("c", "+14155550123", "X"), ""},
	} {
		if c.m.Code != c.want {
			t.Errorf("%s: Code %q, want %q", c.m.ID, c.m.Code, c.want)
		}
	}
}
