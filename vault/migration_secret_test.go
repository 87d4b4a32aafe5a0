package vault

import (
	"strings"
	"testing"
)

// TestMigrationErrorHoldsNoSecret: an export URI that url.Parse refuses
// (a control character, as a bad copy and paste brings in) is refused with
// the parser's reason only. url.Parse's own error quotes the whole URI, and
// its data parameter is every account's secret.
func TestMigrationErrorHoldsNoSecret(t *testing.T) {
	const data = "CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC"
	uri := "otpauth-migration://offline?data=" + data + "\x01"
	_, err := ParseMigrationURI(uri)
	const want = "Google Authenticator export: malformed URI: net/url: invalid control character in URL"
	if err == nil || err.Error() != want {
		t.Fatalf("ParseMigrationURI(%q): got %v, want %q", uri, err, want)
	}
	if strings.Contains(err.Error(), data) || strings.Contains(err.Error(), data[:16]) {
		t.Errorf("the error holds the export's data: %v", err)
	}
}
