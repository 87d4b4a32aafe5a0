// Package authenticator holds the operations shared by the app (package
// app, the Fyne UI) and the command line (cmd/countersign), so that each
// decision is written once:
//
//   - what a pasted or scanned text is, and the keys it holds;
//   - reading an import file, an image of export QR codes or a folder of
//     them (ReadImport), and which of its accounts are new or duplicates
//     (DecodeImport, PlanImport, PlanKeys), then adding the chosen ones
//     (ApplyImport);
//   - collecting keys for an export, and those the format cannot hold
//     (CollectExport);
//   - activating a push account (ActivateAccount) and the name this device
//     gives itself (DeviceName);
//   - the push sessions: a device client per push account, its events
//     routed to one function, answers and verdicts (Sessions), and what a
//     request asks in words (DescribeRequest).
//
// It has no UI; the app and the CLI are thin adapters that word the
// results for their users, the way tailscale's cmd/tailscale/cli and
// client/systray both sit on the same client library.
package authenticator

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/vault"
)

// Kind is what a pasted or scanned text is.
type Kind int

const (
	// Other is anything else: a web address, plain text.
	Other Kind = iota
	// OTPAuth is an otpauth:// URI: one account.
	OTPAuth
	// Migration is a Google Authenticator export (otpauth-migration://).
	Migration
	// Activation is a countersign://activate URI: a push account to enroll.
	Activation
)

// String returns the kind's short name for logs and messages: "otpauth",
// "otpauth-migration", "activation" or "other".
func (k Kind) String() string {
	switch k {
	case OTPAuth:
		return "otpauth"
	case Migration:
		return "otpauth-migration"
	case Activation:
		return "activation"
	}
	return "other"
}

// KindOf tells what text is, by its scheme (any case, surrounding spaces
// ignored). It does not check the rest.
func KindOf(text string) Kind {
	switch {
	case vault.IsMigrationURI(text):
		return Migration
	case push.IsActivationURI(text):
		return Activation
	case strings.HasPrefix(strings.ToLower(strings.TrimSpace(text)), "otpauth://"):
		return OTPAuth
	}
	return Other
}

// IsAccountURI tells whether text holds TOTP/HOTP accounts (otpauth:// or
// otpauth-migration://): what paste adds rather than searches for, and
// what the CLI takes from a QR code.
func IsAccountURI(text string) bool {
	k := KindOf(text)
	return k == OTPAuth || k == Migration
}

// Text is a parsed pasted or scanned text.
type Text struct {
	Kind Kind
	// Key is the account of an otpauth:// URI.
	Key vault.Key
	// Migration is the content of a Google Authenticator export.
	Migration vault.Migration
	// Activation is the content of an activation URI.
	Activation push.Activation
}

// Read parses text according to its kind. The error is the parser's,
// unworded; Kind is set even then. A text of kind Other is no error.
func Read(text string) (Text, error) {
	t := Text{Kind: KindOf(text)}
	var err error
	switch t.Kind {
	case Migration:
		t.Migration, err = vault.ParseMigrationURI(text)
	case Activation:
		t.Activation, err = push.ParseActivationURI(text)
	case OTPAuth:
		t.Key, err = vault.ParseURI(text)
	}
	return t, err
}

// ErrEmptyExport is returned by Keys for a Google Authenticator export
// without accounts.
var ErrEmptyExport = errors.New("the Google Authenticator export holds no account")

// Keys parses an otpauth:// URI or a Google Authenticator export
// (otpauth-migration://) given on purpose: anything else is parsed as an
// otpauth:// URI, whose error says what is wrong.
func Keys(text string) ([]vault.Key, error) {
	if vault.IsMigrationURI(text) {
		m, err := vault.ParseMigrationURI(text)
		if err != nil {
			return nil, err
		}
		if len(m.Keys) == 0 {
			return nil, ErrEmptyExport
		}
		return m.Keys, nil
	}
	k, err := vault.ParseURI(text)
	if err != nil {
		return nil, err
	}
	return []vault.Key{k}, nil
}

// KeysFromTexts parses the texts of the QR codes of one image. Codes that
// are not account URIs (a web address next to the QR code of an account,
// say) are skipped; the first bad account URI is the error, and an image
// with none at all is an error.
func KeysFromTexts(texts []string) ([]vault.Key, error) {
	var keys []vault.Key
	var firstErr error
	for _, t := range texts {
		if !IsAccountURI(t) {
			continue
		}
		ks, err := Keys(t)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		keys = append(keys, ks...)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("found %d QR code(s) but no otpauth:// or otpauth-migration:// URI", len(texts))
	}
	return keys, nil
}

// DeviceName is how this device names itself to a push server when it
// activates an account: after the host name.
func DeviceName() string {
	h, _ := os.Hostname()
	return DeviceNameFor(h)
}

// DeviceNameFor is DeviceName on the host named host ("" when unknown).
func DeviceNameFor(host string) string {
	if host != "" {
		return "Countersign on " + host
	}
	return "Countersign desktop"
}
