package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/telephony"
)

// TestTelephonyFailureLogHoldsNoCode: a sending program that fails and
// prints on its standard error the text it was given (a provider's
// client that echoes its refusal) has its reason logged, as the
// administrator needs it, but the sign-in code in that text is not:
// "[code]" stands for it. The program (a real one, run by the real exec
// gateway) stands in for the provider's client, which cannot be reached
// from a test; it keeps the text in a file, as the phone would have it.
func TestTelephonyFailureLogHoldsNoCode(t *testing.T) {
	dir := t.TempDir()
	sent := filepath.Join(dir, "sent.txt")
	program := filepath.Join(dir, "countersign-send")
	script := "#!/bin/sh\ntee '" + sent + "' | sed 's/^/provider refused: /' >&2\nexit 3\n"
	if err := os.WriteFile(program, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	gw, err := telephony.Parse("exec:" + program)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	_, status, answer := askTextThrough(t, gw, logs)
	if status != http.StatusBadGateway {
		t.Fatalf("HTTP %d %s, want 502 (the gateway failed)", status, answer)
	}
	text, err := os.ReadFile(sent)
	if err != nil {
		t.Fatalf("the program was not given the text: %v", err)
	}
	code := regexp.MustCompile(`^[0-9]{6}\b`).Find(text)
	if code == nil {
		t.Fatalf("the text %q does not start with a 6-digit code", text)
	}
	log := logs.String()
	if !strings.Contains(log, "provider refused: [code] is your ") {
		t.Errorf("the log does not keep the gateway's reason with the code taken out:\n%s", log)
	}
	if strings.Contains(log, string(code)) {
		t.Errorf("the log holds the sign-in code %s:\n%s", code, log)
	}
}

// askTextThrough starts a server whose telephony gateway is gw and whose
// log goes to logs, gives ada a phone for text messages, and asks, as the
// application payroll, for a sign-in of hers by text message: the server,
// and its HTTP status and body.
func askTextThrough(t *testing.T, gw telephony.Gateway, logs *syncBuffer) (*consoleEnv, int, []byte) {
	t.Helper()
	e := newConsoleEnvWith(t, server.Config{Telephony: gw, TelephonyCountries: []string{"GB"},
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err := e.srv.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SetPhone("ada", "+442079460958", []push.Method{push.MethodSMS}, "test"); err != nil {
		t.Fatal(err)
	}
	key, _, err := e.srv.AddRelyingParty("payroll", "")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(push.AuthRequestBody{User: "ada", Method: push.MethodSMS})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/auth-requests", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return e, resp.StatusCode, answer
}
