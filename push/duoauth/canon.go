package duoauth

import (
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// escape percent-encodes s as Duo's clients do (Python's
// urllib.parse.quote(s, '~')): every byte but A-Z a-z 0-9 - _ . ~, in
// upper-case hex, a space as %20.
func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// canonParams is Duo's canonical parameter string: keys and values
// escaped, keys sorted, each key's values sorted, "k=v" joined with "&".
func canonParams(params url.Values) string {
	type kv struct {
		k  string
		vs []string
	}
	keys := make([]kv, 0, len(params))
	for k, vs := range params {
		e := kv{k: escape(k)}
		for _, v := range vs {
			e.vs = append(e.vs, escape(v))
		}
		sort.Strings(e.vs)
		keys = append(keys, e)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].k < keys[j].k })
	var parts []string
	for _, e := range keys {
		for _, v := range e.vs {
			parts = append(parts, e.k+"="+v)
		}
	}
	return strings.Join(parts, "&")
}

// sha512Hex is the hex SHA-512 of b.
func sha512Hex(b []byte) string {
	sum := sha512.Sum512(b)
	return hex.EncodeToString(sum[:])
}

// canonXDuoHeaders is the hex SHA-512 of the request's X-Duo-* headers as
// signature v5 covers them: names in lower case, sorted, each followed by
// its value, all joined with NUL bytes. A header sent twice is refused
// (Duo's clients refuse to send one).
func canonXDuoHeaders(h http.Header) (string, bool) {
	type nv struct{ name, value string }
	var headers []nv
	for name, values := range h {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "x-duo-") {
			continue
		}
		if len(values) != 1 || strings.ContainsRune(values[0], 0) {
			return "", false
		}
		headers = append(headers, nv{lower, values[0]})
	}
	sort.Slice(headers, func(i, j int) bool { return headers[i].name < headers[j].name })
	parts := make([]string, 0, 2*len(headers))
	for _, e := range headers {
		parts = append(parts, e.name, e.value)
	}
	return sha512Hex([]byte(strings.Join(parts, "\x00"))), true
}

// canonical is the text that version v of Duo's signatures covers.
// Version 2 covers the date, method, host, path and parameters; version 4
// adds the SHA-512 of the body; version 5 the SHA-512 of the X-Duo-*
// headers too.
func canonical(v int, date, method, host, path string, params url.Values, body []byte, xduo string) string {
	lines := []string{date, strings.ToUpper(method), strings.ToLower(host), path, canonParams(params)}
	if v >= 4 {
		lines = append(lines, sha512Hex(body))
	}
	if v >= 5 {
		lines = append(lines, xduo)
	}
	return strings.Join(lines, "\n")
}
