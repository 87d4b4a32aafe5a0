package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/countersign/countersign/internal/authenticator"
	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
)

// codeOf is the current one-time code of an account of the fixture.
func codeOf(t *testing.T, f *fixture, id string) string {
	t.Helper()
	c, err := f.vault.Code(id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c.Value
}

// labelNamed returns the visible label that shows text under root.
func labelNamed(t *testing.T, root fyne.CanvasObject, text string) *widget.Label {
	t.Helper()
	for _, o := range test.LaidOutObjects(root) {
		if l, ok := o.(*widget.Label); ok && l.Visible() && l.Text == text {
			return l
		}
	}
	t.Fatalf("no label %q", text)
	return nil
}

// TestPushNoticesAreShown: the server tells a user's devices of every
// device added or removed; the app raises a notification and shows it on
// the status line.
func TestPushNoticesAreShown(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{})
	// A second device, by an administrator's code: it joins at once.
	phone := pushtest.AdminDevice(t, ps, "ada", "phone")
	added := `A new device, "phone", was added to your account. If this was not you, report it to your administrator.`
	f.waitFor(t, func() bool { return f.ui.status.Text == added })
	if err := ps.RevokeDevice(phone.DeviceID); err != nil {
		t.Fatal(err)
	}
	removed := `The device "phone" was removed from your account (by admin). If this was not you, contact your administrator.`
	f.waitFor(t, func() bool { return f.ui.status.Text == removed })
	var got []fyne.Notification
	for _, n := range notes(f).all() {
		if strings.Contains(n.Content, `"phone"`) {
			got = append(got, n)
		}
	}
	want := []fyne.Notification{{Title: "Countersign: your account changed", Content: added}, {Title: "Countersign: your account changed", Content: removed}}
	if !slices.Equal(got, want) {
		t.Errorf("notifications about the phone:\n%q\nwant\n%q", got, want)
	}
	// The account still works.
	st := signIn(t, ps)
	d := requestDialogShown(t, f)
	test.Type(d.number, st.Number)
	test.Tap(d.approve)
	f.waitFor(t, func() bool { return f.ui.status.Text == "Sign-in approved." })
}

// TestPushAddDeviceApprovedFromTheApp: a new device that the user adds
// through self-service waits for an approval; the app asks plainly, and
// approving with the number the new device shows lets it connect.
func TestPushAddDeviceApprovedFromTheApp(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{})
	id := f.vault.Accounts()[0].ID
	uri := pushtest.SelfServiceActivationURI(t, ps, "ada", codeOf(t, f, id))
	phone := pushtest.Activate(t, uri, "phone")
	if !phone.Pending {
		t.Fatal("the phone joined without an approval")
	}
	d := requestDialogShown(t, f)
	got := withoutCountdown(labelsOf(topOverlay(t, f.ui)), d)
	want := []string{"A new device, phone, asks to join your account. Approve only if you are adding it now, and type the number it shows.",
		"Countersign", "Application",
		"New device: phone", "Detail",
		"Countersign (ada)", "Account",
		"127.0.0.1", "IP address",
		d.req.request.CreatedAt.Local().Format("15:04:05, Mon 2 Jan"), "Time",
		"Go HTTP client", "Browser",
		"Type the number shown on the new device, then approve:",
		"Add a new device?"}
	if !slices.Equal(got, want) {
		t.Errorf("the dialog shows\n%q\nwant\n%q", got, want)
	}
	wantNote := []fyne.Notification{{Title: "Add a new device?",
		Content: "Countersign (ada): a new device, phone, asks to join your account. Open Countersign to answer."}}
	if got := notes(f).requests(); !slices.Equal(got, wantNote) {
		t.Errorf("notifications %q, want %q", got, wantNote)
	}
	d.number.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := d.problem.Text; got != "Type the number shown on the new device first. If you are not adding a device, deny." {
		t.Fatalf("problem %q", got)
	}
	test.Type(d.number, phone.ApprovalNumber)
	test.Tap(d.approve)
	f.waitFor(t, func() bool { return f.ui.status.Text == "New device approved: it joins your account." })
	if dev, _ := ps.Store().Device(phone.DeviceID); !dev.Active() {
		t.Fatalf("the phone is not active: %+v", dev)
	}
	pushtest.Run(t, phone).Next(t, "connection of the phone", pushtest.Connected)
}

// TestPushRemoveThisDevice: removing a user's last device through
// self-service asks that very device; the app says so, and approving with
// the number removes it.
func TestPushRemoveThisDevice(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{})
	acc := f.vault.Accounts()[0]
	approval := pushtest.SelfServiceRemove(t, ps, "ada", codeOf(t, f, acc.ID), acc.Push.DeviceID)
	d := requestDialogShown(t, f)
	got := withoutCountdown(labelsOf(topOverlay(t, f.ui)), d)
	if len(got) != 15 || got[0] != "This device, "+authenticator.DeviceName()+", is to be removed from your account: it is your last one, so it must approve its own removal. "+
		"Approve only if you are removing it now, and type the number shown where you asked for it." ||
		got[3] != "Remove this device: "+authenticator.DeviceName() || got[4] != "Detail" ||
		got[13] != "Type the number shown on the page where you asked for the removal, then approve:" || got[14] != "Remove this device?" {
		t.Errorf("the dialog shows %q", got)
	}
	test.Type(d.number, approval.Number)
	test.Tap(d.approve)
	f.waitFor(t, func() bool {
		return f.ui.status.Text == "This device was removed from your account: its codes and sign-in requests stop."
	})
	if dev, _ := ps.Store().Device(acc.Push.DeviceID); dev.Active() {
		t.Fatal("the device is still active")
	}
}

// pendingFixture is the app activated, from a code of the user's
// enrollment page, while the user has a device (the laptop, whose client
// runs): the app's device waits for the laptop's approval of req.
func pendingFixture(t *testing.T) (f *fixture, ps *pushServer, onLaptop *pushtest.Client, req push.Request) {
	t.Helper()
	ps = startPushServer(t, server.Config{})
	laptop := pushtest.AdminDevice(t, ps, "ada", "laptop")
	onLaptop = pushtest.Run(t, laptop)
	onLaptop.Next(t, "connection of the laptop", pushtest.Connected)
	uri := pushtest.SelfServiceActivationURI(t, ps, "ada", pushtest.Code(t, laptop))

	f = newFixture(t, nil, Options{ScanScreen: func() ([]string, error) { return []string{uri}, nil }, Now: time.Now})
	fakeNotifications(f)
	f.ui.showAdd()
	f.ui.adding.scanScreen()
	f.waitFor(t, func() bool { return strings.HasPrefix(f.ui.status.Text, "Activated ") })
	if got := f.ui.status.Text; got != "Activated Countersign (ada): it waits for approval on your other device." {
		t.Fatalf("status %q", got)
	}
	req = onLaptop.Next(t, "add_device request on the laptop", pushtest.RequestOfKind(push.KindAddDevice)).Request
	return f, ps, onLaptop, req
}

// TestPendingActivationInTheApp: the app activates while the user has a
// device: it shows the number to type there, in large, waits, and
// connects once approved.
func TestPendingActivationInTheApp(t *testing.T) {
	f, ps, onLaptop, req := pendingFixture(t)
	stored, err := ps.Store().AuthRequest(req.ID)
	if err != nil {
		t.Fatal(err)
	}
	number := stored.Number
	dlg := topOverlay(t, f.ui)
	got := labelsOf(dlg)
	want := []string{"This device waits for approval: on your other device, approve the request and type " + number +
		" (until " + req.ExpiresAt.Local().Format("15:04") + ").",
		number,
		"This closes by itself once the device is approved.",
		"Waiting for approval"}
	if !slices.Equal(got, want) {
		t.Fatalf("the dialog shows\n%q\nwant\n%q", got, want)
	}
	if l := labelNamed(t, dlg, number); l.SizeName != theme.SizeNameHeadingText || !l.TextStyle.Bold {
		t.Errorf("the number is not large: size %q, style %+v", l.SizeName, l.TextStyle)
	}
	id := f.vault.Accounts()[0].ID
	f.waitFor(t, func() bool { return f.ui.connectionLabel(id) == "push: waits for approval on your other device" })

	ctx, cancel := context.WithTimeout(context.Background(), pushtest.Wait)
	defer cancel()
	if err := onLaptop.Answer(ctx, req, push.Approve, push.ReasonNone, number); err != nil {
		t.Fatal(err)
	}
	f.waitFor(t, func() bool {
		return f.ui.status.Text == "Approved: Countersign (ada) joined your account; sign-in requests will appear here."
	})
	if f.ui.win.Canvas().Overlays().Top() != nil {
		t.Error("the waiting dialog is still open")
	}
	if got := f.ui.connectionLabel(id); got != "push: connected" {
		t.Errorf("row says %q", got)
	}
	// It answers sign-ins now.
	st := signIn(t, ps)
	d := requestDialogShown(t, f)
	test.Type(d.number, st.Number)
	test.Tap(d.approve)
	f.waitFor(t, func() bool { return f.ui.status.Text == "Sign-in approved." })
}

// TestPendingActivationDenied: denied on the other device, the waiting
// device is turned away, and the app says so.
func TestPendingActivationDenied(t *testing.T) {
	f, _, onLaptop, req := pendingFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), pushtest.Wait)
	defer cancel()
	if err := onLaptop.Answer(ctx, req, push.Deny, push.ReasonNotMe, ""); err != nil {
		t.Fatal(err)
	}
	f.waitFor(t, func() bool { return f.ui.win.Canvas().Overlays().Top() == nil })
	want := "Countersign (ada) was not approved (denied, or the request expired): delete it, and scan a new activation code to try again."
	if got := f.ui.status.Text; got != want {
		t.Errorf("status %q, want %q", got, want)
	}
	if got := f.ui.connectionLabel(f.vault.Accounts()[0].ID); got != "push: refused by its server (revoked?); activate it again" {
		t.Errorf("row says %q", got)
	}
}
