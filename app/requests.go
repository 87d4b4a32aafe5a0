package app

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

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
}

// pendingRequest is a sign-in request and the account it is for.
type pendingRequest struct {
	account vault.Account
	request push.Request
}

func newPushState() *pushState {
	ctx, cancel := context.WithCancel(context.Background())
	return &pushState{ctx: ctx, cancel: cancel, clients: map[string]*device.Client{}, states: map[string]device.State{}}
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
	switch u.push.states[id] {
	case device.Connected:
		return "push: connected"
	case device.Connecting:
		return "push: connecting…"
	}
	return "push: offline (codes still work)"
}

// onPushEvent runs on the UI goroutine for every event of a push client.
func (u *UI) onPushEvent(accountID string, ev device.Event) {
	switch ev.Kind {
	case device.EventState:
		if u.push.states[accountID] != ev.State {
			u.push.states[accountID] = ev.State
			u.list.Refresh()
		}
	case device.EventRequest:
		a, ok := u.vault.Account(accountID)
		if !ok {
			return
		}
		u.push.pending = append(u.push.pending, pendingRequest{account: a, request: ev.Request})
		u.app.SendNotification(fyne.NewNotification("Sign-in request",
			fmt.Sprintf("%s: %s wants to sign in as %s. Open Countersign to answer.",
				textsafe.Clean(a.Issuer), appName(ev.Request), textsafe.Clean(a.Name))))
		u.refreshTray()
		u.showNextRequest()
	case device.EventResolved, device.EventResult:
		u.removeRequest(ev.RequestID)
		switch {
		case ev.Err != nil:
			u.setStatus("The answer was refused: " + textsafe.Clean(ev.Err.Error()))
		case ev.Kind == device.EventResult:
			u.setStatus(resultSentence(ev.Status))
		case ev.Status == push.StatusExpired:
			u.setStatus("A sign-in request expired without an answer.")
		case ev.Status == "":
			u.setStatus("A sign-in request is no longer waiting (answered on another device, or expired).")
		default:
			u.setStatus("A sign-in request was answered on another device (" + textsafe.Clean(string(ev.Status)) + ").")
		}
	}
}

func resultSentence(s push.Status) string {
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

// appName is the application of a request as shown to the user, cleaned.
func appName(r push.Request) string {
	if app := textsafe.Clean(r.Context.App); app != "" {
		return app
	}
	return "an application"
}

// removeRequest forgets a request and closes its dialog if it is shown.
func (u *UI) removeRequest(id string) {
	u.push.pending = slices.DeleteFunc(u.push.pending, func(p pendingRequest) bool { return p.request.ID == id })
	if d := u.push.dialog; d != nil && d.req.request.ID == id {
		u.push.dialog = nil
		d.dialog.Hide()
	}
	u.refreshTray()
	u.showNextRequest()
}

// showNextRequest shows the oldest waiting request, if none is on screen.
func (u *UI) showNextRequest() {
	if u.push.dialog != nil {
		return
	}
	now := u.opts.Now()
	u.push.pending = slices.DeleteFunc(u.push.pending, func(p pendingRequest) bool { return !now.Before(p.request.ExpiresAt) })
	if len(u.push.pending) == 0 {
		return
	}
	u.push.dialog = u.newRequestDialog(u.push.pending[0])
	u.win.Show()
	u.win.RequestFocus()
	u.push.dialog.dialog.Show()
}

// requestDialog asks the user about one sign-in request.
type requestDialog struct {
	req     pendingRequest
	dialog  *dialog.CustomDialog
	number  *widget.Entry
	problem *errorLabel
	approve *widget.Button
	deny    *widget.Button
	fraud   *widget.Button
}

func (u *UI) newRequestDialog(p pendingRequest) *requestDialog {
	d := &requestDialog{req: p, problem: newErrorLabel()}
	r := p.request
	d.number = widget.NewEntry()
	d.number.SetPlaceHolder("number shown on the sign-in screen")
	// Every value comes from outside: the relying party wrote the context,
	// the server the account's name. Control, bidi and invisible characters
	// are removed so that none can disguise what the user approves.
	detail := func(label, value string) fyne.CanvasObject {
		value = textsafe.Clean(value)
		if value == "" {
			value = "unknown"
		}
		v := widget.NewLabel(value)
		v.Wrapping = fyne.TextWrapWord
		return container.NewBorder(nil, nil, widget.NewLabelWithStyle(label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, v)
	}
	d.approve = widget.NewButtonWithIcon("Approve", theme.ConfirmIcon(), func() { u.answer(d, push.Approve) })
	d.approve.Importance = widget.HighImportance
	d.deny = widget.NewButtonWithIcon("Deny", theme.CancelIcon(), func() { u.answer(d, push.Deny) })
	d.fraud = widget.NewButtonWithIcon("Report fraud", theme.WarningIcon(), func() { u.confirmFraud(d) })
	d.fraud.Importance = widget.DangerImportance
	d.number.OnSubmitted = func(string) { u.answer(d, push.Approve) }
	content := container.NewVBox(
		widget.NewLabelWithStyle("Is this you signing in now?", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		detail("Application", appName(r)),
		detail("Account", p.account.Label()),
		detail("IP address", r.Context.IP),
		detail("Location", r.Context.Location),
		detail("Time", r.CreatedAt.Local().Format("15:04:05, Mon 2 Jan")),
		detail("Browser", r.Context.UserAgent),
		widget.NewLabel("Type the number shown on the sign-in screen, then approve:"),
		d.number,
		d.problem,
	)
	d.dialog = dialog.NewCustomWithoutButtons("Sign-in request", content, u.win)
	d.dialog.SetButtons([]fyne.CanvasObject{d.fraud, d.deny, d.approve})
	return d
}

// answer sends the user's decision on the request of d.
func (u *UI) answer(d *requestDialog, decision push.Decision) {
	number := strings.TrimSpace(d.number.Text)
	reason := push.ReasonNone
	switch decision {
	case push.Approve:
		if number == "" {
			d.problem.show("Type the number shown on the sign-in screen first. If you see no sign-in screen, deny.")
			return
		}
	case push.Deny:
		reason, number = push.ReasonNotMe, ""
	case push.Fraud:
		number = ""
	}
	client := u.push.clients[d.req.account.ID]
	if client == nil {
		d.problem.show("This account is not connected to its server.")
		return
	}
	ctx, cancel := context.WithTimeout(u.push.ctx, 10*time.Second)
	defer cancel()
	if err := client.Answer(ctx, d.req.request, decision, reason, number); err != nil {
		d.problem.show("The answer was not sent: " + err.Error())
		return
	}
	u.setStatus("Answer sent; waiting for the server…")
	u.removeRequest(d.req.request.ID)
}

// confirmFraud says what reporting fraud does before doing it.
func (u *UI) confirmFraud(d *requestDialog) {
	msg := widget.NewLabel("Report this sign-in as fraud?\n\nThe sign-in is denied, the attempt is recorded, and " +
		textsafe.Clean(d.req.account.Label()) + "\nis blocked: no sign-in works until an administrator unblocks it.\n" +
		"Do this if you did not try to sign in: someone may know your password.")
	dialog.NewCustomConfirm("Report fraud", "Report fraud", "Go back", msg, func(ok bool) {
		if ok {
			u.answer(d, push.Fraud)
		}
	}, u.win).Show()
}

// pendingCount is the number of sign-in requests waiting, for the tray.
func (u *UI) pendingCount() int { return len(u.push.pending) }

// deviceName names this device for the server: the host name.
func deviceName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return "Countersign on " + h
	}
	return "Countersign desktop"
}
