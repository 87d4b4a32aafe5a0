package app

import (
	"strings"
	"testing"

	"github.com/countersign/countersign/push/server"
)

// TestActivationOfAnAccountAlreadyHereIsRefused: enrolling the same account
// again from this desktop is refused before the server is asked, so the
// server does not gain a device that nothing uses.
func TestActivationOfAnAccountAlreadyHereIsRefused(t *testing.T) {
	f, ps := activatedFixture(t, server.Config{})
	again, err := ps.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	f.ui.addTexts([]string{again.ActivationURI})
	f.waitFor(t, func() bool { return strings.HasPrefix(f.ui.status.Text, "Activation failed") })
	if got, want := f.ui.status.Text, "Activation failed: Countersign (ada) on this server is already in Countersign; remove it first (its menu → Delete) to enroll this desktop again"; got != want {
		t.Fatalf("status\n got %q\nwant %q", got, want)
	}
	devices, err := ps.Store().Devices("ada")
	if err != nil {
		t.Fatal(err)
	}
	if len(devices) != 1 {
		t.Fatalf("the server lists %d devices, want 1: %+v", len(devices), devices)
	}
	if n := len(f.vault.Accounts()); n != 1 {
		t.Fatalf("%d accounts, want 1", n)
	}
}

// TestActivationNamesTheAccountAfterTheIssuer: the push account is named
// after the server's issuer and the user.
func TestActivationNamesTheAccountAfterTheIssuer(t *testing.T) {
	ps := startPushServer(t, server.Config{Issuer: "Acme SSO"})
	enr, err := ps.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, nil, Options{})
	fakeNotifications(f)
	f.ui.addTexts([]string{enr.ActivationURI})
	f.waitFor(t, func() bool { return strings.HasPrefix(f.ui.status.Text, "Activated ") })
	if got, want := f.ui.status.Text, "Activated Acme SSO (ada): sign-in requests will appear here."; got != want {
		t.Fatalf("status %q, want %q", got, want)
	}
	if got := accountLabels(f.vault); got != "Acme SSO (ada)" {
		t.Fatalf("accounts %q", got)
	}
}
