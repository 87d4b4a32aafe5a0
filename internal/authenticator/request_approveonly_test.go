package authenticator

import (
	"testing"

	"github.com/countersign/countersign/push"
)

// TestDescribeApproveOnly: a sign-in without a number to type says so,
// naming the application, and why it needs care; others say nothing of it.
func TestDescribeApproveOnly(t *testing.T) {
	r := push.Request{Application: "kiosk", Kind: push.KindSignIn, ApproveOnly: true}
	want := "kiosk shows no number to type. Approve only if you are signing in to it right now: " +
		"without a number to match, approving a request you did not start lets someone else in."
	if got := DescribeRequest(r).ApproveOnly; got != want {
		t.Fatalf("approve-only: %q", got)
	}
	r.ApproveOnly = false
	if got := DescribeRequest(r).ApproveOnly; got != "" {
		t.Fatalf("with a number: %q", got)
	}
}
