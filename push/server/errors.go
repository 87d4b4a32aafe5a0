package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/countersign/countersign/push"
)

// maxBodySize bounds request bodies of the API.
const maxBodySize = 64 << 10

// Error is a refusal of the server's domain functions, with a stable code
// (the API's error.code). The HTTP and websocket edges turn the code into a
// status with statusOf; the domain never speaks HTTP.
type Error struct {
	push.ErrorBody
}

// Error returns the code and the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errorf makes an Error with code and a message saying what to do next.
func errorf(code, format string, args ...any) *Error {
	return &Error{push.ErrorBody{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// statusOf is the HTTP status of each error code: the one table where the
// domain's refusals meet HTTP. A code missing here is a bug, answered 500.
var statusOf = map[string]int{
	"bad_request":          http.StatusBadRequest,
	"unsupported_media":    http.StatusUnsupportedMediaType,
	"too_large":            http.StatusRequestEntityTooLarge,
	"unauthorized":         http.StatusUnauthorized,
	"wrong_code":           http.StatusUnauthorized,
	"forbidden_origin":     http.StatusForbidden,
	"bad_nonce":            http.StatusForbidden,
	"bad_signature":        http.StatusForbidden,
	"device_revoked":       http.StatusForbidden,
	"user_blocked":         http.StatusForbidden,
	"not_found":            http.StatusNotFound,
	"user_not_found":       http.StatusNotFound,
	"activation_not_found": http.StatusNotFound,
	"already_revoked":      http.StatusConflict,
	"enrollment_required":  http.StatusConflict,
	"mfa_not_required":     http.StatusConflict,
	"not_expired":          http.StatusConflict,
	"approval_pending":     http.StatusConflict,
	"forbidden":            http.StatusForbidden,
	"not_activated":        http.StatusConflict,
	"not_pending":          http.StatusConflict,
	"activation_used":      http.StatusGone,
	"activation_expired":   http.StatusGone,
	"enrollment_closed":    http.StatusGone,
	"too_many_pending":     http.StatusTooManyRequests,
	"rate_limited":         http.StatusTooManyRequests,
	"backoff":              http.StatusTooManyRequests,
	"otp_throttled":        http.StatusTooManyRequests,
	"too_many_attempts":    http.StatusTooManyRequests,
	"too_many_connections": http.StatusTooManyRequests,
	"method_not_available": http.StatusConflict,
	"country_not_allowed":  http.StatusForbidden,
	"telephony_limited":    http.StatusTooManyRequests,
	"telephony_failed":     http.StatusBadGateway,
	"internal":             http.StatusInternalServerError,
}

// httpStatus returns the status of an error code (500 for an unknown one).
func httpStatus(code string) int {
	if st, ok := statusOf[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// asError returns err as an *Error, or the generic internal error (after
// logging the real one, which may hold details the caller must not see).
func (s *Server) asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	s.log.Error("internal error", "err", err)
	return errorf("internal", "the server failed; try again, and tell its administrator if it goes on")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) writeError(w http.ResponseWriter, err error) {
	e := s.asError(err)
	writeJSON(w, httpStatus(e.Code), map[string]any{"error": e.ErrorBody})
}

// decodeBody reads a JSON body of at most maxBodySize bytes.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodySize))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf("too_large", "the body is over %d bytes", maxBodySize)
		}
		return errorf("bad_request", "the body is not valid JSON: %v", err)
	}
	return nil
}
