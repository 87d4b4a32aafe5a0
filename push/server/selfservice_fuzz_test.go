package server

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/countersign/countersign/push"
)

// FuzzSelfServiceBodies sends arbitrary bodies to the self-service
// endpoints that read one, signed in (FuzzAPIBodies reaches only the
// sign-in): ada's device is activated through the API and a session opened
// for it. The server never fails, answers JSON with a stable error code
// when it refuses, and keeps the session (no input signs the user out).
func FuzzSelfServiceBodies(f *testing.F) {
	srv := fuzzServer(f)
	h := srv.Handler()
	enr, err := srv.Enroll("ada")
	if err != nil {
		f.Fatal(err)
	}
	act, err := push.ParseActivationURI(enr.ActivationURI)
	if err != nil {
		f.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	activate, _ := json.Marshal(push.ActivateRequest{Code: act.Code, DevicePublicKey: pub, DeviceName: "phone"})
	var activated push.ActivateResponse
	if rec := postAPI(f, h, "/v1/activate", "", activate); rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &activated) != nil {
		f.Fatalf("activation: %d %s", rec.Code, rec.Body)
	}
	token, err := srv.selfSessions.open("ada", activated.DeviceID, srv.cfg.Now())
	if err != nil {
		f.Fatal(err)
	}
	paths := []string{"/v1/self-service/methods/default", "/v1/self-service/phone", "/v1/self-service/phone/confirm", "/v1/self-service/recovery-codes"}
	// Seeds: what the self-service page sends (assets/web/static/self-service.js).
	f.Add(uint8(0), []byte(`{"method":"push"}`))
	f.Add(uint8(0), []byte(`{"method":"sms"}`))
	f.Add(uint8(1), []byte(`{"phone":"+44 20 7946 0958","method":"sms"}`))
	f.Add(uint8(1), []byte(`{"phone":"+1 (415) 555-0123","method":"voice"}`))
	f.Add(uint8(2), []byte(`{"proof_id":"0123456789abcdef0123456789abcdef","code":"123456"}`))
	f.Add(uint8(2), []byte(`{"proof_id":"0123456789abcdef0123456789abcdef","request_id":"fedcba9876543210fedcba9876543210"}`))
	f.Add(uint8(2), []byte(`{"proof_id":"","code":""}`))
	f.Add(uint8(3), []byte(`{}`))
	f.Add(uint8(3), []byte(`{"request_id":"fedcba9876543210fedcba9876543210"}`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		rec := postAPI(t, h, path, token, body)
		if rec.Code == http.StatusUnauthorized && strings.Contains(rec.Body.String(), `"unauthorized"`) {
			t.Fatalf("POST %s %q ended the session: %s", path, body, rec.Body)
		}
	})
}
