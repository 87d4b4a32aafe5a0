package server

import (
	"strings"
	"testing"
)

// FuzzRecoveryCode feeds typed codes (what a relying party passes on from
// its sign-in page) to the recovery-code parser: it never panics, what it
// accepts is 16 lower-case base32 characters that parse to themselves,
// case never matters, and what it refuses is checked as an app code.
func FuzzRecoveryCode(f *testing.F) {
	for _, seed := range []string{"abcd-efgh-ijkl-mn23", "ABCD EFGH IJKL MN23", "123456", "", "abcd-efgh-ijkl-mn2é", "2345-6723-4567-2345", "\x00\xff", strings.Repeat("a", 17)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		code, ok := normalizeRecoveryCode(typed)
		if !ok {
			if code != "" || codeMethod(typed) != "otp" {
				t.Fatalf("refused %q but gave %q, method %s", typed, code, codeMethod(typed))
			}
			return
		}
		if len(code) != recoveryCodeLen || strings.Trim(code, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("%q gave %q", typed, code)
		}
		if again, ok := normalizeRecoveryCode(code); !ok || again != code {
			t.Fatalf("%q gave %q, which gives %q %v", typed, code, again, ok)
		}
		if upper, ok := normalizeRecoveryCode(strings.ToUpper(typed)); !ok || upper != code {
			t.Fatalf("%q in upper case gave %q %v, not %q", typed, upper, ok, code)
		}
		if codeMethod(typed) != "recovery" && !isAppCode(typed) {
			t.Fatalf("%q is a recovery code but is checked as %s", typed, codeMethod(typed))
		}
	})
}
