package main

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/term"
)

// maxStdinURI bounds what `add -` and `activate -` read: a Google
// Authenticator export of many accounts is a few kilobytes.
const maxStdinURI = 1 << 20

// uriFromStdin reads the one URI of `add -` or `activate -` from standard
// input, so that its secret is never in argv (which any user can read in
// /proc or ps). Surrounding whitespace and the trailing newline are trimmed;
// empty input and more than one line are errors. On a terminal it asks for
// the URI and reads it without echo.
func (c *cli) uriFromStdin(cmd string) (string, error) {
	if c.stdin == nil {
		return "", fmt.Errorf("%s -: there is no standard input to read the URI from", cmd)
	}
	var text string
	if term.IsTerminal(int(c.stdin.Fd())) {
		fmt.Fprint(c.stderr, "Paste the URI, then press Enter: ")
		b, err := term.ReadPassword(int(c.stdin.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("%s -: reading the URI from the terminal: %w", cmd, err)
		}
		text = string(b)
	} else {
		b, err := io.ReadAll(io.LimitReader(c.stdin, maxStdinURI+1))
		if err != nil {
			return "", fmt.Errorf("%s -: reading the URI from standard input: %w", cmd, err)
		}
		if len(b) > maxStdinURI {
			return "", fmt.Errorf("%s -: standard input is larger than %d bytes; give one URI", cmd, maxStdinURI)
		}
		text = string(b)
	}
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", fmt.Errorf("%s -: standard input is empty; give the URI on it, e.g. countersign %s - < uri.txt", cmd, cmd)
	case strings.ContainsAny(text, "\r\n"):
		return "", fmt.Errorf("%s -: standard input holds more than one line; give one URI", cmd)
	}
	return text, nil
}

// stdinArgs replaces the argument "-" of pos by the URI read from standard
// input. "-" may be given once: standard input is read once.
func (c *cli) stdinArgs(cmd string, pos []string) ([]string, error) {
	n := 0
	for _, p := range pos {
		if p == "-" {
			n++
		}
	}
	if n == 0 {
		return pos, nil
	}
	if n > 1 {
		return nil, usageErrorf("%s: give - once (standard input holds one URI)", cmd)
	}
	out := make([]string, 0, len(pos))
	for _, p := range pos {
		if p == "-" {
			uri, err := c.uriFromStdin(cmd)
			if err != nil {
				return nil, err
			}
			p = uri
		}
		out = append(out, p)
	}
	return out, nil
}
