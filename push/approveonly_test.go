package push

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"
)

// TestApproveOnlyIsSigned: the approve-only flag is part of what the
// server signs, so it cannot be added or removed in transit, and a device
// that does not know the field (it reads the request without it) finds the
// signature wrong and shows nothing, rather than a request that seems to
// need a number. Without the flag a request signs as before the field
// existed.
func TestApproveOnlyIsSigned(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Unix(1795650000, 0)
	r := Request{ID: "r1", User: "ada", Application: "kiosk", Kind: KindSignIn, Nonce: "n", CreatedAt: now, ExpiresAt: now.Add(time.Minute), ApproveOnly: true}
	sig := Sign(priv, r.SigningBytes())
	if err := Verify(pub, r.SigningBytes(), sig); err != nil {
		t.Fatal(err)
	}
	stripped := r
	stripped.ApproveOnly = false
	if err := Verify(pub, stripped.SigningBytes(), sig); err == nil {
		t.Fatal("the signature of an approve-only request verifies without the flag")
	}
	// A device of before: the same JSON read into a struct without the field.
	data, _ := json.Marshal(r)
	var old struct {
		ID          string      `json:"id"`
		User        string      `json:"user"`
		Application string      `json:"application"`
		Kind        RequestKind `json:"kind,omitempty"`
		Context     Context     `json:"context"`
		Nonce       string      `json:"nonce"`
		CreatedAt   time.Time   `json:"created_at"`
		ExpiresAt   time.Time   `json:"expires_at"`
	}
	json.Unmarshal(data, &old)
	seen := Request{ID: old.ID, User: old.User, Application: old.Application, Kind: old.Kind, Context: old.Context, Nonce: old.Nonce, CreatedAt: old.CreatedAt, ExpiresAt: old.ExpiresAt}
	if err := Verify(pub, seen.SigningBytes(), sig); err == nil {
		t.Fatal("a device that does not know approve_only would show the request")
	}
	// Without the flag, the field is absent from the JSON and the bytes
	// are those of the fields before it.
	data, _ = json.Marshal(stripped)
	var plain map[string]any
	json.Unmarshal(data, &plain)
	if _, ok := plain["approve_only"]; ok {
		t.Fatalf("approve_only sent when false: %s", data)
	}
	if string(stripped.SigningBytes()) != string(signingBytes(domainRequest, "r1", "ada", "kiosk", "sign_in", "", "", "", "", "n", "1795650000", "1795650060")) {
		t.Fatal("a request without the flag signs differently from before")
	}
	// The device's approval of it carries the marker, which Validate takes.
	a := Answer{RequestID: "r1", DeviceID: "d", Decision: Approve, Number: ApproveOnlyNumber, Nonce: "n"}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
}
