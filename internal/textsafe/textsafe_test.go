package textsafe

import (
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Payroll", "Payroll"},
		{"Café Ölçü 東京", "Café Ölçü 東京"},
		{"evil\u202Egpj.exe", "evilgpj.exe"},               // right-to-left override
		{"a\u2066b\u2069c\u200Fd\u200Ee\u061Cf", "abcdef"}, // isolates, marks
		{"zero\u200Bwidth\u200Djoin\uFEFF", "zerowidthjoin"},
		{"\x1b[2J\x1b]0;pwned\x07clear", "[2J]0;pwnedclear"},
		{"line\nbreak\ttab\rcr", "line break tab cr"},
		{"c1\u0085\u009bx", "c1x"},
		{"nul\x00del\x7f", "nuldel"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"sep\u2028par\u2029", "seppar"},
	} {
		if got := Clean(c.in); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
		if IsClean(c.in) != (c.in == c.want) {
			t.Errorf("IsClean(%q) = %t", c.in, IsClean(c.in))
		}
	}
}

func TestTruncate(t *testing.T) {
	// "é" is 2 bytes, "€" 3, "😀" 4: every cut inside one steps back before it.
	s := "ab" + "é" + "€" + "😀"
	for n, want := range map[int]string{
		0: "", 1: "a", 2: "ab", 3: "ab", 4: "abé", 5: "abé", 6: "abé", 7: "abé€",
		8: "abé€", 9: "abé€", 10: "abé€", 11: "abé€😀", 100: "abé€😀",
	} {
		got := Truncate(s, n)
		if got != want || !utf8.ValidString(got) || len(got) > n && n < len(s) {
			t.Errorf("Truncate(%q, %d) = %q, want %q", s, n, got, want)
		}
	}
}

func FuzzClean(f *testing.F) {
	f.Add("a\u202Eb\x1b[0m", 3)
	f.Fuzz(func(t *testing.T, s string, n int) {
		c := Clean(s)
		if !IsClean(c) || Clean(c) != c {
			t.Fatalf("Clean(%q) = %q is not clean", s, c)
		}
		if n >= 0 && n < 1<<20 {
			tr := Truncate(s, n)
			if len(tr) > n || (utf8.ValidString(s) && !utf8.ValidString(tr)) || s[:len(tr)] != tr {
				t.Fatalf("Truncate(%q, %d) = %q", s, n, tr)
			}
		}
	})
}
