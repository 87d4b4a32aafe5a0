package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// TestUsageModelIsChosenOnce: the first start that names a model keeps
// it; a later start with another is refused; admin commands (no model)
// choose nothing, unless usage was counted under the default already.
func TestUsageModelIsChosenOnce(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func(dir, model string) (*Server, error) {
		return Open(dir, Config{UsageModel: model, Logger: quiet})
	}
	check := func(dir, give, wantModel, wantStored string) {
		t.Helper()
		s, err := open(dir, give)
		if err != nil {
			t.Fatalf("open with %q: %v", give, err)
		}
		defer s.Close()
		if stored, _ := s.Store().Setting(settingUsageModel); s.UsageModel() != wantModel || stored != wantStored {
			t.Fatalf("open with %q: model %s, stored %q; want %s, %q", give, s.UsageModel(), stored, wantModel, wantStored)
		}
	}
	refused := func(dir, give, want string) {
		t.Helper()
		if s, err := open(dir, give); err == nil || err.Error() != want {
			if s != nil {
				s.Close()
			}
			t.Fatalf("open with %q: %v; want %q", give, err, want)
		}
	}

	dir := t.TempDir()
	check(dir, "", UsagePerAuthentication, "") // an admin command before the first serve chooses nothing
	check(dir, UsagePerUser, UsagePerUser, UsagePerUser)
	check(dir, "", UsagePerUser, UsagePerUser)
	check(dir, UsagePerUser, UsagePerUser, UsagePerUser)
	refused(dir, UsagePerAuthentication, "this server's usage model is per-user, chosen at its first start; it cannot become per-authentication: start it without --usage-model (or with --usage-model per-user), or start a new server (new data directory) for the other model")
	refused(dir, "per-seat", `usage model "per-seat": use per-user or per-authentication`)

	// Usage counted under the default fixes it.
	dir = t.TempDir()
	s, err := open(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Store().Audit(store.AuditEvent{Time: time.Now(), Kind: store.AuditAuthentication, User: "ada", Application: "shop", Method: "push", Result: "approved"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	refused(dir, UsagePerUser, "this server has counted usage per-authentication (the default) since its first start; it cannot become per-user: start it without --usage-model, or start a new server (new data directory) for the other model")
	check(dir, "", UsagePerAuthentication, UsagePerAuthentication)
	check(dir, UsagePerAuthentication, UsagePerAuthentication, UsagePerAuthentication)
	refused(dir, UsagePerUser, "this server's usage model is per-authentication, chosen at its first start; it cannot become per-user: start it without --usage-model (or with --usage-model per-authentication), or start a new server (new data directory) for the other model")
}

// TestUsageReportCountsWhatHappened signs in through the real API (push
// approved and denied, app codes right and wrong, a recovery code), adds
// the telephony events the gateway would write (no phone network here),
// and reads the report as JSON, exactly.
func TestUsageReportCountsWhatHappened(t *testing.T) {
	e := newEnv(t, Config{UsageModel: UsagePerUser})
	p := e.activate("ada", "phone")
	for name, mfa := range map[string]bool{"bob": false, "carol": true} {
		if err := e.srv.AddUser(name, mfa); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []push.Decision{push.Approve, push.Deny} {
		st := e.signIn("ada")
		r := p.request(t)
		if err := p.client.Answer(context.Background(), r, d, "", st.Number); err != nil {
			t.Fatal(err)
		}
		p.result(t, r.ID)
	}
	if !e.verify("ada", e.codeOf(p.act)) || e.verify("ada", "000000") {
		t.Fatal("app codes")
	}
	codes, err := e.srv.NewRecoveryCodes("ada", "cli")
	if err != nil {
		t.Fatal(err)
	}
	if !e.verify("ada", codes[0]) {
		t.Fatal("recovery code")
	}
	now := e.clock.Now()
	for _, m := range []struct{ kind, country, result string }{{"sms", "GB", "sent"}, {"sms", "GB", "sent"}, {"voice", "US", "failed"}} {
		if err := e.srv.Store().Audit(store.AuditEvent{Time: now, Kind: store.AuditTelephony, User: "ada", Method: m.kind, Result: m.result, Detail: map[string]string{"country": m.country}}); err != nil {
			t.Fatal(err)
		}
	}

	from := now.UTC().Truncate(24 * time.Hour)
	r, err := e.srv.Usage(from, from.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(r, "", "  ")
	day := from.Format("2006-01-02")
	want := strings.NewReplacer("DAY", day, "FROM", from.Format(time.RFC3339), "TO", from.Add(24*time.Hour).Format(time.RFC3339)).Replace(`{
  "usage_model": "per-user",
  "from": "FROM",
  "to": "TO",
  "billable": {
    "unit": "enabled_users",
    "count": 2
  },
  "enabled_users": 2,
  "authenticating_users": 1,
  "authentications": {
    "total": 5,
    "by_day": {
      "DAY": 5
    },
    "by_application": {
      "payroll": 5
    },
    "by_method": {
      "otp": 2,
      "push": 2,
      "recovery": 1
    },
    "by_result": {
      "approved": 1,
      "code-ok": 2,
      "code-wrong": 1,
      "denied": 1
    },
    "rows": [
      {
        "day": "DAY",
        "application": "payroll",
        "method": "otp",
        "result": "code-ok",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "payroll",
        "method": "otp",
        "result": "code-wrong",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "payroll",
        "method": "push",
        "result": "approved",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "payroll",
        "method": "push",
        "result": "denied",
        "count": 1
      },
      {
        "day": "DAY",
        "application": "payroll",
        "method": "recovery",
        "result": "code-ok",
        "count": 1
      }
    ]
  },
  "telephony": {
    "total": 3,
    "by_kind": {
      "sms": 2,
      "voice": 1
    },
    "by_country": {
      "GB": 2,
      "US": 1
    },
    "by_result": {
      "failed": 1,
      "sent": 2
    },
    "rows": [
      {
        "day": "DAY",
        "kind": "sms",
        "country": "GB",
        "result": "sent",
        "count": 2
      },
      {
        "day": "DAY",
        "kind": "voice",
        "country": "US",
        "result": "failed",
        "count": 1
      }
    ]
  }
}`)
	if string(got) != want {
		t.Fatalf("report:\n%s\nwant:\n%s", got, want)
	}

	// The day before is empty, with empty lists and maps rather than null.
	r, err = e.srv.Usage(from.Add(-24*time.Hour), from)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = json.Marshal(r.Authentications)
	if string(got) != `{"total":0,"by_day":{},"by_application":{},"by_method":{},"by_result":{},"rows":[]}` || r.Billable.Count != 0 {
		t.Fatalf("the day before: %s %+v", got, r.Billable)
	}
	if _, err := e.srv.Usage(from, from); err == nil || !strings.Contains(err.Error(), "the end must come after the start") {
		t.Fatalf("an empty period: %v", err)
	}
}

// TestEnabledUsersFollowTheConsoleSwitch: a user added without MFA counts
// as enabled from the period in which the console switches it on.
func TestEnabledUsersFollowTheConsoleSwitch(t *testing.T) {
	e := newEnv(t, Config{})
	if err := e.srv.AddUser("bob", false); err != nil {
		t.Fatal(err)
	}
	today := e.clock.Now().UTC().Truncate(24 * time.Hour)
	enabled := func(from, to time.Time) int {
		t.Helper()
		r, err := e.srv.Usage(from, to)
		if err != nil {
			t.Fatal(err)
		}
		return r.EnabledUsers
	}
	if n := enabled(today, today.Add(24*time.Hour)); n != 1 {
		t.Fatalf("%d enabled users before the switch, want 1 (ada)", n)
	}
	e.clock.Add(24 * time.Hour)
	if err := e.srv.auditBy("root", AuditRequireMFA, "bob", map[string]string{"require_mfa": "true"}); err != nil {
		t.Fatal(err)
	}
	if n := enabled(today, today.Add(24*time.Hour)); n != 1 {
		t.Fatalf("%d enabled users the day before the switch, want 1", n)
	}
	if n := enabled(today, today.Add(48*time.Hour)); n != 2 {
		t.Fatalf("%d enabled users over both days, want 2", n)
	}
}

// TestUsageCSV: the report as CSV, an application name that a spreadsheet
// would run as a formula written as text.
func TestUsageCSV(t *testing.T) {
	e := newEnv(t, Config{})
	now := e.clock.Now()
	for _, app := range []string{"=HYPERLINK(\"http://evil.example\")", "shop, \"north\""} {
		if err := e.srv.Store().Audit(store.AuditEvent{Time: now, Kind: store.AuditAuthentication, User: "ada", Application: app, Method: "push", Result: "approved"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.srv.Store().Audit(store.AuditEvent{Time: now, Kind: store.AuditTelephony, User: "ada", Method: "voice", Result: "failed", Detail: map[string]string{"country": "US"}}); err != nil {
		t.Fatal(err)
	}
	from := now.UTC().Truncate(24 * time.Hour)
	r, err := e.srv.Usage(from, from.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	day := from.Format(time.DateOnly)
	want := `usage_model,record,day,application,method,result,country,count
per-authentication,enabled_users,,,,,,1
per-authentication,authenticating_users,,,,,,1
per-authentication,authentication,` + day + `,"'=HYPERLINK(""http://evil.example"")",push,approved,,1
per-authentication,authentication,` + day + `,"shop, ""north""",push,approved,,1
per-authentication,telephony,` + day + `,,voice,failed,US,1
`
	if b.String() != want {
		t.Fatalf("CSV:\n%s\nwant:\n%s", b.String(), want)
	}
}
