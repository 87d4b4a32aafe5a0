// Package pushtest helps the tests of the app's side of push (push/device,
// app, cmd/countersign) drive a real server from push/server/servertest the
// way a user does: devices activated from real activation codes, a second
// device that waits for an approval (made through the self-service pages,
// the path a user takes, not the administrator's), and device clients run
// until the test ends. Only tests import it.
package pushtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server/servertest"
	"github.com/countersign/countersign/scanner"
)

// Wait bounds every wait of these helpers.
const Wait = 20 * time.Second

// Activate activates a device named name with an activation URI, as the
// app does (device.Activate, the server's key checked against the code).
func Activate(t testing.TB, uri, name string) device.Activated {
	t.Helper()
	act, err := push.ParseActivationURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	a, err := device.Activate(ctx, http.DefaultClient, act, name)
	if err != nil {
		t.Fatalf("activating %s: %v", name, err)
	}
	return a
}

// AdminDevice activates a device of user with an administrator's code
// (srv.Enroll): it joins at once, even when the user has devices already.
func AdminDevice(t testing.TB, srv *servertest.Server, user, name string) device.Activated {
	t.Helper()
	enr, err := srv.Enroll(user)
	if err != nil {
		t.Fatal(err)
	}
	return Activate(t, enr.ActivationURI, name)
}

// Code is the current one-time code of an activated device.
func Code(t testing.TB, a device.Activated) string {
	t.Helper()
	alg := map[string]otp.Algorithm{"SHA1": otp.AlgorithmSHA1, "SHA256": otp.AlgorithmSHA256, "SHA512": otp.AlgorithmSHA512}[a.TOTP.Algorithm]
	c, err := totp.GenerateCodeCustom(a.TOTP.Secret, time.Now(), totp.ValidateOpts{Period: uint(a.TOTP.Period), Digits: otp.Digits(a.TOTP.Digits), Algorithm: alg})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// SelfServiceActivationURI is what a user who holds a device does to add
// another: sign in to self-service with a one-time code of that device,
// ask for an enrollment link, and read the activation QR code on the
// enrollment page (its URI is in no JSON answer). A device activated with
// it waits for an approval from one of the user's devices.
func SelfServiceActivationURI(t testing.TB, srv *servertest.Server, user, code string) string {
	t.Helper()
	var signedIn struct {
		Token string `json:"token"`
	}
	post(t, srv, "/v1/self-service/sign-in", "", push.OTPVerifyBody{User: user, Code: code}, &signedIn)
	var enrolled struct {
		EnrollURL string `json:"enroll_url"`
	}
	post(t, srv, "/v1/self-service/enroll", signedIn.Token, nil, &enrolled)
	resp, err := http.Get(enrolled.EnrollURL + "/qr.png")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	png, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the enrollment page's QR code: HTTP %d, %v", resp.StatusCode, err)
	}
	texts, err := scanner.DecodeBytes(png)
	if err != nil || len(texts) != 1 || !push.IsActivationURI(texts[0]) {
		t.Fatalf("the enrollment page's QR code reads %q, %v", texts, err)
	}
	return texts[0]
}

// Approval is a change that waits for an approval on a device: the number
// to type there.
type Approval struct {
	Status    string    `json:"status"`
	RequestID string    `json:"request_id"`
	Number    string    `json:"number"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SelfServiceRemove asks, through self-service (signed in with a code of
// the device), to remove a user's last device: the server answers that the
// device itself must approve, with the number it returns.
func SelfServiceRemove(t testing.TB, srv *servertest.Server, user, code, deviceID string) Approval {
	t.Helper()
	var signedIn struct {
		Token string `json:"token"`
	}
	post(t, srv, "/v1/self-service/sign-in", "", push.OTPVerifyBody{User: user, Code: code}, &signedIn)
	var a Approval
	post(t, srv, "/v1/self-service/devices/"+deviceID+"/revoke", signedIn.Token, nil, &a)
	if a.Status != "approval_pending" || a.Number == "" {
		t.Fatalf("removing the last device: %+v", a)
	}
	return a
}

// post calls a self-service endpoint as its pages do (JSON, Origin: the
// server) and decodes the answer into out; anything but 200 or 202 fails t.
func post(t testing.TB, srv *servertest.Server, path, token string, body, out any) {
	t.Helper()
	data, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", srv.URL)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST %s: HTTP %d %s", path, resp.StatusCode, answer)
	}
	if err := json.Unmarshal(answer, out); err != nil {
		t.Fatalf("POST %s: %v in %s", path, err, answer)
	}
}

// Client is a device client run until the test ends, its events kept.
type Client struct {
	*device.Client
	events chan device.Event

	mu      sync.Mutex
	notices []push.Notice // every notice, also those Next dropped
}

// Run runs the websocket client of an activated device until the test ends.
func Run(t testing.TB, a device.Activated) *Client {
	t.Helper()
	c := &Client{events: make(chan device.Event, 256)}
	c.Client = device.NewClient(a.Enrollment, a.PrivateKey, func(ev device.Event) {
		if ev.Kind == device.EventNotice {
			c.mu.Lock()
			c.notices = append(c.notices, ev.Notice)
			c.mu.Unlock()
		}
		c.events <- ev
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		for {
			select {
			case <-done:
				return
			case <-c.events: // the client may report while it stops
			}
		}
	})
	return c
}

// Next returns the next event that match accepts, dropping the others;
// after Wait, it fails t, naming the events it dropped.
func (c *Client) Next(t testing.TB, what string, match func(device.Event) bool) device.Event {
	t.Helper()
	timeout := time.After(Wait)
	var dropped []string
	for {
		select {
		case ev := <-c.events:
			if match(ev) {
				return ev
			}
			dropped = append(dropped, Describe(ev))
		case <-timeout:
			t.Fatalf("no %s within %v; events: %q", what, Wait, dropped)
		}
	}
}

// Notice returns the first notice of this kind whose text holds text,
// waiting for it if it has not come yet.
func (c *Client) Notice(t testing.TB, kind, text string) push.Notice {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for {
		c.mu.Lock()
		notices := slices.Clone(c.notices)
		c.mu.Unlock()
		for _, n := range notices {
			if n.Kind == kind && strings.Contains(n.Text, text) {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s notice holding %q within %v; notices: %+v", kind, text, Wait, notices)
		}
		select {
		case ev := <-c.events: // wait for more, dropping the event
			_ = ev
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Describe tells an event in a line, for test failures.
func Describe(ev device.Event) string {
	switch ev.Kind {
	case device.EventState:
		return fmt.Sprintf("state %s (%v)", ev.State, ev.Err)
	case device.EventRequest:
		return fmt.Sprintf("request %s %s %q", ev.Request.ID, ev.Request.Kind, ev.Request.Application)
	case device.EventNotice:
		return fmt.Sprintf("notice %s %q", ev.Notice.Kind, ev.Notice.Text)
	}
	return fmt.Sprintf("event %d %s %s %v", ev.Kind, ev.RequestID, ev.Status, ev.Err)
}

// Connected matches the event of a client's connection.
func Connected(ev device.Event) bool {
	return ev.Kind == device.EventState && ev.State == device.Connected
}

// RequestOfKind matches a request of this kind.
func RequestOfKind(kind push.RequestKind) func(device.Event) bool {
	return func(ev device.Event) bool { return ev.Kind == device.EventRequest && ev.Request.Kind == kind }
}
