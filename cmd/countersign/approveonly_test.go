package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
)

// TestApproveOnlyWithoutNumber: a request of an approve-only application
// (countersignd rp add --approve-only) is approved with no --number; a
// request with a number still needs one.
func TestApproveOnlyWithoutNumber(t *testing.T) {
	srv := startServer(t)
	_, vaultFlags := fileStore(t)
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	ok(t, args(vaultFlags, []string{"activate", enr.ActivationURI, "--device-name", "ci"})...)
	if _, err := srv.NewRelyingParty("kiosk", server.RelyingPartyOptions{ApproveOnly: true}); err != nil {
		t.Fatal(err)
	}
	st, err := srv.CreateRequest("kiosk", push.AuthRequestBody{User: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	// requests says so, as the app's dialog does, in the table and in JSON.
	if got, want := ok(t, args(vaultFlags, []string{"requests"})...),
		st.ID+"  Countersign (ada)  kiosk      expires "+st.ExpiresAt.Local().Format(time.TimeOnly)+
			"  no number to type: approve only if you are signing in to it right now\n"; got != want {
		t.Fatalf("requests:\n got %q\nwant %q", got, want)
	}
	var reqs []requestJSON
	if err := json.Unmarshal([]byte(ok(t, args(vaultFlags, []string{"requests", "--json"})...)), &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].ID != st.ID || !reqs[0].ApproveOnly {
		t.Fatalf("requests --json: %+v", reqs)
	}
	if got := ok(t, args(vaultFlags, []string{"approve", st.ID})...); got != st.ID+"\tCountersign (ada)\tapproved\n" {
		t.Fatalf("approve printed %q", got)
	}
	if s, _ := status(t, srv, st.ID); s != push.StatusApproved {
		t.Fatalf("the server says %s", s)
	}
	st = signIn(t, srv)
	wantFail(t, runCS(t, args(vaultFlags, []string{"approve", st.ID})...), 2,
		"approve: --number N is required: type the number shown on the sign-in screen")
}
