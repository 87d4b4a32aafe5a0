package device

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/countersign/countersign/push"
)

// State is the connection state of a client.
type State string

// Connection states.
const (
	Connecting   State = "connecting"
	Connected    State = "connected"
	Disconnected State = "disconnected"
)

// Event is something the client tells the app. Exactly one of its fields
// besides Kind is meaningful, as Kind says.
type Event struct {
	Kind EventKind
	// Request is a new sign-in request, its server signature checked.
	Request push.Request
	// RequestID and Status: the request was decided (by this device's
	// answer for EventResult, elsewhere or by expiry for EventResolved).
	RequestID string
	Status    push.Status
	// State is the new connection state (EventState); Err why it changed.
	State State
	Err   error
	// Notice is a change to the account, its server signature checked
	// (EventNotice): a device added or removed. Show it to the user.
	Notice push.Notice
}

// EventKind says what an Event is about.
type EventKind int

// Kinds of events.
const (
	EventRequest EventKind = iota
	EventResolved
	EventResult
	EventState
	EventNotice
)

// Client holds the websocket of one enrollment and reconnects it.
type Client struct {
	enr Enrollment
	key ed25519.PrivateKey
	// OnEvent receives every event, from the client's goroutine.
	onEvent func(Event)
	// now tells the time (tests move it).
	now func() time.Time

	mu      sync.Mutex
	conn    *websocket.Conn
	polling bool                    // connected by HTTPS long-polling instead
	seen    map[string]push.Request // requests shown and not yet resolved
	// answered are the signed answers given and not yet resolved: a
	// server that gives one of their requests again (on a new connection,
	// perhaps to another instance, after the first one died with the
	// answer on its way) gets the answer again. A decision is taken once
	// on the server, so a repeated answer cannot count twice.
	answered map[string]push.Frame
	// resend are the answers to give again once the connection is
	// welcomed (the server gives pending requests before its welcome).
	resend []push.Frame
	// lastNotice is the id of the latest notice shown.
	lastNotice int64
}

// errWebsocketRefused means an HTTP answer came back but no websocket: a
// proxy on the way does not pass websockets.
var errWebsocketRefused = errors.New("the websocket was refused")

// ErrPendingApproval is why a device that waits for an approval from one
// of the user's other devices is not connected: the server refuses its
// hello until then. The client keeps trying, and connects once approved.
var ErrPendingApproval = errors.New("this device waits for an approval from one of your other devices")

// pendingAttempts caps the backoff while the device waits for approval
// (2 to 4 s): the user is approving it on another device right now, and
// the new one should connect within seconds of it.
const pendingAttempts = 2

// isPendingApproval tells the server's refusal of a device that waits for
// an approval: the code approval_pending, or the message the server sends.
func isPendingApproval(e *push.ErrorBody) bool {
	return e.Code == "approval_pending" || strings.Contains(e.Message, "waits for an approval")
}

// pollClient is the HTTP client of the long-poll fallback.
var pollClient = &http.Client{Timeout: 45 * time.Second}

// answerResendTimeout bounds giving an answer again on a new connection.
const answerResendTimeout = 10 * time.Second

// pollWait is how long one poll waits for a request.
const pollWait = "25s"

// NewClient returns a client for an enrollment; onEvent receives its events.
func NewClient(enr Enrollment, key ed25519.PrivateKey, onEvent func(Event)) *Client {
	return &Client{enr: enr, key: key, onEvent: onEvent, now: time.Now, seen: map[string]push.Request{}, answered: map[string]push.Frame{}}
}

// Run connects and stays connected until ctx ends, reconnecting with
// exponential backoff and jitter. Pending requests arrive again on every
// connection, before the Connected event; the client reports each once.
// A device that waits for an approval is refused (EventState Disconnected
// with ErrPendingApproval) and tries again every few seconds until it is
// approved.
func (c *Client) Run(ctx context.Context) {
	for attempt := 0; ; attempt++ {
		c.onEvent(Event{Kind: EventState, State: Connecting})
		connected, err := c.session(ctx)
		if errors.Is(err, errWebsocketRefused) {
			connected, err = c.pollSession(ctx)
		}
		if ctx.Err() != nil {
			c.onEvent(Event{Kind: EventState, State: Disconnected, Err: ctx.Err()})
			return
		}
		c.onEvent(Event{Kind: EventState, State: Disconnected, Err: err})
		if connected {
			attempt = 0
		}
		n := attempt
		if errors.Is(err, ErrPendingApproval) {
			n = min(n, pendingAttempts)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff(n, func(d time.Duration) time.Duration { return rand.N(d + 1) })):
		}
	}
}

// session runs one connection; it reports whether the hello was accepted.
func (c *Client) session(ctx context.Context) (bool, error) {
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	conn, resp, err := websocket.Dial(dctx, c.enr.WebsocketURL, nil)
	cancel()
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return false, fmt.Errorf("%w (HTTP %d from %s)", errWebsocketRefused, resp.StatusCode, c.enr.WebsocketURL)
		}
		return false, fmt.Errorf("connecting to %s: %w", c.enr.WebsocketURL, err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(push.MaxFrameSize)
	f, err := readFrame(ctx, conn)
	if err != nil {
		return false, err
	}
	if f.Type != push.FrameChallenge {
		return false, fmt.Errorf("expected a challenge, got %q", f.Type)
	}
	hello := push.Frame{Type: push.FrameHello, DeviceID: c.enr.DeviceID, Signature: ed25519.Sign(c.key, push.ConnectSigningBytes(f.Nonce, c.enr.DeviceID))}
	if err := writeFrame(ctx, conn, hello); err != nil {
		return false, err
	}
	// The pending requests come first, then welcome.
	for welcomed := false; !welcomed; {
		if f, err = readFrame(ctx, conn); err != nil {
			return false, err
		}
		switch f.Type {
		case push.FrameError:
			if isPendingApproval(f.Error) {
				return false, ErrPendingApproval
			}
			return false, fmt.Errorf("the server refused this device: %w (activate it again)", f.Error)
		case push.FrameWelcome:
			welcomed = true
		default:
			c.handle(f)
		}
	}
	c.mu.Lock()
	c.conn = conn
	resend := c.resend
	c.resend = nil
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
	}()
	for _, answer := range resend {
		if err := writeFrame(ctx, conn, answer); err != nil {
			return true, err
		}
	}
	c.onEvent(Event{Kind: EventState, State: Connected})
	for {
		f, err := readFrame(ctx, conn)
		if err != nil {
			return true, err
		}
		c.handle(f)
	}
}

// handle reports one frame from the server, after checking it.
func (c *Client) handle(f push.Frame) {
	switch f.Type {
	case push.FrameRequest:
		r := *f.Request
		if err := push.Verify(c.enr.ServerKey, r.SigningBytes(), f.Signature); err != nil {
			return // never show a request the server did not sign
		}
		if !c.now().Before(r.ExpiresAt) {
			return
		}
		c.mu.Lock()
		_, dup := c.seen[r.ID]
		c.seen[r.ID] = r
		answer, answeredBefore := c.answered[r.ID]
		conn := c.conn
		c.mu.Unlock()
		switch {
		case dup && answeredBefore && conn != nil:
			ctx, cancel := context.WithTimeout(context.Background(), answerResendTimeout)
			writeFrame(ctx, conn, answer)
			cancel()
		case dup && answeredBefore:
			c.mu.Lock()
			c.resend = append(c.resend, answer)
			c.mu.Unlock()
		case !dup:
			c.onEvent(Event{Kind: EventRequest, Request: r})
		}
	case push.FrameResolved, push.FrameResult:
		c.mu.Lock()
		delete(c.seen, f.RequestID)
		delete(c.answered, f.RequestID)
		c.mu.Unlock()
		kind := EventResolved
		if f.Type == push.FrameResult {
			kind = EventResult
		}
		c.onEvent(Event{Kind: kind, RequestID: f.RequestID, Status: f.Status})
	case push.FrameNotice:
		n := *f.Notice
		if err := push.Verify(c.enr.ServerKey, n.SigningBytes(), f.Signature); err != nil {
			return // never show a notice the server did not sign
		}
		c.mu.Lock()
		dup := n.ID <= c.lastNotice
		c.lastNotice = max(c.lastNotice, n.ID)
		c.mu.Unlock()
		if !dup {
			c.onEvent(Event{Kind: EventNotice, Notice: n})
		}
	case push.FrameError:
		if f.RequestID != "" {
			c.onEvent(Event{Kind: EventResult, RequestID: f.RequestID, Err: f.Error})
		}
	}
}

// Answer sends the user's decision on request r, signed with the device
// key. The server's verdict arrives as an EventResult. While the client
// is between connections the answer waits and goes on the next one; an
// answer lost with its connection goes again when the server gives the
// request again (the server decides a request once).
//
// An approval of an ApproveOnly request needs no number: the client sends
// push.ApproveOnlyNumber.
func (c *Client) Answer(ctx context.Context, r push.Request, decision push.Decision, reason push.Reason, number string) error {
	if r.ApproveOnly && decision == push.Approve {
		number = push.ApproveOnlyNumber
	}
	a := push.Answer{RequestID: r.ID, DeviceID: c.enr.DeviceID, Decision: decision, Reason: reason, Number: number, Nonce: r.Nonce}
	if err := a.Validate(); err != nil {
		return err
	}
	sig := ed25519.Sign(c.key, a.SigningBytes())
	frame := push.Frame{Type: push.FrameAnswer, Answer: &a, Signature: sig}
	c.mu.Lock()
	conn, polling := c.conn, c.polling
	c.answered[r.ID] = frame
	c.mu.Unlock()
	switch {
	case conn != nil:
		return writeFrame(ctx, conn, frame)
	case polling:
		var result push.Frame
		if err := c.post(ctx, "/v1/devices/answer", map[string]any{"answer": a, "signature": sig}, &result); err != nil {
			return err
		}
		c.handle(result)
		return nil
	}
	// Between connections (reconnecting, or not yet welcomed): the answer
	// goes as soon as the next connection is welcomed.
	c.mu.Lock()
	c.resend = append(c.resend, frame)
	c.mu.Unlock()
	return nil
}

// httpBase is the server's base URL, from the websocket URL.
func (c *Client) httpBase() string {
	u := strings.TrimSuffix(c.enr.WebsocketURL, "/v1/devices/connect")
	u = strings.Replace(u, "wss://", "https://", 1)
	return strings.Replace(u, "ws://", "http://", 1)
}

// post sends a JSON body to the server and decodes its JSON answer.
func (c *Client) post(ctx context.Context, path string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.httpBase()+path, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, out)
}

func (c *Client) do(req *http.Request, out any) error {
	resp, err := pollClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return apiError(resp.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}

// pollSession is the fallback where websockets are blocked: HTTPS
// long-polls, each with a fresh challenge signed by the device, until an
// error. It reports whether a poll succeeded.
func (c *Client) pollSession(ctx context.Context) (bool, error) {
	defer func() {
		c.mu.Lock()
		c.polling = false
		c.mu.Unlock()
	}()
	connected := false
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.httpBase()+"/v1/devices/challenge", nil)
		if err != nil {
			return connected, err
		}
		var ch struct {
			Nonce string `json:"nonce"`
		}
		if err := c.do(req, &ch); err != nil {
			return connected, fmt.Errorf("polling: %w", err)
		}
		wait := pollWait
		if !connected {
			wait = "0s" // the first poll returns at once: it is the "connected" moment
		}
		body := map[string]any{"device_id": c.enr.DeviceID, "nonce": ch.Nonce, "wait": wait,
			"signature": ed25519.Sign(c.key, push.ConnectSigningBytes(ch.Nonce, c.enr.DeviceID))}
		var resp struct {
			Requests []push.Frame `json:"requests"`
			Notices  []push.Frame `json:"notices"`
		}
		if err := c.post(ctx, "/v1/devices/poll", body, &resp); err != nil {
			return connected, fmt.Errorf("polling: %w", err)
		}
		for _, f := range resp.Notices {
			if f.Type == push.FrameNotice && f.Notice != nil {
				c.handle(f)
			}
		}
		live := map[string]bool{}
		for _, f := range resp.Requests {
			if f.Type == push.FrameRequest && f.Request != nil {
				live[f.Request.ID] = true
				c.handle(f)
			}
		}
		// Requests no longer pending were decided elsewhere or expired.
		for _, r := range c.Pending() {
			if !live[r.ID] {
				c.handle(push.Frame{Type: push.FrameResolved, RequestID: r.ID}) // status unknown
			}
		}
		if !connected {
			connected = true
			c.mu.Lock()
			c.polling = true
			c.mu.Unlock()
			c.onEvent(Event{Kind: EventState, State: Connected})
		}
	}
}

// Pending returns the requests shown and not yet resolved.
func (c *Client) Pending() []push.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]push.Request, 0, len(c.seen))
	for _, r := range c.seen {
		if c.now().Before(r.ExpiresAt) {
			out = append(out, r)
		}
	}
	return out
}

func readFrame(ctx context.Context, conn *websocket.Conn) (push.Frame, error) {
	_, data, err := conn.Read(ctx)
	if err != nil {
		return push.Frame{}, err
	}
	return push.DecodeFrame(data)
}

func writeFrame(ctx context.Context, conn *websocket.Conn, f push.Frame) error {
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return conn.Write(wctx, websocket.MessageText, data)
}
