package server_test

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/countersign/countersign/push/telephony"
)

// providerSecret is what a failing gateway program says on its standard
// error: what a provider's client may print (its account, a token).
const providerSecret = "provider refused account AC0123 with token sk_live_9f8e7d"

// failingGateway is an exec gateway whose program (a real one, run by the
// real gateway) always fails, saying providerSecret. No SMS provider can be
// reached from a test; this program stands in for its client.
func failingGateway(t *testing.T) (telephony.Gateway, string) {
	t.Helper()
	program := filepath.Join(t.TempDir(), "countersign-send")
	script := "#!/bin/sh\necho '" + providerSecret + "' >&2\nexit 3\n"
	if err := os.WriteFile(program, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	g, err := telephony.Parse("exec:" + program)
	if err != nil {
		t.Fatal(err)
	}
	return g, program
}

var messageIDRe = regexp.MustCompile(`message ([0-9a-f]{32}) in the server's log`)

// TestTelephonyFailureShownOnlyToAdministrators: when the gateway cannot
// send a text, the application that asked (and, through the same error,
// a visitor of an enrollment or self-service page) is told that it failed
// and under which message id the server's log has the reason, but not the
// reason itself: the gateway program's path and its standard error, or a
// provider's answer, are the administrator's. The log has the reason, and
// the console's test send shows it to the administrator.
func TestTelephonyFailureShownOnlyToAdministrators(t *testing.T) {
	gw, program := failingGateway(t)
	logs := &syncBuffer{}
	e, status, answer := askTextThrough(t, gw, logs)
	id := messageIDRe.FindStringSubmatch(string(answer))
	if id == nil {
		t.Fatalf("HTTP %d %s: no message id in the answer", status, answer)
	}
	want := `{"error":{"code":"telephony_failed","message":"the text message could not be sent: the server's telephony gateway failed (the reason is under message ` + id[1] + ` in the server's log); try again, or use the app"}}` + "\n"
	if status != http.StatusBadGateway || string(answer) != want {
		t.Errorf("the application got HTTP %d\n%s\nwant 502\n%s", status, answer, want)
	}
	if log := logs.String(); !strings.Contains(log, providerSecret) || !strings.Contains(log, id[1]) {
		t.Errorf("the log does not keep the reason under the message's id:\n%s", log)
	}

	csrf := e.signIn()
	resp, page := e.post("/admin/gateway/test", url.Values{"csrf": {csrf}, "to": {"+442079460958"}, "kind": {"sms"}})
	page = html.UnescapeString(page)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(page, "Not sent: the gateway failed: telephony exec "+program) || !strings.Contains(page, providerSecret) {
		t.Errorf("the console's test send: HTTP %d, want 502 with the gateway's reason:\n%s", resp.StatusCode, page)
	}
}
