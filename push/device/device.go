// Package device is the app's side of Countersign push: activation from a
// scanned activation code, and a websocket client that receives sign-in
// requests, checks the server's signature on each before showing it,
// answers with the device's own signature, and reconnects with exponential
// backoff and jitter.
package device

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/countersign/countersign/push"
)

// Enrollment is what a device keeps of its activation: no secret.
type Enrollment struct {
	DeviceID     string `json:"device_id"`
	ServerKey    []byte `json:"server_key"`
	WebsocketURL string `json:"websocket_url"`
	Issuer       string `json:"issuer"`
	Account      string `json:"account"`
}

// Activated is the result of an activation: the enrollment, the device's
// private key and the TOTP parameters (with the seed) for one-time codes.
type Activated struct {
	Enrollment
	PrivateKey ed25519.PrivateKey
	TOTP       push.TOTPParams
	// Pending: the user already has a device, and this one joins only once
	// one of those approves it, with ApprovalNumber typed there, before
	// ApprovalExpiresAt. Until then the server refuses its connection
	// (the client keeps trying: see ErrPendingApproval) and its codes.
	// Denied or expired, the device is revoked.
	Pending           bool
	ApprovalNumber    string
	ApprovalExpiresAt time.Time
}

// maxResponse bounds the server's answers.
const maxResponse = 64 << 10

// Activate activates this device with a scanned activation code: it makes
// a key pair, sends the public key with the code, and checks that the
// server's key matches the fingerprint in the code before trusting anything.
func Activate(ctx context.Context, client *http.Client, act push.Activation, deviceName string) (Activated, error) {
	if err := push.CheckEndpoint(act.URL); err != nil {
		return Activated{}, fmt.Errorf("activation endpoint %w", err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Activated{}, err
	}
	body, _ := json.Marshal(push.ActivateRequest{Code: act.Code, DevicePublicKey: pub, DeviceName: deviceName})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, act.URL, bytes.NewReader(body))
	if err != nil {
		return Activated{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Activated{}, fmt.Errorf("reaching %s: %w (check the network, then scan again)", act.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return Activated{}, fmt.Errorf("reading the server's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Activated{}, fmt.Errorf("activation refused: %w", apiError(resp.StatusCode, data))
	}
	var ar push.ActivateResponse
	if err := json.Unmarshal(data, &ar); err != nil {
		return Activated{}, fmt.Errorf("the server's answer is not valid JSON: %w", err)
	}
	if !push.MatchFingerprint(ar.ServerPublicKey, act.Fingerprint) {
		return Activated{}, errors.New("the server's key does not match the activation code's fingerprint: this may not be the server you meant; do not use it")
	}
	if err := push.CheckEndpoint(strings.Replace(strings.Replace(ar.WebsocketURL, "wss://", "https://", 1), "ws://", "http://", 1)); err != nil {
		return Activated{}, fmt.Errorf("websocket URL %w", err)
	}
	if ar.DeviceID == "" || ar.TOTP.Secret == "" {
		return Activated{}, errors.New("the server's answer lacks the device id or the seed")
	}
	if ar.Pending && ar.ApprovalNumber == "" {
		return Activated{}, errors.New("the server says this device waits for an approval but gave no number to type: ask for a new activation code")
	}
	return Activated{
		Enrollment:        Enrollment{DeviceID: ar.DeviceID, ServerKey: ar.ServerPublicKey, WebsocketURL: ar.WebsocketURL, Issuer: ar.Issuer, Account: ar.Account},
		PrivateKey:        priv,
		TOTP:              ar.TOTP,
		Pending:           ar.Pending,
		ApprovalNumber:    ar.ApprovalNumber,
		ApprovalExpiresAt: ar.ApprovalExpiresAt,
	}, nil
}

// apiError turns an error answer of the server into an error.
func apiError(status int, data []byte) error {
	var body struct {
		Error push.ErrorBody `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		return &body.Error
	}
	return fmt.Errorf("HTTP %d", status)
}

// backoff returns the wait before reconnection attempt n (0-based):
// exponential from 1 s to 1 minute, with full jitter in its upper half.
func backoff(n int, random func(time.Duration) time.Duration) time.Duration {
	d := time.Second << min(n, 6)
	d = min(d, time.Minute)
	return d/2 + random(d/2)
}
