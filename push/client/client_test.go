package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/client"
	"github.com/countersign/countersign/push/client/clienttest"
	"github.com/countersign/countersign/push/server"
)

// signIn is the context of the tests' sign-ins.
var signIn = push.Context{App: "Payroll web", IP: "203.0.113.7", Location: "Lyon, FR", UserAgent: "Firefox 140"}

// wait bounds every Wait of these tests.
const wait = 20 * time.Second

// create starts a sign-in request of user, checking what a new one is.
func create(t *testing.T, c *client.Client, user string) push.AuthRequestState {
	t.Helper()
	st, err := c.CreateRequest(t.Context(), user, signIn)
	if err != nil {
		t.Fatal(err)
	}
	if st.ID == "" || st.User != user || st.Status != push.StatusPending || len(st.Number) != 2 || strings.Trim(st.Number, "0123456789") != "" ||
		st.ExpiresAt.Before(time.Now()) || !st.DecidedAt.IsZero() {
		t.Fatalf("a new request: %+v", st)
	}
	return st
}

// waitFor waits for the request's final state in the background, so that
// the phone answers while the client long-polls, as in real use.
func waitFor(c *client.Client, id string) func(t *testing.T) (push.AuthRequestState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	type result struct {
		st  push.AuthRequestState
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := c.Wait(ctx, id)
		done <- result{st, err}
	}()
	return func(t *testing.T) (push.AuthRequestState, error) {
		t.Helper()
		defer cancel()
		r := <-done
		return r.st, r.err
	}
}

func TestApproved(t *testing.T) {
	b := clienttest.Start(t, server.Config{})
	phone := b.AddUser(t, "ada")
	c := client.New(b.URL, b.APIKey)
	st := create(t, c, "ada")
	result := waitFor(c, st.ID)
	r := phone.NextRequest(t)
	if r.ID != st.ID || r.Application != clienttest.Application || r.Context != signIn {
		t.Fatalf("the phone shows %+v, want request %s of %s with %+v", r, st.ID, clienttest.Application, signIn)
	}
	if err := phone.Client.Answer(t.Context(), r, push.Approve, push.ReasonNone, st.Number); err != nil {
		t.Fatal(err)
	}
	final, err := result(t)
	if err != nil {
		t.Fatal(err)
	}
	if final.ID != st.ID || final.Status != push.StatusApproved || final.Reason != "" || final.DecidedAt.IsZero() {
		t.Fatalf("final state %+v", final)
	}
	// Get reads the same decided state at once.
	got, err := c.Get(t.Context(), st.ID)
	if err != nil || got.Status != push.StatusApproved || got.ID != st.ID {
		t.Fatalf("Get: %+v, %v", got, err)
	}
}

// answered makes a request of ada's, has her phone give decision d with
// the number typed (for an approval) while the client waits, and returns
// the client and the request's final state.
func answered(t *testing.T, d push.Decision, typed func(shown string) string) (*client.Client, push.AuthRequestState) {
	t.Helper()
	b := clienttest.Start(t, server.Config{})
	phone := b.AddUser(t, "ada")
	c := client.New(b.URL, b.APIKey)
	st := create(t, c, "ada")
	result := waitFor(c, st.ID)
	phone.Answer(t, d, typed(st.Number))
	final, err := result(t)
	if err != nil || final.ID != st.ID || final.DecidedAt.IsZero() {
		t.Fatalf("final state %+v, %v", final, err)
	}
	return c, final
}

func none(string) string { return "" }

func TestDenied(t *testing.T) {
	_, final := answered(t, push.Deny, none)
	if final.Status != push.StatusDenied || final.Reason != string(push.ReasonNotMe) {
		t.Fatalf("final state %+v; want denied, not_me", final)
	}
}

// TestWrongNumberDenied: a user who types another number than the page's
// denies the sign-in (an attacker's page cannot be approved by habit).
func TestWrongNumberDenied(t *testing.T) {
	_, final := answered(t, push.Approve, func(shown string) string {
		if shown == "00" {
			return "01"
		}
		return "00"
	})
	if final.Status != push.StatusDenied || final.Reason != "wrong_number" {
		t.Fatalf("final state %+v; want denied, wrong_number", final)
	}
}

// TestFraud: a fraud report ends the request as fraud and blocks the user:
// the next request is refused with user_blocked.
func TestFraud(t *testing.T) {
	c, final := answered(t, push.Fraud, none)
	if final.Status != push.StatusFraud {
		t.Fatalf("final state %+v; want fraud", final)
	}
	_, err := c.CreateRequest(t.Context(), "ada", signIn)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != client.CodeUserBlocked || ce.HTTPStatus != http.StatusForbidden || !strings.Contains(ce.Message, "unblock") {
		t.Fatalf("a request after fraud: %v; want user_blocked (HTTP 403)", err)
	}
	if want := "countersign: POST /v1/auth-requests: user_blocked: " + ce.Message + " (HTTP 403)"; err.Error() != want {
		t.Fatalf("error text\n%s\nwant\n%s", err, want)
	}
}

// TestExpired: a request nobody answers ends expired, and Wait says so.
func TestExpired(t *testing.T) {
	b := clienttest.Start(t, server.Config{RequestTTL: 2 * time.Second})
	b.AddUser(t, "ada")
	c := client.New(b.URL, b.APIKey, client.WithPollWait(time.Second))
	st := create(t, c, "ada")
	final, err := c.Wait(t.Context(), st.ID)
	if err != nil || final.Status != push.StatusExpired || final.ID != st.ID {
		t.Fatalf("final state %+v, %v; want expired", final, err)
	}
	if time.Now().Before(st.ExpiresAt) {
		t.Fatalf("expired before its time %v", st.ExpiresAt)
	}
}

// TestWaitPollsAgain: a decision that comes after several long-polls is
// still seen: Wait polls again while the request is pending.
func TestWaitPollsAgain(t *testing.T) {
	b := clienttest.Start(t, server.Config{})
	phone := b.AddUser(t, "ada")
	c := client.New(b.URL, b.APIKey, client.WithPollWait(500*time.Millisecond))
	st := create(t, c, "ada")
	result := waitFor(c, st.ID)
	r := phone.NextRequest(t)
	time.Sleep(1600 * time.Millisecond) // three polls at least
	if err := phone.Client.Answer(t.Context(), r, push.Approve, push.ReasonNone, st.Number); err != nil {
		t.Fatal(err)
	}
	final, err := result(t)
	if err != nil || final.Status != push.StatusApproved {
		t.Fatalf("final state %+v, %v; want approved", final, err)
	}
}

// TestVerifyCode: the phone's code signs in once; the same code again is
// a replay and refused, as is a wrong one.
func TestVerifyCode(t *testing.T) {
	b := clienttest.Start(t, server.Config{})
	phone := b.AddUser(t, "ada")
	c := client.New(b.URL, b.APIKey)
	code := phone.Code(t)
	if err := c.VerifyCode(t.Context(), "ada", code); err != nil {
		t.Fatalf("the phone's code: %v", err)
	}
	err := c.VerifyCode(t.Context(), "ada", code)
	if !errors.Is(err, client.ErrWrongCode) {
		t.Fatalf("the same code again: %v; want ErrWrongCode", err)
	}
	if err := c.VerifyCode(t.Context(), "ada", "12345x"); !errors.Is(err, client.ErrWrongCode) {
		t.Fatalf("a wrong code: %v; want ErrWrongCode", err)
	}
	_, err = c.CreateRequest(t.Context(), "nobody", signIn)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != client.CodeUserNotFound || ce.HTTPStatus != http.StatusNotFound || errors.Is(err, client.ErrWrongCode) {
		t.Fatalf("an unknown user: %v; want user_not_found (HTTP 404)", err)
	}
}

func TestWrongKey(t *testing.T) {
	b := clienttest.Start(t, server.Config{})
	b.AddUser(t, "ada")
	c := client.New(b.URL, "cs_not-a-key")
	for name, call := range map[string]func() error{
		"CreateRequest": func() error { _, err := c.CreateRequest(t.Context(), "ada", signIn); return err },
		"Wait":          func() error { _, err := c.Wait(t.Context(), "some-id"); return err },
		"VerifyCode":    func() error { return c.VerifyCode(t.Context(), "ada", "123456") },
	} {
		err := call()
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Code != client.CodeUnauthorized || ce.HTTPStatus != http.StatusUnauthorized {
			t.Errorf("%s with a wrong key: %v; want unauthorized (HTTP 401)", name, err)
		}
	}
}

// TestEnrollmentRequired: a user without a device is refused with the
// link where they add one.
func TestEnrollmentRequired(t *testing.T) {
	b := clienttest.Start(t, server.Config{})
	if err := b.Server.AddUser("bob", true); err != nil {
		t.Fatal(err)
	}
	c := client.New(b.URL, b.APIKey)
	_, err := c.CreateRequest(t.Context(), "bob", signIn)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != client.CodeEnrollmentRequired || ce.HTTPStatus != http.StatusConflict || !strings.HasPrefix(ce.EnrollURL, b.URL+"/enroll/") {
		t.Fatalf("a user without a device: %v (%+v); want enrollment_required with the enrollment URL", err, ce)
	}
	resp, err := http.Get(ce.EnrollURL)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the enrollment page: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestContextCancel: Wait stops when its context ends, returns the context's
// error and the last state, and the request stays pending on the server.
func TestContextCancel(t *testing.T) {
	b := clienttest.Start(t, server.Config{})
	b.AddUser(t, "ada")
	c := client.New(b.URL, b.APIKey, client.WithPollWait(300*time.Millisecond))
	st := create(t, c, "ada")
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(time.Second, cancel) // after a few polls
	start := time.Now()
	last, err := c.Wait(ctx, st.ID)
	if took := time.Since(start); !errors.Is(err, context.Canceled) || took > 3*time.Second {
		t.Fatalf("Wait after cancel: %v after %v; want context.Canceled at once", err, took)
	}
	if last.ID != st.ID || last.Status != push.StatusPending {
		t.Fatalf("last state %+v; want the pending request", last)
	}
	// A deadline in the middle of a long poll ends it too.
	c = client.New(b.URL, b.APIKey)
	ctx, cancel = context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := c.Wait(ctx, st.ID); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("Wait past its deadline: %v after %v", err, time.Since(start))
	}
	if got, err := c.Get(t.Context(), st.ID); err != nil || got.Status != push.StatusPending {
		t.Fatalf("the request after the client gave up: %+v, %v; want pending", got, err)
	}
	if _, err := c.Wait(t.Context(), ""); err == nil || !strings.Contains(err.Error(), "request id is empty") {
		t.Fatalf("Wait without an id: %v", err)
	}
}

// TestUnreachable: a server that is not there is a wrapped network error
// that says what to check, not an *Error.
func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = client.New(url, "cs_key").CreateRequest(t.Context(), "ada", signIn)
	var ce *client.Error
	var ne *net.OpError
	if err == nil || errors.As(err, &ce) || !errors.As(err, &ne) || !strings.Contains(err.Error(), "check that the server is reachable at "+url) {
		t.Fatalf("an unreachable server: %v", err)
	}
}

// TestNotCountersign: an answer that is not Countersign's (here a proxy's
// error page, from a real HTTP server standing in for a misconfigured
// proxy) is an error that quotes its start.
func TestNotCountersign(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
	}))
	defer proxy.Close()
	err := client.New(proxy.URL+"/", "cs_key").VerifyCode(t.Context(), "ada", "123456")
	want := `countersign: POST /v1/otp/verify: HTTP 502 without Countersign's error body (is the URL Countersign's, not a proxy's?): "<html><body>502 Bad Gateway</body></html>"`
	var ce *client.Error
	if err == nil || err.Error() != want || errors.As(err, &ce) {
		t.Fatalf("a proxy's error page:\n%v\nwant\n%s", err, want)
	}
}

// TestWaitDoesNotSpin: against a server that answers pending at once
// (a real HTTP server standing in for one that ignores wait, or a caching
// proxy), Wait polls at most once a second.
func TestWaitDoesNotSpin(t *testing.T) {
	var polls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		polls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"r1","user":"ada","status":"pending","expires_at":"2030-01-01T00:00:00Z"}`))
	}))
	defer ts.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 2500*time.Millisecond)
	defer cancel()
	last, err := client.New(ts.URL, "cs_key").Wait(ctx, "r1")
	if !errors.Is(err, context.DeadlineExceeded) || last.Status != push.StatusPending || polls.Load() != 3 {
		t.Fatalf("Wait: %+v, %v after %d polls; want pending, the deadline, 3 polls", last, err, polls.Load())
	}
}

// TestTLS: WithHTTPClient gives the client that trusts the server's own
// certificate; without it the certificate is refused.
func TestTLS(t *testing.T) {
	b := clienttest.Start(t, server.Config{})
	phone := b.AddUser(t, "ada")
	ts := httptest.NewTLSServer(b.Handler()) // the same server's API over TLS, with a test certificate
	defer ts.Close()
	if err := client.New(ts.URL, b.APIKey).VerifyCode(t.Context(), "ada", phone.Code(t)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("an untrusted certificate: %v; want a certificate error", err)
	}
	if err := client.New(ts.URL, b.APIKey, client.WithHTTPClient(ts.Client())).VerifyCode(t.Context(), "ada", phone.Code(t)); err != nil {
		t.Fatalf("with the certificate trusted: %v", err)
	}
}
