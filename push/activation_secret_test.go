package push

import (
	"strings"
	"testing"
)

// TestActivationErrorHoldsNoCode: a URI that url.Parse refuses (here a
// control character a copy and paste brought in) is refused with the
// parser's reason only. url.Parse's own error quotes the whole URI, so the
// activation code reached the message shown and logged.
func TestActivationErrorHoldsNoCode(t *testing.T) {
	const code = "q1w2e3r4t5y6u7i8o9p0aA"
	for _, c := range []struct{ uri, want string }{
		{"countersign://activate?v=1&url=https%3A%2F%2Fcs.example.com%2Fv1%2Factivate&code=" + code + "\x01&account=ada&fp=SHA256%3Aabc",
			"activation code: uri: is malformed: net/url: invalid control character in URL"},
		{"countersign://activate\x7f?v=1&code=" + code,
			"activation code: uri: is malformed: net/url: invalid control character in URL"},
	} {
		_, err := ParseActivationURI(c.uri)
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseActivationURI(%q): got %v, want %q", c.uri, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), code) {
			t.Errorf("the error holds the activation code: %v", err)
		}
	}
}
