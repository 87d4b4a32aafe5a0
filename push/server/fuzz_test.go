package server

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/countersign/countersign/push"
)

// FuzzAPIBodies sends arbitrary bodies to every endpoint that reads one:
// the server never fails (no 5xx, no panic) and always answers JSON, with
// a stable error code when it refuses.
func FuzzAPIBodies(f *testing.F) {
	srv := fuzzServer(f)
	key, _, err := srv.AddRelyingParty("payroll", "")
	if err != nil {
		f.Fatal(err)
	}
	enr, err := srv.Enroll("ada")
	if err != nil {
		f.Fatal(err)
	}
	act, _ := push.ParseActivationURI(enr.ActivationURI)
	token := enr.EnrollURL[strings.LastIndex(enr.EnrollURL, "/")+1:]
	pub, _, _ := ed25519.GenerateKey(nil)
	activate, _ := json.Marshal(push.ActivateRequest{Code: act.Code, DevicePublicKey: pub, DeviceName: "phone"})
	h := srv.Handler()
	paths := []string{"/v1/activate", "/v1/auth-requests", "/v1/otp/verify", "/v1/enrollments/" + token + "/confirm", "/v1/enrollments/" + token + "/renew", "/v1/devices/poll", "/v1/devices/answer",
		"/v1/self-service/sign-in", "/v1/enrollments/" + token + "/otpauth",
		"/v1/enrollments/" + token + "/phone", "/v1/enrollments/" + token + "/phone/confirm", "/v1/auth-requests/0123456789abcdef0123456789abcdef/verify", "/demo/sign-in"}
	f.Add(uint8(0), activate)
	f.Add(uint8(1), []byte(`{"user":"ada","context":{"app":"Payroll","ip":"203.0.113.7"}}`))
	f.Add(uint8(1), []byte(`{"user":"nobody"}`))
	f.Add(uint8(2), []byte(`{"user":"ada","code":"123456"}`))
	f.Add(uint8(3), []byte(`{"code":"000000"}`))
	f.Add(uint8(4), []byte(`{}`))
	f.Add(uint8(1), []byte(`{"user":"ada","context":{"app":"\u0000\ud800"}}`))
	f.Add(uint8(5), []byte(`{"device_id":"x","nonce":"n","signature":"AAAA","wait":"0s","known":["a"]}`))
	f.Add(uint8(6), []byte(`{"answer":{"request_id":"r","device_id":"d","decision":"approve","number":"1","nonce":"n"},"signature":"AAAA"}`))
	f.Add(uint8(9), []byte(`{"phone":"+44 20 7946 0958","method":"sms"}`))
	f.Add(uint8(10), []byte(`{"proof_id":"0123456789abcdef0123456789abcdef","code":"123456"}`))
	f.Add(uint8(11), []byte(`{"code":"123456"}`))
	f.Add(uint8(12), []byte(`{"user":"ada"}`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		postAPI(t, h, paths[int(which)%len(paths)], key, body)
	})
}

// postAPI posts body to path as the pages and applications send it (JSON,
// the public URL's host and origin, bearer token), and fails t unless the
// server answers it without failing: no 5xx, no refusal at the edge, JSON
// always, and a stable error code with every refusal. It returns the answer.
func postAPI(t testing.TB, h http.Handler, path, token string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Host = "127.0.0.1:1" // the public URL's, as the pages send it
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://127.0.0.1:1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code == http.StatusUnsupportedMediaType || rec.Code == http.StatusForbidden && strings.Contains(rec.Body.String(), "forbidden_origin") {
		t.Fatalf("POST %s stopped at the edge: %d %s", path, rec.Code, rec.Body)
	}
	if rec.Code >= 500 {
		t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("POST %s %q: %d, not JSON: %s", path, body, rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		e, _ := out["error"].(map[string]any)
		if code, _ := e["code"].(string); code == "" {
			t.Fatalf("POST %s %q: %d without an error code: %s", path, body, rec.Code, rec.Body)
		}
	}
	return rec
}
