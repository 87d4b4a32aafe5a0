package app

import (
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
)

// notification is one of the app's desktop notifications.
type notification struct {
	Title, Body string
	// Expires is when it is of no more use (a request's expiry); zero:
	// the notification server's default.
	Expires time.Time
	// Clickable: a click on it opens what it is about (a request's dialog).
	Clickable bool
}

// notifier shows the app's desktop notifications, each under a key (one
// per request or notice), so that a request's notification can be
// replaced or withdrawn once it is decided or expires instead of piling
// up. Tests use a fake: there is no notification server under test
// except the fake D-Bus one of pushnotify_dbus_test.go.
type notifier interface {
	// Notify shows n under key, replacing what is shown under key, if any.
	Notify(key string, n notification)
	// Withdraw removes what is shown under key, if it is still shown.
	Withdraw(key string)
}

// Keys of the notifications.
const (
	requestKeyPrefix = "request:"
	noticeKeyPrefix  = "notice:"
)

func requestKey(id string) string { return requestKeyPrefix + id }

// fyneNotifier sends notifications with fyne.App.SendNotification, where
// the desktop offers nothing better. Fyne 2.7's notifications have a title
// and a text only: no id, so one can neither be replaced nor withdrawn; no
// expiry (its Linux code sends expire_timeout 0, "never"); no action, so a
// click on one never reaches the app. They pile up: each says "Open
// Countersign to answer", and the tray menu leads to the waiting requests.
type fyneNotifier struct{ app fyne.App }

func (f fyneNotifier) Notify(_ string, n notification) {
	f.app.SendNotification(fyne.NewNotification(n.Title, n.Body))
}

func (fyneNotifier) Withdraw(string) {}

// newNotifier is the notifier of the desktop: on Linux and the BSDs the
// freedesktop notification server on the session D-Bus, driven directly
// (replaced and withdrawn notifications, expiry, clicks), with Fyne's as
// the fallback when there is none; elsewhere Fyne's. onClick receives the
// key of a clicked notification, from any goroutine.
func newNotifier(app fyne.App, onClick func(key string), done <-chan struct{}) notifier {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return newDBusNotifier(sessionBus, fyneNotifier{app}, onClick, done)
	}
	return fyneNotifier{app}
}

// notifications returns the UI's notifier, made at its first use.
func (u *UI) notifications() notifier {
	if u.push.notifier == nil {
		u.push.notifier = newNotifier(u.app, func(key string) {
			u.do(func() { u.notificationClicked(key) })
		}, u.push.ctx.Done())
	}
	return u.push.notifier
}

// notificationClicked runs on the UI goroutine when the user clicks a
// notification: the window comes to the front (the user asked for it now),
// off the middle of the screen where it can, with the waiting request's
// dialog.
func (u *UI) notificationClicked(key string) {
	u.showWindow()
	if strings.HasPrefix(key, requestKeyPrefix) {
		u.keepOffCentre()
	}
	u.showNextRequest()
	u.focusNumber()
}
