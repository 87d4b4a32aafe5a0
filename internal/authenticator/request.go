package authenticator

import (
	"strings"

	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/push"
)

// RequestText is what a request asks of the user, in words: every part
// that comes from outside is cleaned (textsafe.Clean). The dialog, the
// notification and `countersign requests` say the same.
type RequestText struct {
	// Kind is the request's kind, KindSignIn when the server gave none.
	Kind push.RequestKind
	// Title is the dialog's and the notification's title.
	Title string
	// Question says plainly what is asked.
	Question string
	// Application is the registered name of the application that asks
	// ("Countersign" for the server's own requests), or "unknown".
	Application string
	// Detail is the caller's own words (push.Context.App), if any: a
	// detail only, never the application.
	Detail string
	// Device is the name of the device added or removed (add_device,
	// remove_device).
	Device string
	// NumberFrom says where the number to type is shown.
	NumberFrom string
	// NoNumber explains an approval without a number.
	NoNumber string
	// ApproveOnly, when set, replaces the prompt for the number: the
	// application shows none (push.Request.ApproveOnly, signed by the
	// server), and it says why approving then needs more care.
	ApproveOnly string
	// Short is the question in a clause, for notifications.
	Short string
	// Noun names the request in a sentence.
	Noun string
	// FraudQuestion and FraudWhen are the first and last lines of the fraud confirmation.
	FraudQuestion, FraudWhen string
	// Mismatch says, in the dialog, that the typed number was not the
	// one shown and what to do; MismatchStatus says it on the status line.
	Mismatch, MismatchStatus string
}

// Prefixes of the server's context text of its own requests.
const (
	newDevicePrefix    = "New device: "
	removeDevicePrefix = "Remove this device: "
)

// DescribeRequest says what r asks, cleaned.
func DescribeRequest(r push.Request) RequestText {
	t := RequestText{Kind: r.Kind, Application: textsafe.Clean(r.Application), Detail: textsafe.Clean(r.Context.App)}
	if t.Kind == "" {
		t.Kind = push.KindSignIn
	}
	if strings.TrimSpace(t.Application) == "" {
		t.Application = "unknown"
	}
	named := func(prefix string) string {
		name := strings.TrimSpace(strings.TrimPrefix(t.Detail, prefix))
		if name == "" {
			return "unnamed"
		}
		return name
	}
	switch t.Kind {
	case push.KindSignIn:
		t.Title = "Sign-in request"
		t.Question = "Is this you signing in to " + t.Application + " now?"
		t.NumberFrom = "the sign-in screen"
		t.NoNumber = "Type the number shown on the sign-in screen first. If you see no sign-in screen, deny."
		t.Noun = "sign-in request"
		t.FraudQuestion, t.FraudWhen = "Report this sign-in as fraud?", "Do this if you did not try to sign in: someone may know your password."
		t.Mismatch = "The numbers did not match, so this sign-in was denied. If it was you, sign in again: you will get a new request with a new number."
		t.MismatchStatus = "Sign-in denied: the numbers did not match. Sign in again to get a new number."
		if r.ApproveOnly {
			t.ApproveOnly = t.Application + " shows no number to type. Approve only if you are signing in to it right now: " +
				"without a number to match, approving a request you did not start lets someone else in."
		}
	case push.KindAddDevice:
		name := named(newDevicePrefix)
		t.Device = name
		t.Title = "Add a new device?"
		t.Question = "A new device, " + name + ", asks to join your account. Approve only if you are adding it now, and type the number it shows."
		t.Short = "a new device, " + name + ", asks to join your account"
		t.NumberFrom = "the new device"
		t.NoNumber = "Type the number shown on the new device first. If you are not adding a device, deny."
		t.Noun = "request to add a new device"
		t.FraudQuestion, t.FraudWhen = "Report this new device as fraud?", "Do this if you are not adding a device: someone may have one of your codes."
		t.Mismatch = "The numbers did not match, so the new device was turned away. To add it, start again on the new device: it will show a new number."
		t.MismatchStatus = "The new device was turned away: the numbers did not match."
	case push.KindRemoveDevice:
		name := named(removeDevicePrefix)
		t.Device = name
		t.Title = "Remove this device?"
		t.Question = "This device, " + name + ", is to be removed from your account: it is your last one, so it must approve its own removal. " +
			"Approve only if you are removing it now, and type the number shown where you asked for it."
		t.Short = "this device, " + name + ", is to be removed from your account"
		t.NumberFrom = "the page where you asked for the removal"
		t.NoNumber = "Type the number shown where you asked for the removal first. If you did not ask for it, deny."
		t.Noun = "request to remove this device"
		t.FraudQuestion, t.FraudWhen = "Report this removal as fraud?", "Do this if you did not ask for it: someone may have one of your codes."
		t.Mismatch = "The numbers did not match, so this device was not removed. To remove it, ask again: you will get a new number."
		t.MismatchStatus = "This device stays on your account: the numbers did not match."
	default:
		t.Title = "Approval request"
		t.Question = t.Application + " asks for an approval of a kind this version of Countersign does not know (" +
			textsafe.Clean(string(t.Kind)) + "). Deny it unless you know what it is."
		t.Short = t.Application + " asks for an approval"
		t.NumberFrom = "the screen that asked for it"
		t.NoNumber = "Type the number shown on the screen that asked for it first. If you see none, deny."
		t.Noun = "request"
		t.FraudQuestion, t.FraudWhen = "Report this request as fraud?", "Do this if you did not ask for it."
		t.Mismatch = "The numbers did not match, so the request was denied. Ask again to get a new number."
		t.MismatchStatus = "Request denied: the numbers did not match."
	}
	return t
}
