package authenticator

import (
	"slices"
	"testing"

	"github.com/countersign/countersign/vault/transfer"
)

// TestCollectExportLeavesOutWhatTheFormatCannotHold: a Google export of a
// Steam account, a TOTP one and an HOTP one keeps the last two and names
// Steam with the reason; a Countersign backup keeps all, in order.
func TestCollectExportLeavesOutWhatTheFormatCannotHold(t *testing.T) {
	v := testVault(t, steamURI, githubURI, hotpURI, gitlabURI)
	chosen := v.Accounts()[:3] // GitLab left unticked
	g, err := CollectExport(v, chosen, transfer.Google)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := labels(g.Keys), []string{"GitHub (ada)", "Bank (card)"}; !slices.Equal(got, want) {
		t.Fatalf("Google export keys %q, want %q", got, want)
	}
	if want := []transfer.Skipped{{Label: "Steam (ada)", Reason: "Google Authenticator does not support steam codes"}}; !slices.Equal(g.LeftOut, want) {
		t.Fatalf("left out %q, want %q", g.LeftOut, want)
	}
	if string(g.Keys[0].Secret) != "Hello!\xde\xad\xbe\xef" {
		t.Fatalf("GitHub's secret is %x", g.Keys[0].Secret)
	}
	b, err := CollectExport(v, v.Accounts(), transfer.Countersign)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := labels(b.Keys), []string{"Steam (ada)", "GitHub (ada)", "Bank (card)", "GitLab (bob)"}; !slices.Equal(got, want) || b.LeftOut != nil {
		t.Fatalf("backup keys %q (want %q), left out %v", got, want, b.LeftOut)
	}
	only, err := CollectExport(v, v.Accounts()[:1], transfer.Google)
	if err != nil || len(only.Keys) != 0 || len(only.LeftOut) != 1 {
		t.Fatalf("Google export of Steam alone: %d keys, left out %v, %v", len(only.Keys), only.LeftOut, err)
	}
	if none, err := CollectExport(v, nil, transfer.Countersign); err != nil || len(none.Keys) != 0 {
		t.Fatalf("no account: %v, %v", none, err)
	}
}
