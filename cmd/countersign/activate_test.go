package main

import (
	"regexp"
	"testing"

	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// TestActivateAgainIsRefusedBeforeTheServerIsAsked: a second activation of
// an account already in the vault is refused, and the server still lists
// one device.
func TestActivateAgainIsRefusedBeforeTheServerIsAsked(t *testing.T) {
	srv := startServer(t)
	_, vaultFlags := fileStore(t)
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	out := ok(t, args(vaultFlags, []string{"activate", "--device-name", "ci", enr.ActivationURI})...)
	m := regexp.MustCompile(`^activated\t([0-9a-f]+)\tCountersign \(ada\)\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("activate printed %q", out)
	}
	again, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	wantFail(t, runCS(t, args(vaultFlags, []string{"activate", "--device-name", "ci", again.ActivationURI})...), 1,
		"activating: Countersign (ada) on this server is already in Countersign; remove it first (countersign delete "+m[1]+") to enroll this desktop again")
	devices, err := srv.Store().Devices("ada")
	if err != nil {
		t.Fatal(err)
	}
	if len(devices) != 1 {
		t.Fatalf("the server lists %d devices, want 1", len(devices))
	}
	// Once it is deleted, the same code enrolls this desktop again.
	ok(t, args(vaultFlags, []string{"delete", m[1]})...)
	ok(t, args(vaultFlags, []string{"activate", "--device-name", "ci", again.ActivationURI})...)
}

// TestActivateNamesTheAccountAfterTheIssuer: the push account takes the
// server's issuer and the user's name.
func TestActivateNamesTheAccountAfterTheIssuer(t *testing.T) {
	srv := servertest.Start(t, server.Config{Issuer: "Acme SSO"})
	if err := srv.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	_, vaultFlags := fileStore(t)
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	out := ok(t, args(vaultFlags, []string{"activate", enr.ActivationURI})...)
	if !regexp.MustCompile(`^activated\t[0-9a-f]+\tAcme SSO \(ada\)\n$`).MatchString(out) {
		t.Fatalf("activate printed %q", out)
	}
	if got := ok(t, args(vaultFlags, []string{"list"})...); !regexp.MustCompile(`Acme SSO`).MatchString(got) {
		t.Fatalf("list printed %q", got)
	}
}
