package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
)

// BenchmarkPushSignIn is the store's part of one push sign-in, as the
// server makes it: the user, their devices, the open activation and the
// request counts read, the request stored, the device's pending requests
// read, the decision, the request read back, and the audit event, for a
// thousand users in turn. It runs on SQLite, then on PostgreSQL (TestMain).
func BenchmarkPushSignIn(b *testing.B) {
	s, _ := openTest(b)
	// A thousand users in turn: each has a few requests, as in a day of
	// sign-ins, not thousands (RequestCounts reads a user's requests).
	const users = 1000
	for u := range users {
		name := fmt.Sprint("user", u)
		if err := s.AddUser(User{Name: name, RequireMFA: true, Created: t0}); err != nil {
			b.Fatal(err)
		}
		if err := s.AddDevice(Device{ID: "phone-" + name, User: name, Name: "phone", Kind: KindApp, PublicKey: []byte("pk"), Created: t0}); err != nil {
			b.Fatal(err)
		}
	}
	now := t0.Add(time.Hour)
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprint("r", i)
		user := fmt.Sprint("user", i%users)
		if _, err := s.User(user); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Devices(user); err != nil {
			b.Fatal(err)
		}
		s.OpenActivation(user, now)
		if _, _, _, _, err := s.RequestCounts(user, "mail", now, now.Add(-time.Minute)); err != nil {
			b.Fatal(err)
		}
		if err := s.AddAuthRequest(AuthRequest{Request: push.Request{ID: id, User: user, Nonce: id, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}, RP: "mail", Number: "42"}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.PendingRequests(user, now); err != nil {
			b.Fatal(err)
		}
		if ok, err := s.Decide(id, push.StatusApproved, "", "phone-"+user, now); !ok || err != nil {
			b.Fatalf("decide: %v %v", ok, err)
		}
		if _, err := s.AuthRequest(id); err != nil {
			b.Fatal(err)
		}
		if err := s.Audit(AuditEvent{Time: now, Kind: AuditAuthentication, User: user, Application: "mail", Method: "push", Result: "approved"}); err != nil {
			b.Fatal(err)
		}
	}
}
