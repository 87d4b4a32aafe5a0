// Package textsafe makes text from outside safe to show: to a person in a
// dialog, and to a terminal. It removes control characters (which could
// move a terminal's cursor, rewrite a line or ring it) and the Unicode
// bidirectional and invisible formatting characters (which could make
// "evil.example" read as "elpmaxe.live", or hide part of a name).
package textsafe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean returns s without control characters, bidirectional controls and
// invisible format characters; invalid UTF-8 becomes U+FFFD. Tabs and line
// breaks become single spaces, so a field stays on one line.
func Clean(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case unsafeRune(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unsafeRune reports whether r is a control character (C0, DEL, C1) or a
// format character (category Cf: the bidi embeddings, overrides and
// isolates, the directional marks, zero-width spaces and joiners, the soft
// hyphen, the BOM), or a line or paragraph separator.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// IsClean reports whether Clean would leave s as it is.
func IsClean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '\t' || r == '\n' || r == '\r' || unsafeRune(r) {
			return false
		}
	}
	return true
}

// Truncate cuts s to at most n bytes at a character boundary: a cut never
// splits a UTF-8 sequence (which would leave invalid text, and a signature
// over the text that the other side cannot reproduce).
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
