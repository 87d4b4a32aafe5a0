package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/countersign/countersign/push"
)

// CreateRequest pushes a sign-in request to user's phone. c describes the
// sign-in (IP, location, browser); the phone shows it under your
// application's registered name. Show the returned Number on the sign-in
// page (the user types it in the app), then Wait for the answer with the
// returned ID.
func (cl *Client) CreateRequest(ctx context.Context, user string, c push.Context) (push.AuthRequestState, error) {
	return cl.CreateRequestWith(ctx, user, push.MethodPush, c)
}

// CreateRequestWith starts a sign-in by method:
//
//   - push.MethodPush: as CreateRequest.
//   - push.MethodSMS: a code goes to the user's phone by text message; the
//     returned Status is code_sent. Ask the user for the code and pass it
//     to VerifyRequestCode.
//   - push.MethodVoice: a call; the user presses keys during it. Wait for
//     the answer.
//   - push.MethodAuto: the user's default method; act on the returned
//     Status (code_sent: ask for the code; pending: show Number, if any,
//     and Wait).
//
// A method the user or the server does not have is refused with
// CodeMethodNotAvailable.
func (cl *Client) CreateRequestWith(ctx context.Context, user string, method push.Method, c push.Context) (push.AuthRequestState, error) {
	var st push.AuthRequestState
	err := cl.call(ctx, callTimeout, http.MethodPost, "/v1/auth-requests", push.AuthRequestBody{User: user, Method: method, Context: c}, &st)
	return st, err
}

// VerifyRequestCode checks the code the user typed after a text message
// (request id from CreateRequestWith with push.MethodSMS) and returns the
// request's state. Only Status approved signs the user in:
//
//   - a wrong code returns ErrWrongCode (test with errors.Is) with the
//     request still code_sent: let the user type it again;
//   - after three wrong codes the request is denied (Reason
//     too_many_wrong_codes), and expired after its time: start a new one.
//
// A request decided already is returned as it is, so accept each request
// id once: forget it when the user is signed in.
func (cl *Client) VerifyRequestCode(ctx context.Context, id, code string) (push.AuthRequestState, error) {
	var st push.AuthRequestState
	if id == "" {
		return st, errEmptyID
	}
	err := cl.call(ctx, callTimeout, http.MethodPost, "/v1/auth-requests/"+url.PathEscape(id)+"/verify", push.CodeBody{Code: code}, &st)
	if err == nil && st.Status == push.StatusCodeSent && st.Reason == CodeWrongCode {
		err = ErrWrongCode
	}
	return st, err
}

// Get returns the request's state now, without waiting.
func (cl *Client) Get(ctx context.Context, id string) (push.AuthRequestState, error) {
	return cl.poll(ctx, id, 0)
}

// Wait long-polls the request until it is decided (approved, denied, fraud
// or expired) and returns its final state. Only Status approved signs the
// user in. A text-message request (code_sent) is decided when its code is
// verified (VerifyRequestCode, from this process or another) or it
// expires. When ctx ends first, Wait returns ctx's error (wrapped) with the
// last state seen; calling Wait again with the same id picks up where it
// stopped.
func (cl *Client) Wait(ctx context.Context, id string) (push.AuthRequestState, error) {
	var last push.AuthRequestState
	for {
		start := time.Now()
		st, err := cl.poll(ctx, id, cl.pollWait)
		if err != nil {
			if ctx.Err() != nil {
				return last, fmt.Errorf("countersign: waiting for sign-in request %s: %w", id, ctx.Err())
			}
			return last, err
		}
		if !waiting(st.Status) {
			return st, nil
		}
		last = st
		// A server or proxy that answers at once does not make Wait spin.
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("countersign: waiting for sign-in request %s: %w", id, ctx.Err())
		case <-time.After(minPoll - time.Since(start)):
		}
	}
}

// minPoll is the shortest time between the starts of two polls of Wait.
const minPoll = time.Second

// poll reads the request's state, the server holding it up to wait while
// it is pending.
func (cl *Client) poll(ctx context.Context, id string, wait time.Duration) (push.AuthRequestState, error) {
	var st push.AuthRequestState
	if id == "" {
		return st, errEmptyID
	}
	path := "/v1/auth-requests/" + url.PathEscape(id)
	timeout := callTimeout
	if wait > 0 {
		path += "?wait=" + url.QueryEscape(wait.String())
		timeout += wait
	}
	err := cl.call(ctx, timeout, http.MethodGet, path, nil, &st)
	return st, err
}

// waiting says whether a request in status s is still to be decided.
func waiting(s push.Status) bool {
	return s == push.StatusPending || s == push.StatusCodeSent
}
