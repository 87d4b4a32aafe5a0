package client

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/countersign/countersign/push"
)

// FuzzDecodeResponse: whatever a server or a proxy answers, decoding never
// panics; a non-2xx answer is always an error, an *Error only with a code;
// an error quoting the answer is valid UTF-8.
func FuzzDecodeResponse(f *testing.F) {
	f.Add(201, []byte(`{"id":"r1","user":"ada","number":"42","status":"pending","expires_at":"2026-11-26T01:00:00Z"}`))
	f.Add(403, []byte(`{"error":{"code":"user_blocked","message":"ada is blocked"}}`))
	f.Add(409, []byte(`{"error":{"code":"enrollment_required","message":"m","enroll_url":"https://cs.example.com/enroll/x"}}`))
	f.Add(502, []byte("<html>Bad Gateway</html>"))
	f.Add(500, []byte(`{"error":{"message":"no code"}}`))
	f.Add(200, []byte("\xff\xfe not json"))
	f.Fuzz(func(t *testing.T, status int, data []byte) {
		var st push.AuthRequestState
		err := decodeResponse(status, data, &st)
		ok := status >= 200 && status < 300
		if !ok && err == nil {
			t.Fatalf("HTTP %d decoded without an error", status)
		}
		var ce *Error
		if errors.As(err, &ce) && (ce.Code == "" || ce.HTTPStatus != status || ok) {
			t.Fatalf("HTTP %d gave %+v", status, ce)
		}
		if err != nil && !utf8.ValidString(err.Error()) {
			t.Fatalf("error text is not UTF-8: %q", err.Error())
		}
	})
}
