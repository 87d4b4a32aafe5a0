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
	ctx    context.Context
	cancel context.CancelFunc
	// sessions are the push accounts' clients (see authenticator.Sessions).
	sessions *authenticator.Sessions
	states   map[string]device.State // by account id
	pending  []pendingRequest        // in arrival order
	dialog   *requestDialog          // the request on screen, if any
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

// newPushState returns the push state of v; every client's event runs
// onEvent on the UI goroutine.
func newPushState(v *vault.Vault, onEvent func(accountID string, ev device.Event)) *pushState {
	ctx, cancel := context.WithCancel(context.Background())
	return &pushState{ctx: ctx, cancel: cancel, sessions: authenticator.NewSessions(ctx, v, onEvent), states: map[string]device.State{},
		answered: map[string]push.RequestKind{}, waits: map[string]bool{}, refused: map[string]bool{}, approvals: map[string]dialog.Dialog{}}
}

// startPush connects every push account that is not connected yet.
func (u *UI) startPush() {
	if err := u.push.sessions.Start(); err != nil && !errors.Is(err, authenticator.ErrNoPushAccount) {
		u.setStatus(strings.ReplaceAll(err.Error(), "\n", " "))
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
	t := authenticator.DescribeRequest(r)
	n := notification{Title: t.Title, Expires: r.ExpiresAt, Clickable: true}
	if t.Kind != push.KindSignIn {
		n.Body = fmt.Sprintf("%s: %s. Open Countersign to answer.", textsafe.Clean(a.Label()), t.Short)
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

// pendingCount is the number of sign-in requests waiting, for the tray.
func (u *UI) pendingCount() int { return len(u.push.pending) }
