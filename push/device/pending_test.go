package device_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// TestPendingDeviceConnectsOnceApproved: a user's second device, added
// through self-service, keeps what the server said of its approval, is
// refused while it waits, keeps trying, and connects once the first device
// approves it with the number.
func TestPendingDeviceConnectsOnceApproved(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	if err := srv.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	a := pushtest.AdminDevice(t, srv, "ada", "laptop")
	if a.Pending || a.ApprovalNumber != "" || !a.ApprovalExpiresAt.IsZero() {
		t.Fatalf("the first device is pending: %+v", a)
	}
	clientA := pushtest.Run(t, a)
	clientA.Next(t, "connection of A", pushtest.Connected)

	uri := pushtest.SelfServiceActivationURI(t, srv, "ada", pushtest.Code(t, a))
	before := time.Now()
	b := pushtest.Activate(t, uri, "phone")
	if !b.Pending || len(b.ApprovalNumber) != 2 || strings.Trim(b.ApprovalNumber, "0123456789") != "" {
		t.Fatalf("B: pending %v, approval number %q", b.Pending, b.ApprovalNumber)
	}
	if ttl := b.ApprovalExpiresAt.Sub(before); ttl < 110*time.Second || ttl > 2*time.Minute+time.Second {
		t.Fatalf("B's approval expires in %v, want the server's request TTL (2 minutes)", ttl)
	}
	clientB := pushtest.Run(t, b)
	// Refused while it waits, twice (it tries again by itself).
	for range 2 {
		ev := clientB.Next(t, "refusal of B", func(ev device.Event) bool { return ev.Kind == device.EventState && ev.State == device.Disconnected })
		if !errors.Is(ev.Err, device.ErrPendingApproval) || ev.Err.Error() != "this device waits for an approval from one of your other devices" {
			t.Fatalf("B is refused with %v", ev.Err)
		}
	}

	req := clientA.Next(t, "add_device request on A", pushtest.RequestOfKind(push.KindAddDevice)).Request
	if req.Application != "Countersign" || req.Context.App != "New device: phone" {
		t.Fatalf("A is asked %+v", req)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pushtest.Wait)
	defer cancel()
	if err := clientA.Answer(ctx, req, push.Approve, push.ReasonNone, b.ApprovalNumber); err != nil {
		t.Fatal(err)
	}
	if ev := clientA.Next(t, "result on A", func(ev device.Event) bool { return ev.Kind == device.EventResult }); ev.Status != push.StatusApproved {
		t.Fatalf("A's approval: %s %v", ev.Status, ev.Err)
	}
	start := time.Now()
	clientB.Next(t, "connection of B", pushtest.Connected)
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("B connected %v after the approval, want within 4 s", waited)
	}
	// A was told that B asked to join (that B joined, A knows: it approved).
	n := clientA.Notice(t, "device_pending", `"phone"`)
	if want := `A new device, "phone", asks to join your account. Approve it only if you are adding it now.`; n.Text != want || n.User != "ada" {
		t.Errorf("A's device_pending notice %+v", n)
	}
}
