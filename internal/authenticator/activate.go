package authenticator

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/vault"
)

// activationClient is the HTTP client of activations: bounded in time.
var activationClient = &http.Client{Timeout: 20 * time.Second}

// Activated is an activated push account.
type Activated struct {
	Account vault.Account
	// Pending: the user has another device, which must approve this one,
	// with ApprovalNumber typed there, before ApprovalExpiresAt. Until
	// then the server refuses this device's connection and codes.
	Pending           bool
	ApprovalNumber    string // cleaned
	ApprovalExpiresAt time.Time
}

// ApprovalMessage tells the user of a pending device what to do, e.g.
// "This device waits for approval: on your other device, approve the
// request and type 42 (until 14:05)."; the time is local.
func (a Activated) ApprovalMessage() string {
	return fmt.Sprintf("This device waits for approval: on your other device, approve the request and type %s (until %s).",
		a.ApprovalNumber, a.ApprovalExpiresAt.Local().Format("15:04"))
}

// ActivateAccount activates this device with a Countersign activation URI
// (countersign://activate?...) and stores the new push account: its TOTP
// key, its server's key, and the device key in the secret store. It is used
// by the app and by `countersign activate`.
func ActivateAccount(ctx context.Context, v *vault.Vault, uri, deviceName string) (Activated, error) {
	act, err := push.ParseActivationURI(uri)
	if err != nil {
		return Activated{}, err
	}
	// The same account on the same server, already here: a second
	// enrollment would leave a device on the server that nothing uses, and
	// its seed could not be stored beside the first. Refuse before asking.
	if a, ok := EnrolledAccount(v, act); ok {
		return Activated{}, &AlreadyEnrolledError{Existing: a}
	}
	a, err := device.Activate(ctx, activationClient, act, deviceName)
	if err != nil {
		return Activated{}, err
	}
	secret, err := vault.DecodeSecret(a.TOTP.Secret)
	if err != nil {
		return Activated{}, fmt.Errorf("the server sent a bad seed: %w", err)
	}
	issuer := a.Issuer
	if issuer == "" {
		issuer = act.Issuer
	}
	k := vault.Key{Params: vault.Params{
		Type: vault.TOTP, Issuer: issuer, Name: a.Account,
		Algorithm: vault.Algorithm(a.TOTP.Algorithm), Digits: a.TOTP.Digits, Period: a.TOTP.Period,
	}, Secret: secret}
	acc, err := v.AddPush(k, vault.PushInfo{DeviceID: a.DeviceID, ServerKey: a.ServerKey, WebsocketURL: a.WebsocketURL}, a.PrivateKey)
	if err != nil {
		return Activated{}, fmt.Errorf("the server activated this device but it could not be saved: %w; ask for a new activation code", err)
	}
	return Activated{Account: acc, Pending: a.Pending, ApprovalNumber: textsafe.Clean(a.ApprovalNumber), ApprovalExpiresAt: a.ApprovalExpiresAt}, nil
}

// AlreadyEnrolledError refuses an activation of a push account that is
// already in the vault: the same account on the server with the same key.
type AlreadyEnrolledError struct {
	Existing vault.Account
}

// Error names the account already enrolled (its label cleaned for display)
// and says how to enroll this desktop again.
func (e *AlreadyEnrolledError) Error() string {
	return textsafe.Clean(e.Existing.Label()) + " on this server is already in Countersign; remove it first (its menu → Delete) to enroll this desktop again"
}

// EnrolledAccount returns the push account of v that act would enroll
// again: the same account name on a server with act's key fingerprint.
func EnrolledAccount(v *vault.Vault, act push.Activation) (vault.Account, bool) {
	for _, a := range v.Accounts() {
		if a.Push != nil && a.Name == act.Account && push.MatchFingerprint(a.Push.ServerKey, act.Fingerprint) {
			return a, true
		}
	}
	return vault.Account{}, false
}
