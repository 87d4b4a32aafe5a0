package duoauth

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error is a refusal in Duo's envelope: {"stat":"FAIL","code":40103,
// "message":"...","message_detail":"..."}. Code is Duo's five-digit code,
// whose first three digits are the HTTP status.
type Error struct {
	Code    int
	Message string
	// Detail names what was wrong (a parameter name, say); optional.
	Detail string
}

// Error returns the code, the message and the detail.
func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%d: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%d: %s (%s)", e.Code, e.Message, e.Detail)
}

// Status is the HTTP status of the refusal: the first three digits of Code.
func (e *Error) Status() int {
	if st := e.Code / 100; st >= 400 && st < 600 {
		return st
	}
	return http.StatusInternalServerError
}

// Is makes errors.Is match a refusal whatever its detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == e.Message
}

// WithDetail returns a copy of e with message_detail set.
func (e *Error) WithDetail(format string, args ...any) *Error {
	c := *e
	c.Detail = fmt.Sprintf(format, args...)
	return &c
}

// Duo's documented error codes (https://duo.com/docs/authapi, "Response
// Format"), with Duo's own messages, so that integrations which match on
// them behave as they do with Duo.
var (
	// ErrMissingParams: a required parameter is missing (40001).
	ErrMissingParams = &Error{Code: 40001, Message: "Missing required request parameters"}
	// ErrInvalidParams: a parameter has an invalid value (40002).
	ErrInvalidParams = &Error{Code: 40002, Message: "Invalid request parameters"}
	// ErrMissingCredentials: no Authorization or Date, or not Duo's Basic
	// form (40101).
	ErrMissingCredentials = &Error{Code: 40101, Message: "Missing request credentials"}
	// ErrInvalidIKey: no integration has this key (40102).
	ErrInvalidIKey = &Error{Code: 40102, Message: "Invalid integration key in request credentials"}
	// ErrInvalidSignature: the signature does not verify with the
	// integration's secret key (40103).
	ErrInvalidSignature = &Error{Code: 40103, Message: "Invalid signature in request credentials"}
	// ErrStaleDate: the Date header is more than MaxSkew from the server's
	// clock (40105; Duo's published pages do not list this code, see the
	// package documentation).
	ErrStaleDate = &Error{Code: 40105, Message: "Request date is too far from the server's time"}
	// ErrNotFound: no such endpoint or transaction (40401).
	ErrNotFound = &Error{Code: 40401, Message: "Resource not found"}
	// ErrMethodNotAllowed: the endpoint does not take this HTTP method (40501).
	ErrMethodNotAllowed = &Error{Code: 40501, Message: "Method not allowed"}
	// ErrTooLarge: the body is over the verifier's bound (41301).
	ErrTooLarge = &Error{Code: 41301, Message: "Request body too large"}
	// ErrRateLimited: too many requests (42901); Duo's clients back off and retry.
	ErrRateLimited = &Error{Code: 42901, Message: "Too Many Requests"}
	// ErrInternal: the server failed (50000).
	ErrInternal = &Error{Code: 50000, Message: "Internal server error"}
)

// ok is Duo's success envelope.
type ok struct {
	Stat     string `json:"stat"`
	Response any    `json:"response"`
}

// fail is Duo's failure envelope.
type fail struct {
	Stat    string `json:"stat"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"message_detail,omitempty"`
}

// WriteOK answers 200 {"stat":"OK","response":response}.
func WriteOK(w http.ResponseWriter, response any) {
	write(w, http.StatusOK, ok{Stat: "OK", Response: response})
}

// WriteFail answers e in Duo's failure envelope with e's HTTP status.
func WriteFail(w http.ResponseWriter, e *Error) {
	write(w, e.Status(), fail{Stat: "FAIL", Code: e.Code, Message: e.Message, Detail: e.Detail})
}

func write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
