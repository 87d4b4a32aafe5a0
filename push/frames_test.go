package push

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeFrameChecksEachType(t *testing.T) {
	answer := `{"request_id":"r","device_id":"d","decision":"approve","number":"42","nonce":"n"}`
	valid := []string{
		`{"type":"challenge","nonce":"abc"}`,
		`{"type":"hello","device_id":"d","signature":"AAAA"}`,
		`{"type":"request","request":{"id":"r","user":"ada","nonce":"n"},"signature":"AAAA"}`,
		`{"type":"welcome"}`,
		`{"type":"answer","answer":` + answer + `,"signature":"AAAA"}`,
		`{"type":"result","request_id":"r","status":"approved"}`,
		`{"type":"resolved","request_id":"r","status":"expired"}`,
		`{"type":"error","error":{"code":"bad_frame","message":"m"}}`,
	}
	for _, v := range valid {
		if _, err := DecodeFrame([]byte(v)); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	invalid := map[string]string{
		`{"type":"challenge"}`:                              "challenge frame without a nonce",
		`{"type":"hello","device_id":"d"}`:                  "hello frame needs device_id and signature",
		`{"type":"hello","device_id":"d","signature":"!!"}`: "malformed frame: illegal base64 data at input byte 0",
		`{"type":"request","request":{"id":"r"}}`:           "request frame needs request and signature",
		`{"type":"answer","signature":"AAAA"}`:              "answer frame needs answer and signature",
		`{"type":"answer","answer":{"request_id":"r","device_id":"d","decision":"approve","nonce":"n"},"signature":"AAAA"}`: "answer frame: an approval needs the number shown on the sign-in screen",
		`{"type":"answer","answer":{"request_id":"r","device_id":"d","decision":"maybe","nonce":"n"},"signature":"AAAA"}`:   `answer frame: unknown decision "maybe" (approve, deny or fraud)`,
		`{"type":"result","request_id":"r"}`: "result frame needs request_id and status",
		`{"type":"resolved","status":"x"}`:   "resolved frame needs request_id and status",
		`{"type":"error"}`:                   "error frame without error",
		`{"type":"launch"}`:                  `unknown frame type "launch"`,
		`{}`:                                 `unknown frame type ""`,
		`[1,2]`:                              "malformed frame: json: cannot unmarshal array into Go value of type push.Frame",
		`{"type":"welcome"`:                  "malformed frame: unexpected end of JSON input",
	}
	for in, want := range invalid {
		if _, err := DecodeFrame([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %q", in, err, want)
		}
	}
	big := `{"type":"welcome","nonce":"` + strings.Repeat("x", MaxFrameSize) + `"}`
	if _, err := DecodeFrame([]byte(big)); err == nil || err.Error() != "frame of 16413 bytes is over the 16384-byte limit" {
		t.Errorf("oversized: %v", err)
	}
}

// FuzzFrame decodes arbitrary bytes as a frame: no panic, and whatever is
// accepted carries what its type needs and encodes back to a frame that
// decodes to the same encoding.
func FuzzFrame(f *testing.F) {
	f.Add([]byte(`{"type":"hello","device_id":"d","signature":"AAAA"}`))
	f.Add([]byte(`{"type":"answer","answer":{"request_id":"r","device_id":"d","decision":"deny","reason":"not_me","nonce":"n"},"signature":"AAAA"}`))
	f.Add([]byte(`{"type":"request","request":{"id":"r","user":"ada","context":{"app":"a"},"nonce":"n","created_at":"2026-01-01T00:00:00Z","expires_at":"2026-01-01T00:02:00Z"},"signature":"AAAA"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeFrame(data)
		if err != nil {
			return
		}
		switch fr.Type {
		case FrameHello:
			if fr.DeviceID == "" || len(fr.Signature) == 0 {
				t.Fatalf("hello accepted without id or signature: %s", data)
			}
		case FrameAnswer:
			if err := fr.Answer.Validate(); err != nil || len(fr.Signature) == 0 {
				t.Fatalf("invalid answer accepted (%v): %s", err, data)
			}
		case FrameRequest:
			if fr.Request == nil || len(fr.Signature) == 0 {
				t.Fatalf("request accepted without request or signature: %s", data)
			}
		}
		once, err := json.Marshal(fr)
		if err != nil {
			t.Fatalf("an accepted frame does not encode: %v", err)
		}
		again, err := DecodeFrame(once)
		if err != nil {
			if len(once) > MaxFrameSize {
				return // re-encoding may grow it past the limit (escapes)
			}
			t.Fatalf("the encoding of an accepted frame is refused: %v\n%s", err, once)
		}
		twice, _ := json.Marshal(again)
		if !bytes.Equal(once, twice) {
			t.Fatalf("encoding is not stable:\n%s\n%s", once, twice)
		}
	})
}
