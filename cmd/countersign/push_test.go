package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
	"github.com/countersign/countersign/vault"
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
	// The code is single-use (on another vault: this one refuses an
	// account it already has before asking the server).
	_, otherVault := fileStore(t)
	wantFail(t, runCS(t, args(otherVault, []string{"activate", enr.ActivationURI})...), 1,
		"activating: activation refused: activation_used: this activation code was already used; ask for a new one")

	if got := ok(t, args(vaultFlags, []string{"requests", "--json"})...); got != "[]\n" {
		t.Fatalf("no requests: %q", got)
	}
	st := signIn(t, srv)
	var reqs []requestJSON
	if err := json.Unmarshal([]byte(ok(t, args(vaultFlags, []string{"requests", "--json"})...)), &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].ID != st.ID || reqs[0].User != "ada" || reqs[0].Application != "payroll" || reqs[0].Kind != push.KindSignIn ||
		reqs[0].App != "Payroll" || reqs[0].IP != "203.0.113.7" || !reqs[0].ExpiresAt.Equal(st.ExpiresAt) {
		t.Fatalf("requests: %+v", reqs)
	}
	// The table: the application is the relying party's registered name;
	// the caller's own words are a detail, last.
	if got, want := ok(t, args(vaultFlags, []string{"requests"})...),
		st.ID+"  Countersign (ada)  payroll  203.0.113.7  Lyon, FR  expires "+st.ExpiresAt.Local().Format(time.TimeOnly)+"  Detail: Payroll\n"; got != want {
		t.Fatalf("requests:\n got %q\nwant %q", got, want)
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

// TestRequestsTextIsCleaned: a request's application, context and account
// come from outside. The requests table and the answer's output show them
// without control, bidi and invisible characters; JSON keeps them,
// escaped. The server cleans the context too, so the command's own
// cleaning is proven with a raw request handed to its printing directly;
// end to end, the text arrives cleaned.
func TestRequestsTextIsCleaned(t *testing.T) {
	t.Run("raw request", func(t *testing.T) {
		acc := vault.Account{ID: "acc1", Params: vault.Params{Issuer: "Pay\x1b[8mroll", Name: "ada\u202E"}}
		expires := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
		raw := push.Request{ID: "r1\x1b[2K", User: "ada", Application: "payroll\x1b[31m\u202E", Nonce: "n",
			Context:   push.Context{App: "Payroll\x1b]0;pwned\x07", IP: "203.0.113.7\u200B", Location: "evil\u202Egpj", UserAgent: "Firefox\x1b[2J 140"},
			ExpiresAt: expires}
		var out bytes.Buffer
		c := &cli{stdout: &out}
		if err := printRequests(c, []requestJSON{requestJSONOf(raw, acc)}, false); err != nil {
			t.Fatal(err)
		}
		want := "r1[2K  Pay[8mroll (ada)  payroll[31m  203.0.113.7  evilgpj  expires " + expires.Local().Format(time.TimeOnly) + "  Detail: Payroll]0;pwned\n"
		if got := out.String(); got != want {
			t.Errorf("requests:\n got %q\nwant %q", got, want)
		}
		out.Reset()
		if err := printRequests(c, []requestJSON{requestJSONOf(raw, acc)}, true); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"id": "r1\u001b[2K",`, `"application": "payroll\u001b[31m\u202e",`, `"kind": "sign_in",`, `"app": "Payroll\u001b]0;pwned\u0007",`,
			`"ip": "203.0.113.7\u200b",`, `"location": "evil\u202egpj",`, `"user_agent": "Firefox\u001b[2J 140",`, `"account": "Pay\u001b[8mroll (ada\u202e)",`} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("requests --json does not hold %s:\n%s", want, out.String())
			}
		}
		// A device's name in the server's own requests, in the table and
		// in the answer's output.
		add := raw
		add.ID, add.Application, add.Kind, add.Context = "r2", "Countersign", push.KindAddDevice, push.Context{App: "New device: Pix\u202Eel\x1b[8m"}
		out.Reset()
		if err := printRequests(c, []requestJSON{requestJSONOf(add, acc)}, false); err != nil {
			t.Fatal(err)
		}
		want = "r2  Pay[8mroll (ada)  Countersign      expires " + expires.Local().Format(time.TimeOnly) +
			"  A new device, Pixel[8m, asks to join your account. Approve only if you are adding it now, and type the number it shows.\n"
		if got := out.String(); got != want {
			t.Errorf("requests:\n got %q\nwant %q", got, want)
		}
		out.Reset()
		if err := printVerdict(c, add, push.Approve, acc, device.Event{Kind: device.EventResult, RequestID: "r2", Status: push.StatusApproved}); err != nil {
			t.Fatal(err)
		}
		if want := "r2\tPay[8mroll (ada)\tapproved\tthe new device, Pixel[8m, joins your account\n"; out.String() != want {
			t.Errorf("approve printed %q, want %q", out.String(), want)
		}
		out.Reset()
		err := printVerdict(c, raw, push.Approve, acc, device.Event{Kind: device.EventResult, RequestID: raw.ID, Status: "fraud\x1b[1A"})
		if want := "r1[2K\tPay[8mroll (ada)\tfraud[1A\n"; out.String() != want {
			t.Errorf("approve printed %q, want %q", out.String(), want)
		}
		if err == nil || err.Error() != "the request ended fraud\x1b[1A, not approved" {
			t.Errorf("approve: %v", err) // main cleans errors as it prints them
		}
	})
	t.Run("end to end", func(t *testing.T) {
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
		out := ok(t, args(g, []string{"requests", "--json"})...)
		var reqs []requestJSON
		if err := json.Unmarshal([]byte(out), &reqs); err != nil {
			t.Fatal(err)
		}
		if len(reqs) != 1 || reqs[0].Application != "payroll" || reqs[0].App != "Payroll]0;pwned" || reqs[0].IP != "203.0.113.7" ||
			reqs[0].Location != "evilgpj" || reqs[0].UserAgent != "Firefox[2J 140" {
			t.Fatalf("requests --json: %s", out)
		}
		want := st.ID + "  Countersign (ada)  payroll  203.0.113.7  evilgpj  expires " + st.ExpiresAt.Local().Format(time.TimeOnly) + "  Detail: Payroll]0;pwned\n"
		if got := ok(t, args(g, []string{"requests"})...); got != want {
			t.Errorf("requests:\n got %q\nwant %q", got, want)
		}
	})
}

// TestActivatePendingThenApprovedFromTheCLI: a second device, added
// through the user's self-service page, waits for an approval: activate
// says what to type on the other device; there, requests and approve show
// and take the request plainly; then the new device connects.
func TestActivatePendingThenApprovedFromTheCLI(t *testing.T) {
	srv := startServer(t)
	_, first := fileStore(t)
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	ok(t, args(first, []string{"activate", "--device-name", "laptop", enr.ActivationURI})...)
	var codes []struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal([]byte(ok(t, args(first, []string{"code", "--json"})...)), &codes); err != nil || len(codes) != 1 {
		t.Fatalf("code --json: %v %v", codes, err)
	}
	uri := pushtest.SelfServiceActivationURI(t, srv, "ada", codes[0].Code)

	_, second := fileStore(t)
	activated := ok(t, args(second, []string{"activate", "--device-name", "phone", uri})...)
	// It waits: its own requests say so at once.
	wantFail(t, runCS(t, args(second, []string{"requests"})...), 1,
		"connecting: Countersign (ada): this device waits for an approval from one of your other devices")

	// The first device is asked, and told of the new device on stderr.
	var reqs []requestJSON
	asked := runCS(t, args(first, []string{"requests", "--json"})...)
	if asked.code != 0 || !regexp.MustCompile(`^countersign: Countersign \(ada\): your account changed: A new device, "phone", asks to join your account\. Approve it only if you are adding it now\. \(.+\)\n$`).MatchString(asked.stderr) {
		t.Fatalf("requests --json: exit %d, stderr %q", asked.code, asked.stderr)
	}
	if err := json.Unmarshal([]byte(asked.stdout), &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].Application != "Countersign" || reqs[0].Kind != push.KindAddDevice || reqs[0].App != "New device: phone" {
		t.Fatalf("requests --json: %+v", reqs)
	}
	r := reqs[0]
	stored, err := srv.Store().AuthRequest(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^activated\t([0-9a-f]+)\tCountersign \(ada\)\n`).FindString(activated)
	if want := line + "This device waits for approval: on your other device, approve the request and type " + stored.Number +
		" (until " + r.ExpiresAt.Local().Format("15:04") + ").\n"; line == "" || activated != want {
		t.Fatalf("activate printed\n%q\nwant\n%q", activated, want)
	}
	want := r.ID + "  Countersign (ada)  Countersign  127.0.0.1    expires " + r.ExpiresAt.Local().Format(time.TimeOnly) +
		"  A new device, phone, asks to join your account. Approve only if you are adding it now, and type the number it shows.\n"
	if got := ok(t, args(first, []string{"requests"})...); got != want {
		t.Fatalf("requests:\n got %q\nwant %q", got, want)
	}
	if got := ok(t, args(first, []string{"approve", r.ID, "--number", stored.Number})...); got != r.ID+"\tCountersign (ada)\tapproved\tthe new device, phone, joins your account\n" {
		t.Fatalf("approve printed %q", got)
	}
	// The new device connects now.
	if got := ok(t, args(second, []string{"requests", "--json"})...); got != "[]\n" {
		t.Fatalf("requests on the new device: %q", got)
	}
}

// TestRequestsPrintsNotices: a change to the account (here, a device added
// by an administrator) is printed on standard error by the next command
// that connects, once.
func TestRequestsPrintsNotices(t *testing.T) {
	srv := startServer(t)
	_, vaultFlags := fileStore(t)
	enr, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	ok(t, args(vaultFlags, []string{"activate", enr.ActivationURI, "--device-name", "ci"})...)
	second, err := srv.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	act, _ := push.ParseActivationURI(second.ActivationURI)
	if _, err := device.Activate(context.Background(), http.DefaultClient, act, "laptop"); err != nil {
		t.Fatal(err)
	}
	r := runCS(t, args(vaultFlags, []string{"requests", "--json"})...)
	want := regexp.MustCompile(`^countersign: Countersign \(ada\): your account changed: A new device, "laptop", was added to your account\. If this was not you, report it to your administrator\. \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)\n$`)
	if r.code != 0 || r.stdout != "[]\n" || !want.MatchString(r.stderr) {
		t.Fatalf("requests: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if again := ok(t, args(vaultFlags, []string{"requests", "--json"})...); again != "[]\n" {
		t.Fatalf("requests again: %q", again)
	}
}
