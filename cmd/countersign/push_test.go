package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// startServer runs a real Countersign server on a loopback port, with a
// real SQLite file, and user ada.
func startServer(t *testing.T) *servertest.Server {
	t.Helper()
	srv := servertest.Start(t, server.Config{})
	if err := srv.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	return srv
}

func signIn(t *testing.T, srv *servertest.Server) push.AuthRequestState {
	t.Helper()
	st, err := srv.CreateRequest("payroll", push.AuthRequestBody{User: "ada", Context: push.Context{App: "Payroll", IP: "203.0.113.7", Location: "Lyon, FR"}})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func status(t *testing.T, srv *servertest.Server, id string) (push.Status, string) {
	t.Helper()
	r, err := srv.Store().AuthRequest(id)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status, r.Reason
}

func TestPushCommands(t *testing.T) {
	srv := startServer(t)
	_, vaultFlags := fileStore(t)
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	out := ok(t, args(vaultFlags, []string{"activate", enr.ActivationURI, "--device-name", "ci"})...)
	if !strings.HasPrefix(out, "activated\t") || !strings.HasSuffix(out, "\tCountersign (ada)\n") {
		t.Fatalf("activate printed %q", out)
	}
	// The code is single-use.
	wantFail(t, runCS(t, args(vaultFlags, []string{"activate", enr.ActivationURI})...), 1,
		"activating: activation refused: activation_used: this activation code was already used; ask for a new one")

	if got := ok(t, args(vaultFlags, []string{"requests", "--json"})...); got != "[]\n" {
		t.Fatalf("no requests: %q", got)
	}
	st := signIn(t, srv)
	var reqs []requestJSON
	if err := json.Unmarshal([]byte(ok(t, args(vaultFlags, []string{"requests", "--json"})...)), &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].ID != st.ID || reqs[0].User != "ada" || reqs[0].App != "Payroll" || reqs[0].IP != "203.0.113.7" || !reqs[0].ExpiresAt.Equal(st.ExpiresAt) {
		t.Fatalf("requests: %+v", reqs)
	}
	wantFail(t, runCS(t, args(vaultFlags, []string{"approve", st.ID})...), 2,
		"approve: --number N is required: type the number shown on the sign-in screen")
	if got := ok(t, args(vaultFlags, []string{"approve", st.ID, "--number", st.Number})...); got != st.ID+"\tCountersign (ada)\tapproved\n" {
		t.Fatalf("approve printed %q", got)
	}
	if s, _ := status(t, srv, st.ID); s != push.StatusApproved {
		t.Fatalf("server says %s", s)
	}
	wantFail(t, runCS(t, args(vaultFlags, []string{"deny", st.ID})...), 1,
		"no pending sign-in request \""+st.ID+"\": it may have expired or been answered elsewhere (countersign requests lists them)")

	st = signIn(t, srv)
	wrong := "00"
	if st.Number == wrong {
		wrong = "01"
	}
	r := runCS(t, args(vaultFlags, []string{"approve", st.ID, "--number", wrong})...)
	if r.code != 1 || r.stderr != "countersign: the request was denied: the number did not match the sign-in screen\n" {
		t.Fatalf("wrong number: %d %q", r.code, r.stderr)
	}
	if s, reason := status(t, srv, st.ID); s != push.StatusDenied || reason != "wrong_number" {
		t.Fatalf("server says %s (%s)", s, reason)
	}

	st = signIn(t, srv)
	if got := ok(t, args(vaultFlags, []string{"deny", st.ID})...); got != st.ID+"\tCountersign (ada)\tdenied\n" {
		t.Fatalf("deny printed %q", got)
	}
	if _, reason := status(t, srv, st.ID); reason != "not_me" {
		t.Fatalf("deny reason %q", reason)
	}

	st = signIn(t, srv)
	if got := ok(t, args(vaultFlags, []string{"fraud", st.ID})...); got != st.ID+"\tCountersign (ada)\tfraud\n" {
		t.Fatalf("fraud printed %q", got)
	}
	if u, _ := srv.Store().User("ada"); !u.Blocked {
		t.Fatal("fraud did not block the user")
	}
	// The push account gives codes like any other.
	var codes []map[string]any
	json.Unmarshal([]byte(ok(t, args(vaultFlags, []string{"code", "--json"})...)), &codes)
	if len(codes) != 1 || len(codes[0]["code"].(string)) != 6 {
		t.Fatalf("code --json: %v", codes)
	}
}

func TestPushCommandsWithoutPushAccount(t *testing.T) {
	_, vaultFlags := fileStore(t)
	wantFail(t, runCS(t, args(vaultFlags, []string{"requests"})...), 1, "the vault has no push account; add one with countersign activate URI")
	wantFail(t, runCS(t, args(vaultFlags, []string{"activate", "countersign://activate?v=1"})...), 1,
		"activating: activation code: url: is missing")
}

// TestRequestsTextIsCleaned: a sign-in request's context is whatever the
// relying party wrote. The requests table shows it without control, bidi
// and invisible characters; JSON keeps it, escaped.
func TestRequestsTextIsCleaned(t *testing.T) {
	srv := startServer(t)
	_, g := fileStore(t)
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	ok(t, args(g, []string{"activate", enr.ActivationURI})...)
	raw := push.Context{App: "Payroll\x1b]0;pwned\x07", IP: "203.0.113.7\u200B", Location: "evil\u202Egpj", UserAgent: "Firefox\x1b[2J 140"}
	st, err := srv.CreateRequest("payroll", push.AuthRequestBody{User: "ada", Context: raw})
	if err != nil {
		t.Fatal(err)
	}
	// JSON: the server's text as it is (which also shows that it reached
	// the client raw), escaped so that printing it is harmless.
	out := ok(t, args(g, []string{"requests", "--json"})...)
	for _, want := range []string{`"app": "Payroll\u001b]0;pwned\u0007",`, `"ip": "203.0.113.7\u200b",`,
		`"location": "evil\u202egpj",`, `"user_agent": "Firefox\u001b[2J 140",`} {
		if !strings.Contains(out, want) {
			t.Errorf("requests --json does not hold %s:\n%s", want, out)
		}
	}
	var reqs []requestJSON
	if err := json.Unmarshal([]byte(out), &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].App != raw.App || reqs[0].IP != raw.IP || reqs[0].Location != raw.Location || reqs[0].UserAgent != raw.UserAgent {
		t.Fatalf("requests --json decodes to %+v, want the context %+v", reqs, raw)
	}
	want := st.ID + "  Countersign (ada)  Payroll]0;pwned  203.0.113.7  evilgpj  expires " + st.ExpiresAt.Local().Format(time.TimeOnly) + "\n"
	if got := ok(t, args(g, []string{"requests"})...); got != want {
		t.Errorf("requests:\n got %q\nwant %q", got, want)
	}
}
