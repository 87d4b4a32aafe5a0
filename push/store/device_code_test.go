package store

import (
	"errors"
	"testing"
	"time"
)

// TestDeviceCodeAccepted: a new device has shown no code; once a code step
// of it is accepted it has, and a replay changes nothing; an unknown device
// is ErrNotFound.
func TestDeviceCodeAccepted(t *testing.T) {
	s, _ := openTest(t)
	hash := []byte("code")
	if err := s.AddActivation(Activation{CodeHash: hash, User: "ada", Token: "tok", Created: t0, Expires: t0.Add(time.Hour), ApprovedBy: "admin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SpendActivation(hash, Device{ID: "otp1", Name: "authenticator app", Kind: KindOTP, PublicKey: []byte{}, SealedSeed: []byte("seed")}, t0); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.DeviceCodeAccepted("otp1"); err != nil || ok {
		t.Fatalf("a new device: accepted %v, %v; want false", ok, err)
	}
	if ok, err := s.UseDeviceOTPStep("otp1", 0); err != nil || !ok {
		t.Fatalf("using step 0: %v, %v", ok, err)
	}
	if ok, err := s.DeviceCodeAccepted("otp1"); err != nil || !ok {
		t.Fatalf("after a code: accepted %v, %v; want true", ok, err)
	}
	if ok, _ := s.UseDeviceOTPStep("otp1", 0); ok {
		t.Fatal("step 0 accepted twice")
	}
	if ok, err := s.DeviceCodeAccepted("otp1"); err != nil || !ok {
		t.Fatalf("after a replay: accepted %v, %v; want true", ok, err)
	}
	if _, err := s.DeviceCodeAccepted("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an unknown device: %v, want ErrNotFound", err)
	}
}
