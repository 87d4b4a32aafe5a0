package app

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
)

// TestPushApproveOnlyFromTheApp: a request of an approve-only application
// shows no number field, says why approving needs care, and Approve works
// at once; the server approves it.
func TestPushApproveOnlyFromTheApp(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{})
	if _, err := ps.NewRelyingParty("kiosk", server.RelyingPartyOptions{ApproveOnly: true}); err != nil {
		t.Fatal(err)
	}
	st, err := ps.CreateRequest("kiosk", push.AuthRequestBody{User: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	d := requestDialogShown(t, f)
	want := "kiosk shows no number to type. Approve only if you are signing in to it right now: " +
		"without a number to match, approving a request you did not start lets someone else in."
	if d.prompt.Text != want || d.number.Visible() || d.approve.Disabled() {
		t.Fatalf("prompt %q, number field shown %v, Approve disabled %v", d.prompt.Text, d.number.Visible(), d.approve.Disabled())
	}
	test.Tap(d.approve)
	f.waitFor(t, func() bool {
		s, _ := final(t, ps, st.ID)
		return s == push.StatusApproved
	})
}
