package store

import (
	"reflect"
	"testing"
	"time"
)

func TestUsageCountsFromTheAuditLog(t *testing.T) {
	s, _ := openTest(t)
	day1 := time.Date(2027, 2, 2, 0, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	auth := func(at time.Time, user, app, method, result string) {
		t.Helper()
		if err := s.Audit(AuditEvent{Time: at, Kind: AuditAuthentication, User: user, Application: app, Method: method, Result: result}); err != nil {
			t.Fatal(err)
		}
	}
	tel := func(at time.Time, kind, country, result string) {
		t.Helper()
		if err := s.Audit(AuditEvent{Time: at, Kind: AuditTelephony, User: "ada", Method: kind, Result: result, Detail: map[string]string{"country": country}}); err != nil {
			t.Fatal(err)
		}
	}
	if has, err := s.HasUsage(); err != nil || has {
		t.Fatalf("usage in a new database: %v %v", has, err)
	}
	// Not usage: other kinds of events.
	s.Audit(AuditEvent{Time: day1, Kind: AuditBlocked, User: "ada"})
	if has, _ := s.HasUsage(); has {
		t.Fatal("a block counted as usage")
	}
	auth(day1.Add(-time.Second), "ada", "shop", "push", "approved") // the day before: outside
	auth(day1, "ada", "shop", "push", "approved")                   // first second: inside
	auth(day1.Add(time.Hour), "ada", "shop", "push", "approved")
	auth(day1.Add(2*time.Hour), "ada", "shop", "push", "denied")
	auth(day1.Add(3*time.Hour), "bob", "payroll", "otp", "code-wrong")
	auth(day2.Add(time.Hour), "bob", "payroll", "recovery", "code-ok")
	auth(day2.Add(24*time.Hour-time.Second), "ada", "payroll", "sms", "code-ok") // last second: inside
	auth(day2.Add(24*time.Hour), "carol", "shop", "push", "approved")            // the day after: outside
	tel(day1.Add(time.Hour), "sms", "GB", "sent")
	tel(day1.Add(2*time.Hour), "sms", "GB", "sent")
	tel(day2.Add(time.Hour), "voice", "US", "failed")
	tel(day2.Add(24*time.Hour), "voice", "US", "sent") // outside

	from, to := day1, day2.Add(24*time.Hour)
	got, err := s.AuthenticationCounts(from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := []AuthenticationCount{
		{"2027-02-02", "payroll", "otp", "code-wrong", 1},
		{"2027-02-02", "shop", "push", "approved", 2},
		{"2027-02-02", "shop", "push", "denied", 1},
		{"2027-02-03", "payroll", "recovery", "code-ok", 1},
		{"2027-02-03", "payroll", "sms", "code-ok", 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("authentication counts\n got %+v\nwant %+v", got, want)
	}
	tc, err := s.TelephonyMessageCounts(from, to)
	if err != nil {
		t.Fatal(err)
	}
	wantTel := []TelephonyMessageCount{
		{"2027-02-02", "sms", "GB", "sent", 2},
		{"2027-02-03", "voice", "US", "failed", 1},
	}
	if !reflect.DeepEqual(tc, wantTel) {
		t.Fatalf("telephony counts\n got %+v\nwant %+v", tc, wantTel)
	}
	if n, err := s.AuthenticatingUsers(from, to); err != nil || n != 2 {
		t.Fatalf("authenticating users %d, %v; want 2 (ada, bob)", n, err)
	}
	if has, _ := s.HasUsage(); !has {
		t.Fatal("no usage after authentications")
	}

	// Enabled users: require-MFA on, added before the end of the period.
	for _, u := range []User{
		{Name: "bob", RequireMFA: true, Created: day2},
		{Name: "nomfa", RequireMFA: false, Created: day1},
		{Name: "later", RequireMFA: true, Created: to},
	} {
		if err := s.AddUser(u); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.EnabledUsers(from, to); err != nil || n != 2 {
		t.Fatalf("enabled users %d, %v; want 2 (ada, bob)", n, err)
	}
	if n, _ := s.EnabledUsers(from, day2); n != 1 {
		t.Fatalf("enabled users before bob was added: %d, want 1", n)
	}
	if got, err := s.AuthenticationCounts(to, to.AddDate(0, 1, 0)); err != nil || len(got) != 1 || got[0].Count != 1 {
		t.Fatalf("the next period: %+v %v", got, err)
	}
}

// TestEnabledUsersFollowTheRequireMFAHistory: a user counts when
// require-MFA was on at some point of the period, as the audit log tells.
func TestEnabledUsersFollowTheRequireMFAHistory(t *testing.T) {
	s, _ := openTest(t) // ada: no history, require-MFA on now: counts
	from := t0.Add(24 * time.Hour)
	to := from.Add(24 * time.Hour)
	before, during, after := from.Add(-time.Hour), from.Add(time.Hour), to
	history := map[string][]AuditEvent{
		// switched on during the period
		"on-during": {{Time: before, Kind: AuditUserAdded, Detail: map[string]string{"require_mfa": "false"}}, {Time: during, Kind: kindRequireMFAChanged, Detail: map[string]string{"require_mfa": "true"}}},
		// switched off before it
		"off-before": {{Time: before, Kind: AuditUserAdded, Detail: map[string]string{"require_mfa": "true"}}, {Time: before, Kind: kindRequireMFAChanged, Detail: map[string]string{"require_mfa": "false"}}},
		// on at its start, switched off during it
		"off-during": {{Time: before, Kind: AuditUserAdded, Detail: map[string]string{"require_mfa": "true"}}, {Time: during, Kind: kindRequireMFAChanged, Detail: map[string]string{"require_mfa": "false"}}},
		// switched on only after it
		"on-after": {{Time: before, Kind: AuditUserAdded, Detail: map[string]string{"require_mfa": "false"}}, {Time: after, Kind: kindRequireMFAChanged, Detail: map[string]string{"require_mfa": "true"}}},
		// added during it without MFA, never switched
		"added-off": {{Time: during, Kind: AuditUserAdded, Detail: map[string]string{"require_mfa": "false"}}},
		// added during it with MFA
		"added-on": {{Time: during, Kind: AuditUserAdded, Detail: map[string]string{"require_mfa": "true"}}},
		// a switch that does not say its new value toggles
		"toggled": {{Time: before, Kind: AuditUserAdded, Detail: map[string]string{"require_mfa": "false"}}, {Time: during, Kind: kindRequireMFAChanged}},
	}
	for name, events := range history {
		created := events[0].Time
		// The current setting disagrees with the history on purpose: the history wins.
		if err := s.AddUser(User{Name: name, RequireMFA: name == "off-before" || name == "added-off", Created: created}); err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			e.User = name
			if err := s.Audit(e); err != nil {
				t.Fatal(err)
			}
		}
	}
	// ada, on-during, off-during, added-on, toggled.
	if n, err := s.EnabledUsers(from, to); err != nil || n != 5 {
		t.Fatalf("enabled users %d, %v; want 5", n, err)
	}
	// The next period: ada, on-during, on-after, added-on, toggled.
	if n, err := s.EnabledUsers(to, to.Add(24*time.Hour)); err != nil || n != 5 {
		t.Fatalf("enabled users of the next period %d, %v; want 5", n, err)
	}
	// The day before: ada, off-before (on until its switch), off-during.
	if n, err := s.EnabledUsers(from.Add(-24*time.Hour), from); err != nil || n != 3 {
		t.Fatalf("enabled users of the day before %d, %v; want 3", n, err)
	}
}
