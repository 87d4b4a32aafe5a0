package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2/dialog"

	"github.com/countersign/countersign/internal/authenticator"
	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/vault"
)

// pushState is the UI's view of push: one client per push account, their
// connection states, and the sign-in requests waiting for the user.
type pushState struct {
	ctx     context.Context
	cancel  context.CancelFunc
	clients map[string]*device.Client // by account id
	states  map[string]device.State   // by account id
	pending []pendingRequest          // in arrival order
	dialog  *requestDialog            // the request on screen, if any
	// answered holds the kind of each request answered here, until the
	// server's verdict on it arrives.
	answered map[string]push.RequestKind
	// waits are the accounts whose device waits for an approval from one
	// of the user's other devices (the server refuses it until then).
	waits map[string]bool
	// refused are the accounts whose device the server refused (revoked,
	// or turned away), by their error.
	refused map[string]bool
	// approvals are the "waiting for approval" dialogs, by account id:
	// each closes by itself when its device is approved or turned away.
	approvals map[string]dialog.Dialog
	// notifier shows the desktop notifications (see notifications).
	notifier notifier
}

// pendingRequest is a sign-in request and the account it is for.
type pendingRequest struct {
	account vault.Account
	request push.Request
}

func newPushState() *pushState {
	ctx, cancel := context.WithCancel(context.Background())
	return &pushState{ctx: ctx, cancel: cancel, clients: map[string]*device.Client{}, states: map[string]device.State{},
		answered: map[string]push.RequestKind{}, waits: map[string]bool{}, refused: map[string]bool{}, approvals: map[string]dialog.Dialog{}}
}

// startPush connects every push account that is not connected yet.
func (u *UI) startPush() {
	for _, a := range u.vault.Accounts() {
		if a.Push == nil || u.push.clients[a.ID] != nil {
			continue
		}
		id := a.ID
		client, err := NewPushClient(u.vault, a, func(ev device.Event) {
			u.do(func() { u.onPushEvent(id, ev) })
		})
		if err != nil {
			u.setStatus(err.Error())
			continue
		}
		u.push.clients[id] = client
		go client.Run(u.push.ctx)
	}
}

// connectionLabel says how a push account is connected, for its row.
func (u *UI) connectionLabel(id string) string {
	switch {
	case u.push.states[id] == device.Connected:
		return "push: connected"
	case u.push.waits[id]:
		return "push: waits for approval on your other device"
	case u.push.refused[id]:
		return "push: refused by its server (revoked?); activate it again"
	case u.push.states[id] == device.Connecting:
		return "push: connecting…"
	}
	return "push: offline (codes still work)"
}

// onPushEvent runs on the UI goroutine for every event of a push client.
func (u *UI) onPushEvent(accountID string, ev device.Event) {
	switch ev.Kind {
	case device.EventState:
		u.onPushState(accountID, ev)
	case device.EventRequest:
		a, ok := u.vault.Account(accountID)
		if !ok {
			return
		}
		u.push.pending = append(u.push.pending, pendingRequest{account: a, request: ev.Request})
		u.notifications().Notify(requestKey(ev.Request.ID), requestNotification(a, ev.Request))
		u.refreshTray()
		u.showNextRequest()
	case device.EventResolved, device.EventResult:
		u.onRequestDecided(ev)
	case device.EventNotice:
		// A device was added to or removed from the account: the user is
		// told even when the window is hidden, as this may not be their doing.
		text := textsafe.Clean(ev.Notice.Text)
		u.notifications().Notify(fmt.Sprintf("%s%s/%d", noticeKeyPrefix, accountID, ev.Notice.ID), notification{Title: noticeTitle, Body: text})
		u.setStatus(text)
	}
}

// noticeTitle is the title of the notifications of notices.
const noticeTitle = "Countersign: your account changed"

// onPushState follows the connection of a push account: its row, and the
// "waiting for approval" dialog of a device that waits for one.
func (u *UI) onPushState(accountID string, ev device.Event) {
	var refused *push.ErrorBody
	waits := u.push.waits[accountID]
	switch {
	case ev.State == device.Connected:
		waits = false
	case errors.Is(ev.Err, device.ErrPendingApproval):
		waits = true
	case errors.As(ev.Err, &refused):
		waits = false // turned away (or revoked): no approval to wait for
	}
	wasRefused := u.push.refused[accountID]
	isRefused := wasRefused
	if ev.State == device.Connected || refused != nil || waits {
		isRefused = refused != nil
	}
	if u.push.states[accountID] != ev.State || u.push.waits[accountID] != waits || wasRefused != isRefused {
		u.push.states[accountID] = ev.State
		u.push.waits[accountID] = waits
		u.push.refused[accountID] = isRefused
		u.list.Refresh()
	}
	d, waiting := u.push.approvals[accountID]
	if !waiting {
		return
	}
	label := "This device"
	if a, ok := u.vault.Account(accountID); ok {
		label = textsafe.Clean(a.Label())
	}
	switch {
	case ev.State == device.Connected:
		delete(u.push.approvals, accountID)
		d.Hide()
		u.setStatus("Approved: " + label + " joined your account; sign-in requests will appear here.")
	case refused != nil:
		// Denied, or the approval expired: the server revoked the device.
		delete(u.push.approvals, accountID)
		d.Hide()
		u.setStatus(label + " was not approved (denied, or the request expired): delete it, and scan a new activation code to try again.")
	}
}

// requestNotification is the desktop notification of a new request: it
// expires with the request, and a click on it opens the request.
func requestNotification(a vault.Account, r push.Request) notification {
	t := DescribeRequest(r)
	n := notification{Title: t.Title, Expires: r.ExpiresAt, Clickable: true}
	if t.Kind != push.KindSignIn {
		n.Body = fmt.Sprintf("%s: %s. Open Countersign to answer.", textsafe.Clean(a.Label()), t.short)
		return n
	}
	n.Body = fmt.Sprintf("%s: %s wants to sign in as %s. Open Countersign to answer.",
		textsafe.Clean(a.Issuer), t.Application, textsafe.Clean(a.Name))
	if t.Detail != "" {
		n.Body += "\nDetail: " + t.Detail
	}
	return n
}

// resultSentence tells the server's verdict on an answer given here.
func resultSentence(kind push.RequestKind, s push.Status) string {
	switch {
	case kind == push.KindAddDevice && s == push.StatusApproved:
		return "New device approved: it joins your account."
	case kind == push.KindAddDevice && s == push.StatusDenied:
		return "The new device was turned away."
	case kind == push.KindRemoveDevice && s == push.StatusApproved:
		return "This device was removed from your account: its codes and sign-in requests stop."
	case kind == push.KindRemoveDevice && s == push.StatusDenied:
		return "This device stays on your account."
	case kind != push.KindSignIn && s == push.StatusFraud:
		return "Reported as fraud: the request is denied and the account is blocked until an administrator unblocks it."
	case kind != push.KindSignIn && s == push.StatusExpired:
		return "Too late: the request had expired."
	}
	switch s {
	case push.StatusApproved:
		return "Sign-in approved."
	case push.StatusDenied:
		return "Sign-in denied."
	case push.StatusFraud:
		return "Reported as fraud: the sign-in is denied and the account is blocked until an administrator unblocks it."
	case push.StatusExpired:
		return "Too late: the sign-in request had expired."
	}
	return "Sign-in " + textsafe.Clean(string(s)) + "."
}

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
	// noNumber explains an approval without a number.
	noNumber string
	// short is the question in a clause, for notifications.
	short string
	// noun names the request in a sentence.
	noun string
	// fraud is the first and last line of the fraud confirmation.
	fraudQuestion, fraudWhen string
	// mismatch says, in the dialog, that the typed number was not the
	// one shown and what to do; mismatchStatus says it on the status line.
	mismatch, mismatchStatus string
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
		t.noNumber = "Type the number shown on the sign-in screen first. If you see no sign-in screen, deny."
		t.noun = "sign-in request"
		t.fraudQuestion, t.fraudWhen = "Report this sign-in as fraud?", "Do this if you did not try to sign in: someone may know your password."
		t.mismatch = "The numbers did not match, so this sign-in was denied. If it was you, sign in again: you will get a new request with a new number."
		t.mismatchStatus = "Sign-in denied: the numbers did not match. Sign in again to get a new number."
	case push.KindAddDevice:
		name := named(newDevicePrefix)
		t.Device = name
		t.Title = "Add a new device?"
		t.Question = "A new device, " + name + ", asks to join your account. Approve only if you are adding it now, and type the number it shows."
		t.short = "a new device, " + name + ", asks to join your account"
		t.NumberFrom = "the new device"
		t.noNumber = "Type the number shown on the new device first. If you are not adding a device, deny."
		t.noun = "request to add a new device"
		t.fraudQuestion, t.fraudWhen = "Report this new device as fraud?", "Do this if you are not adding a device: someone may have one of your codes."
		t.mismatch = "The numbers did not match, so the new device was turned away. To add it, start again on the new device: it will show a new number."
		t.mismatchStatus = "The new device was turned away: the numbers did not match."
	case push.KindRemoveDevice:
		name := named(removeDevicePrefix)
		t.Device = name
		t.Title = "Remove this device?"
		t.Question = "This device, " + name + ", is to be removed from your account: it is your last one, so it must approve its own removal. " +
			"Approve only if you are removing it now, and type the number shown where you asked for it."
		t.short = "this device, " + name + ", is to be removed from your account"
		t.NumberFrom = "the page where you asked for the removal"
		t.noNumber = "Type the number shown where you asked for the removal first. If you did not ask for it, deny."
		t.noun = "request to remove this device"
		t.fraudQuestion, t.fraudWhen = "Report this removal as fraud?", "Do this if you did not ask for it: someone may have one of your codes."
		t.mismatch = "The numbers did not match, so this device was not removed. To remove it, ask again: you will get a new number."
		t.mismatchStatus = "This device stays on your account: the numbers did not match."
	default:
		t.Title = "Approval request"
		t.Question = t.Application + " asks for an approval of a kind this version of Countersign does not know (" +
			textsafe.Clean(string(t.Kind)) + "). Deny it unless you know what it is."
		t.short = t.Application + " asks for an approval"
		t.NumberFrom = "the screen that asked for it"
		t.noNumber = "Type the number shown on the screen that asked for it first. If you see none, deny."
		t.noun = "request"
		t.fraudQuestion, t.fraudWhen = "Report this request as fraud?", "Do this if you did not ask for it."
		t.mismatch = "The numbers did not match, so the request was denied. Ask again to get a new number."
		t.mismatchStatus = "Request denied: the numbers did not match."
	}
	return t
}

// pendingCount is the number of sign-in requests waiting, for the tray.
func (u *UI) pendingCount() int { return len(u.push.pending) }

// deviceName names this device for the server (see authenticator.DeviceName).
func deviceName() string { return authenticator.DeviceName() }
