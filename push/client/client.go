// Package client is a Go client of Countersign's relying-party API: ask a
// user to approve a sign-in on their phone and wait for the answer, or
// check a one-time code they typed.
//
//	c := client.New("https://countersign.example.com", apiKey)
//	st, err := c.CreateRequest(ctx, "ada", push.Context{App: "Payroll", IP: remoteIP})
//	// show st.Number on the sign-in page; the user types it in the app
//	st, err = c.Wait(ctx, st.ID)
//	if err == nil && st.Status == push.StatusApproved { /* signed in */ }
//
// A user without the app signs in with a code by text message:
// CreateRequestWith(ctx, user, push.MethodSMS, c), then
// VerifyRequestCode(ctx, id, typedCode). VerifyCode checks a code from an
// authenticator app.
//
// The API key comes from `countersignd rp add NAME`. Refusals of the server
// are *Error values carrying its code (user_blocked, enrollment_required…);
// test them with errors.As.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultPollWait is how long one long-poll of Wait asks the server to hold
// a pending request before answering.
const DefaultPollWait = 30 * time.Second

// callTimeout bounds a call that does not long-poll, and the time a long
// poll may take beyond its wait.
const callTimeout = 30 * time.Second

// maxResponse bounds the server's answers that are read.
const maxResponse = 1 << 20

// Client calls one Countersign server with one relying party's API key. It
// is safe for concurrent use.
type Client struct {
	base     string
	apiKey   string
	http     *http.Client
	pollWait time.Duration
}

// Option changes how New makes a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests with hc: give one whose
// Transport trusts your server's certificate (TLSClientConfig.RootCAs) when
// it is not signed by a public authority. If hc has a Timeout, make it longer
// than the poll wait (DefaultPollWait, or WithPollWait's), or Wait fails.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithPollWait sets how long each long-poll of Wait lasts (at most 60 s is
// honoured by the server); shorter polls suit proxies that cut idle
// connections.
func WithPollWait(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.pollWait = d
		}
	}
}

// New returns a client of the server at baseURL (e.g.
// https://countersign.example.com) that authenticates with apiKey.
func New(baseURL, apiKey string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), apiKey: apiKey, http: http.DefaultClient, pollWait: DefaultPollWait}
	for _, o := range opts {
		o(c)
	}
	return c
}

// call sends method path with body as JSON (none if nil) and decodes a
// successful answer into out. A refusal of the server is an *Error; any
// other failure says what was being done and what to check.
func (c *Client) call(ctx context.Context, timeout time.Duration, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("countersign: %s %s: encoding the body: %w", method, path, err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("countersign: %s %s: %w (is %q the server's URL, like https://countersign.example.com?)", method, path, err, c.base)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("countersign: %s %s: %w (check that the server is reachable at %s)", method, path, err, c.base)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("countersign: %s %s: reading the answer: %w", method, path, err)
	}
	if err := decodeResponse(resp.StatusCode, data, out); err != nil {
		return fmt.Errorf("countersign: %s %s: %w", method, path, err)
	}
	return nil
}

// decodeResponse decodes a successful (2xx) answer into out, or returns the
// server's refusal as an *Error; an answer that is neither (a proxy's error
// page, another service) is an error that shows its start.
func decodeResponse(status int, data []byte, out any) error {
	if status >= 200 && status < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("HTTP %d with an answer that is not the expected JSON (%w): %s", status, err, excerpt(data))
		}
		return nil
	}
	var body struct {
		Error *Error `json:"error"`
	}
	if err := json.Unmarshal(data, &body); err != nil || body.Error == nil || body.Error.Code == "" {
		return fmt.Errorf("HTTP %d without Countersign's error body (is the URL Countersign's, not a proxy's?): %s", status, excerpt(data))
	}
	body.Error.HTTPStatus = status
	return body.Error
}

// excerpt is the start of an unexpected answer, safe to put in an error.
func excerpt(data []byte) string {
	const n = 200
	s := strings.ToValidUTF8(string(data), "?")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return fmt.Sprintf("%q", s)
}

// errEmptyID is returned for a request id that is empty.
var errEmptyID = errors.New("countersign: the request id is empty; pass the ID of the state CreateRequest returned")
