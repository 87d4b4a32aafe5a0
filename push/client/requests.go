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
	var st push.AuthRequestState
	err := cl.call(ctx, callTimeout, http.MethodPost, "/v1/auth-requests", push.AuthRequestBody{User: user, Context: c}, &st)
	return st, err
}

// Get returns the request's state now, without waiting.
func (cl *Client) Get(ctx context.Context, id string) (push.AuthRequestState, error) {
	return cl.poll(ctx, id, 0)
}

// Wait long-polls the request until it is decided (approved, denied, fraud
// or expired) and returns its final state. Only Status approved signs the
// user in. When ctx ends first, Wait returns ctx's error (wrapped) with the
// last state seen; calling Wait again with the same id picks up where it
// stopped.
func (cl *Client) Wait(ctx context.Context, id string) (push.AuthRequestState, error) {
	var last push.AuthRequestState
	for {
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
		if err := ctx.Err(); err != nil {
			return last, fmt.Errorf("countersign: waiting for sign-in request %s: %w", id, err)
		}
	}
}

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
	return s == push.StatusPending
}
