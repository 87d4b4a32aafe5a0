package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/internal/authenticator"
	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/internal/useragent"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
)

// Where the request shows, and why it never takes the focus from the
// browser by itself.
//
// The browser shows the number in the middle of the screen, and the user
// reads it there while typing it here. The request is therefore shown
// inside the main window, where the user left it, never in a window of its
// own: Fyne 2.7 can neither place a window (there is no SetPosition, only
// CenterOnScreen, which is the very place not to be; fyne-io/fyne#1155) nor
// keep one on top, and its dialogs are drawn inside their parent window.
//
// Nor does a request's arrival show or raise the window: Fyne's
// Window.Show calls glfwShowWindow, which also focuses the window (GLFW's
// FOCUS_ON_SHOW hint is on by default and Fyne 2.7 offers no way to turn
// it off), and RequestFocus would take the keyboard away from the browser
// in the middle of the user's sign-in. The window's dialog waits; the
// desktop notification (clickable where the notification server has
// actions, see pushnotify_dbus.go) and the tray menu's "sign-in request(s)
// waiting" bring the window forward, because the user asked for it then.
// Where notifications cannot be clicked (Fyne's own, on Windows and macOS),
// the notification says to open Countersign. On Wayland a client cannot
// raise or place its window at all.

// The number to match. Its length is the server's setting (countersignd
// --number-digits, 1 to 6, 2 by default), which neither the request nor
// the activation carries, and the protocol is left as it is: so the field
// takes up to 6 digits, and Approve is enabled from 2, the servers'
// default length. A server set to 1 digit cannot be answered here.
const (
	minNumberDigits = 2
	maxNumberDigits = 6
)

// checkGrace is how long after a request's expiry the dialog waits for the
// server's verdict on an approval before it gives up.
const checkGrace = 10 * time.Second

// dialogPhase is where the request dialog is.
type dialogPhase int

const (
	// phaseAsking: the user reads, types the number, answers.
	phaseAsking dialogPhase = iota
	// phaseChecking: the approval was sent; the server checks the number.
	phaseChecking
	// phaseFinished: the server's verdict is shown until the user closes it.
	phaseFinished
)

// requestDialog asks the user about one request.
type requestDialog struct {
	req    pendingRequest
	text   authenticator.RequestText
	dialog *dialog.CustomDialog
	// prompt asks for the number; number takes it.
	prompt *widget.Label
	number *numberEntry
	// countdown says the time left, once a second.
	countdown *widget.Label
	// state says where the answer is (checking, the numbers did not match).
	state   *widget.Label
	problem *errorLabel
	approve *digitButton
	deny    *digitButton
	fraud   *digitButton
	close   *widget.Button
	phase   dialogPhase
	// confirming: the fraud confirmation is open over the dialog.
	confirming bool
}

// forgetRequest forgets a request that is no longer waiting for the user:
// it leaves the waiting list and the tray, and its notification goes.
func (u *UI) forgetRequest(id string) {
	u.push.pending = slices.DeleteFunc(u.push.pending, func(p pendingRequest) bool { return p.request.ID == id })
	u.notifications().Withdraw(requestKey(id))
	u.refreshTray()
}

// removeRequest forgets a request, closes its dialog if it is shown, and
// shows the next.
func (u *UI) removeRequest(id string) {
	u.forgetRequest(id)
	if d := u.push.dialog; d != nil && d.req.request.ID == id {
		u.closeRequestDialog(d)
	}
	u.showNextRequest()
}

// closeRequestDialog closes d.
func (u *UI) closeRequestDialog(d *requestDialog) {
	if u.push.dialog == d {
		u.push.dialog = nil
	}
	d.dialog.Hide()
}

// dropExpired forgets the requests that expired by now without the
// server's word (which comes when connected), and says so.
func (u *UI) dropExpired(now time.Time) {
	for _, p := range slices.Clone(u.push.pending) {
		if now.Before(p.request.ExpiresAt) {
			continue
		}
		u.forgetRequest(p.request.ID)
		if d := u.push.dialog; d != nil && d.req.request.ID == p.request.ID {
			u.closeRequestDialog(d)
			u.setStatus("A " + d.text.Noun + " expired without an answer.")
		}
	}
}

// showNextRequest shows the oldest waiting request in the window, if no
// other is being answered. It neither shows nor raises the window (see
// the top of this file); the number field takes the window's keyboard.
func (u *UI) showNextRequest() {
	if u.isLocked() { // app lock (lock.go): the request shows after unlocking
		return
	}
	if d := u.push.dialog; d != nil {
		if d.phase != phaseFinished {
			return
		}
		u.closeRequestDialog(d) // a verdict already read gives way
	}
	u.dropExpired(u.opts.Now())
	if len(u.push.pending) == 0 {
		return
	}
	d := u.newRequestDialog(u.push.pending[0])
	u.push.dialog = d
	d.updateCountdown(u.opts.Now())
	d.dialog.Resize(dialogSize(u.win))
	d.dialog.Show()
	u.focusNumber()
}

// focusNumber gives the number field the window's keyboard focus.
func (u *UI) focusNumber() {
	if d := u.push.dialog; d != nil && d.phase == phaseAsking && !d.confirming {
		u.win.Canvas().Focus(d.number)
	}
}

func (u *UI) newRequestDialog(p pendingRequest) *requestDialog {
	d := &requestDialog{req: p, text: authenticator.DescribeRequest(p.request), problem: newErrorLabel()}
	r := p.request
	d.number = newNumberEntry(d.updateApprove)
	d.number.SetPlaceHolder("number shown on " + d.text.NumberFrom)
	// Every value comes from outside: the relying party wrote the context,
	// the server the account's name. Control, bidi and invisible characters
	// are removed so that none can disguise what the user approves.
	detail := func(label, value string) fyne.CanvasObject {
		v := widget.NewLabel(textsafe.Clean(value))
		v.Wrapping = fyne.TextWrapWord
		return container.NewBorder(nil, nil, widget.NewLabelWithStyle(label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, v)
	}
	d.approve = u.newDigitButton("Approve", theme.ConfirmIcon(), func() { u.answer(d, push.Approve) })
	d.approve.Importance = widget.HighImportance
	d.approve.Disable()
	d.deny = u.newDigitButton("Deny", theme.CancelIcon(), func() { u.answer(d, push.Deny) })
	d.fraud = u.newDigitButton("Report fraud", theme.WarningIcon(), func() { u.confirmFraud(d) })
	d.fraud.Importance = widget.DangerImportance
	d.close = widget.NewButton("Close", func() {
		u.closeRequestDialog(d)
		u.showNextRequest()
	})
	d.number.OnSubmitted = func(string) { u.answer(d, push.Approve) }
	question := widget.NewLabelWithStyle(d.text.Question, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	question.Wrapping = fyne.TextWrapWord
	d.countdown = widget.NewLabel("")
	content := container.NewVBox(question, d.countdown, detail("Application", d.text.Application))
	// What is not known is left out rather than shown as "unknown".
	optional := func(label, value string) {
		if strings.TrimSpace(textsafe.Clean(value)) != "" {
			content.Add(detail(label, value))
		}
	}
	optional("Detail", d.text.Detail)
	content.Add(detail("Account", p.account.Label()))
	optional("IP address", r.Context.IP)
	optional("Location", r.Context.Location)
	content.Add(detail("Time", r.CreatedAt.Local().Format("15:04:05, Mon 2 Jan")))
	optional("Browser", useragent.Describe(textsafe.Clean(r.Context.UserAgent)))
	d.prompt = wrapped("Type the number shown on " + d.text.NumberFrom + ", then approve:")
	d.state = widget.NewLabel("")
	d.state.Wrapping = fyne.TextWrapWord
	d.state.Hide()
	if d.text.ApproveOnly != "" {
		d.prompt = wrapped(d.text.ApproveOnly)
		d.number.Hide()
		d.approve.Enable()
	}
	content.Add(d.prompt)
	content.Add(d.number)
	content.Add(d.state)
	content.Add(d.problem)
	d.dialog = dialog.NewCustomWithoutButtons(d.text.Title, content, u.win)
	d.dialog.SetButtons([]fyne.CanvasObject{d.fraud, d.deny, d.approve})
	return d
}

// updateApprove enables Approve when the number is complete.
func (d *requestDialog) updateApprove() {
	if d.phase == phaseAsking && (d.text.ApproveOnly != "" || numberComplete(d.number.Text)) {
		d.approve.Enable()
		d.problem.show("")
	} else {
		d.approve.Disable()
	}
}

// numberComplete tells whether s is a whole number to match, as far as the
// app can know its length (see minNumberDigits).
func numberComplete(s string) bool {
	return len(s) >= minNumberDigits && len(s) <= maxNumberDigits && strings.Trim(s, "0123456789") == ""
}

// updateCountdown says the time left to answer.
func (d *requestDialog) updateCountdown(now time.Time) {
	if d.phase != phaseAsking {
		d.countdown.Hide()
		return
	}
	d.countdown.SetText(timeLeft(d.req.request.ExpiresAt.Sub(now)))
}

// timeLeft says a time left to answer, in minutes and seconds, rounded up.
func timeLeft(left time.Duration) string {
	secs := max(0, int(math.Ceil(left.Seconds())))
	return fmt.Sprintf("Time left: %d:%02d", secs/60, secs%60)
}

// tickRequests runs once a second, from the window's ticker: the countdown,
// the requests that expire while the app is offline, and an approval whose
// verdict never came.
func (u *UI) tickRequests() {
	now := u.opts.Now()
	shown := u.push.dialog
	u.dropExpired(now)
	d := u.push.dialog
	switch {
	case d == nil:
	case d.phase == phaseAsking:
		d.updateCountdown(now)
	case d.phase == phaseChecking && now.After(d.req.request.ExpiresAt.Add(checkGrace)):
		u.closeRequestDialog(d)
		u.setStatus("The server never confirmed the answer: if the sign-in did not go through, sign in again.")
	}
	if shown != nil && u.push.dialog == nil {
		u.showNextRequest()
	}
}

// answer sends the user's decision on the request of d. An approval keeps
// the dialog open until the server says whether the numbers matched; a
// denial or a fraud report closes it at once.
func (u *UI) answer(d *requestDialog, decision push.Decision) {
	if d.phase != phaseAsking || u.push.dialog != d {
		return
	}
	number := d.number.Text
	reason := push.ReasonNone
	switch decision {
	case push.Approve:
		if d.text.ApproveOnly != "" {
			number = "" // the client sends push.ApproveOnlyNumber
		} else if !numberComplete(number) {
			d.problem.show(d.text.NoNumber)
			return
		}
	case push.Deny:
		reason, number = push.ReasonNotMe, ""
	case push.Fraud:
		number = ""
	}
	ctx, cancel := context.WithTimeout(u.push.ctx, 10*time.Second)
	defer cancel()
	err := u.push.sessions.Answer(ctx, d.req.account.ID, d.req.request, decision, reason, number)
	if errors.Is(err, authenticator.ErrNotConnected) {
		d.problem.show("This account is not connected to its server.")
		return
	}
	if err != nil {
		d.problem.show("The answer was not sent: " + err.Error())
		return
	}
	id := d.req.request.ID
	u.push.answered[id] = d.text.Kind
	u.forgetRequest(id)
	if decision == push.Approve {
		d.phase = phaseChecking
		d.countdown.Hide()
		d.number.Disable()
		for _, b := range []*digitButton{d.approve, d.deny, d.fraud} {
			b.Disable()
		}
		d.problem.show("")
		d.state.SetText("Checking the number…")
		d.state.Show()
		u.setStatus("Answer sent; waiting for the server…")
		return
	}
	u.setStatus("Answer sent; waiting for the server…")
	u.closeRequestDialog(d)
	u.showNextRequest()
}

// onRequestDecided follows the server's word on a request: answered here
// (EventResult) or elsewhere, expired, or gone (EventResolved). The dialog
// closes with a short status line; after an approval denied, it stays to
// say plainly that the numbers did not match.
func (u *UI) onRequestDecided(ev device.Event) {
	id := ev.RequestID
	kind, answeredHere := u.push.answered[id]
	delete(u.push.answered, id)
	d := u.push.dialog
	if d != nil && d.req.request.ID != id {
		d = nil
	}
	i := slices.IndexFunc(u.push.pending, func(p pendingRequest) bool { return p.request.ID == id })
	if i < 0 && !answeredHere && d == nil {
		return // not one this window still knows (it expired here)
	}
	noun := "sign-in request"
	switch {
	case i >= 0:
		noun = authenticator.DescribeRequest(u.push.pending[i].request).Noun
	case d != nil:
		noun = d.text.Noun
	}
	u.forgetRequest(id)
	if d != nil && d.phase == phaseChecking && ev.Kind == device.EventResult && ev.Err == nil && ev.Status == push.StatusDenied {
		// The server denies an approval whose number is not the one it
		// showed, at once: there is no second try on the same request.
		d.showVerdict(d.text.Mismatch)
		u.setStatus(d.text.MismatchStatus)
		return
	}
	switch {
	case ev.Err != nil:
		u.setStatus("The answer was refused: " + textsafe.Clean(ev.Err.Error()))
	case ev.Kind == device.EventResult && answeredHere:
		u.setStatus(resultSentence(kind, ev.Status))
	case ev.Kind == device.EventResult:
		u.setStatus(resultSentence(push.KindSignIn, ev.Status))
	case ev.Status == push.StatusExpired:
		u.setStatus("A " + noun + " expired without an answer.")
	case ev.Status == "":
		u.setStatus("A " + noun + " is no longer waiting (answered on another device, or expired).")
	default:
		u.setStatus("A " + noun + " was answered on another device (" + textsafe.Clean(string(ev.Status)) + ").")
	}
	if d != nil {
		u.closeRequestDialog(d)
	}
	u.showNextRequest()
}

// showVerdict turns the dialog into the server's verdict, which stays
// until the user closes it (or the next request comes).
func (d *requestDialog) showVerdict(text string) {
	d.phase = phaseFinished
	d.prompt.Hide()
	d.number.Hide()
	d.state.SetText(text)
	d.state.Importance = widget.DangerImportance
	d.state.TextStyle = fyne.TextStyle{Bold: true}
	d.state.Show()
	d.state.Refresh()
	d.dialog.SetButtons([]fyne.CanvasObject{d.close})
}

// confirmFraud says what reporting fraud does before doing it.
func (u *UI) confirmFraud(d *requestDialog) {
	msg := wrapped(d.text.FraudQuestion + "\n\nIt is denied, the attempt is recorded, and " +
		textsafe.Clean(d.req.account.Label()) + " is blocked: no sign-in works until an administrator unblocks it. " + d.text.FraudWhen)
	d.confirming = true
	c := dialog.NewCustomConfirm("Report fraud", "Report fraud", "Go back", msg, func(ok bool) {
		d.confirming = false
		if ok {
			u.answer(d, push.Fraud)
			return
		}
		u.focusNumber()
	}, u.win)
	c.SetConfirmImportance(widget.DangerImportance)
	c.Resize(dialogSize(u.win))
	c.Show()
}

// typeToRequest takes a character typed in the window, with no field
// focused, while a request is shown: a digit goes to the number field
// (focused from then on), anything else nowhere: never into the search,
// which would filter the accounts behind the dialog.
func (u *UI) typeToRequest(r rune) {
	d := u.push.dialog
	if d.phase != phaseAsking || d.confirming || r < '0' || r > '9' {
		return
	}
	u.focusNumber()
	d.number.TypedRune(r)
}

// keyToRequest takes a key pressed in the window, with no field focused,
// while a request is shown: Backspace and Enter act on the number; the
// list's keys do not reach the list behind the dialog.
func (u *UI) keyToRequest(key fyne.KeyName) {
	d := u.push.dialog
	if d.phase != phaseAsking || d.confirming {
		return
	}
	switch key {
	case fyne.KeyBackspace:
		u.focusNumber()
		d.number.TypedKey(&fyne.KeyEvent{Name: key})
	case fyne.KeyReturn, fyne.KeyEnter:
		u.answer(d, push.Approve)
	}
}

// digitButton is a button of the request dialog: when it has the keyboard
// focus (Tab), a digit typed goes to the number field all the same.
type digitButton struct {
	widget.Button
	ui *UI
}

func (u *UI) newDigitButton(label string, icon fyne.Resource, tapped func()) *digitButton {
	b := &digitButton{ui: u}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// TypedRune sends a digit to the number field.
func (b *digitButton) TypedRune(r rune) {
	if r >= '0' && r <= '9' && b.ui.push.dialog != nil {
		b.ui.typeToRequest(r)
		return
	}
	b.Button.TypedRune(r)
}

// numberEntry is the number field: digits only, at most maxNumberDigits.
type numberEntry struct {
	widget.Entry
	changed func()
}

func newNumberEntry(changed func()) *numberEntry {
	e := &numberEntry{changed: changed}
	e.ExtendBaseWidget(e)
	e.OnChanged = func(s string) {
		if clean := digitsOnly(s, maxNumberDigits); clean != s {
			e.SetText(clean) // text set by the program, or an input method
			return
		}
		e.changed()
	}
	return e
}

// TypedRune takes digits while there is room for them.
func (e *numberEntry) TypedRune(r rune) {
	if r < '0' || r > '9' || len(e.Text)-len(e.SelectedText()) >= maxNumberDigits {
		return
	}
	e.Entry.TypedRune(r)
}

// TypedShortcut pastes the digits of the clipboard's text, as if typed.
func (e *numberEntry) TypedShortcut(s fyne.Shortcut) {
	if p, ok := s.(*fyne.ShortcutPaste); ok {
		if p.Clipboard != nil {
			for _, r := range digitsOnly(p.Clipboard.Content(), maxNumberDigits) {
				e.TypedRune(r)
			}
		}
		return
	}
	e.Entry.TypedShortcut(s)
}

// digitsOnly returns the first n ASCII digits of s.
func digitsOnly(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' && b.Len() < n {
			b.WriteRune(r)
		}
	}
	return b.String()
}
