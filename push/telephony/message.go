package telephony

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kind says whether a message is a text or a call.
type Kind string

// The kinds of message.
const (
	// SMS is a text message.
	SMS Kind = "sms"
	// Voice is a phone call that reads a script.
	Voice Kind = "voice"
)

// Limits on a message, checked by Validate before any gateway sends it.
const (
	// MaxIDLength bounds a message id, in bytes.
	MaxIDLength = 128
	// MaxBodyLength bounds a text or the words of a call, in bytes (ten
	// concatenated text messages' worth).
	MaxBodyLength = 1600
	// MaxScriptLength bounds a call script, in bytes (what Twilio takes in
	// its Twiml parameter).
	MaxScriptLength = 4000
)

// Message is one text message or call.
type Message struct {
	// ID is the unique id of the message (the server's request or proof id).
	ID string
	// Kind is SMS or Voice.
	Kind Kind
	// To is the number in E.164 form, e.g. "+14155550123".
	To string
	// Body is, for sms, the text; for voice, the words of the call script
	// as plain text (see Script).
	Body string
	// Script is, for voice, the call script (TwiML-style XML), set by
	// NewCall and NewCodeCall; empty for sms.
	Script string
	// Code is the one-time code that Body and Script carry (set by NewText
	// and NewCodeCall; empty for other messages). It is never sent on its
	// own: gateways use it to keep the code out of the errors they return,
	// which go to the server's log and the administrators' console.
	Code string
}

// Gateway sends messages.
type Gateway interface {
	// Send sends m. It returns nil only when the provider accepted it.
	Send(ctx context.Context, m Message) error
	// Describe says in one line what the gateway does, for serve's startup
	// log ("file /x: nothing is really sent"). It never holds a secret.
	Describe() string
}

// Validate checks that m can be sent: a known kind, an id, a number in
// E.164 form, and a body (and, for a call, a script) within the limits.
// Every gateway calls it before sending.
func (m Message) Validate() error {
	if m.Kind != SMS && m.Kind != Voice {
		return fmt.Errorf("message %q: kind %q is neither %q nor %q", limit(m.ID, 40), limit(string(m.Kind), 40), SMS, Voice)
	}
	if m.ID == "" {
		return errors.New("message has no id: give every message the id of the request or proof it serves")
	}
	if len(m.ID) > MaxIDLength {
		return fmt.Errorf("message id is %d bytes long, more than %d", len(m.ID), MaxIDLength)
	}
	for _, c := range []byte(m.ID) {
		if c <= ' ' || c >= 0x7f {
			return fmt.Errorf("message id %q has a character that is not printable ASCII", limit(m.ID, 40))
		}
	}
	to, err := NormalizeE164(m.To)
	if err != nil {
		return fmt.Errorf("message %s: %w", m.ID, err)
	}
	if to != m.To {
		return fmt.Errorf("message %s: the number is not in E.164 form (%s): pass it through NormalizeE164 first", m.ID, to)
	}
	if m.Body == "" {
		return fmt.Errorf("message %s: the body is empty", m.ID)
	}
	if len(m.Body) > MaxBodyLength {
		return fmt.Errorf("message %s: the body is %d bytes long, more than %d", m.ID, len(m.Body), MaxBodyLength)
	}
	if !utf8.ValidString(m.Body) || !utf8.ValidString(m.Script) {
		return fmt.Errorf("message %s: the body or script is not valid UTF-8", m.ID)
	}
	switch {
	case m.Kind == Voice && m.Script == "":
		return fmt.Errorf("message %s: a call needs a script: build it with NewCall or NewCodeCall", m.ID)
	case m.Kind == SMS && m.Script != "":
		return fmt.Errorf("message %s: a text has no script", m.ID)
	case len(m.Script) > MaxScriptLength:
		return fmt.Errorf("message %s: the script is %d bytes long, more than %d", m.ID, len(m.Script), MaxScriptLength)
	}
	return nil
}

// redact returns s with m's code, as it is written and as a call spells it
// out, replaced by [code]: for quoting a provider's answer or a program's
// standard error, which may echo the message, in an error. A code shorter
// than minRedacted is left (the server's codes have 6 digits; taking out
// every "1" of an answer would hide the provider's reason and protect
// nothing).
func (m Message) redact(s string) string {
	if len(m.Code) < minRedacted {
		return s
	}
	s = strings.ReplaceAll(s, spaceOut(m.Code), "[code]")
	return strings.ReplaceAll(s, m.Code, "[code]")
}

// minRedacted is the length of the shortest code redact takes out.
const minRedacted = 4

// payload is what a gateway hands the provider: the text of a text
// message, the script of a call.
func (m Message) payload() string {
	if m.Kind == Voice {
		return m.Script
	}
	return m.Body
}

// limit cuts s to at most n bytes, on a character boundary, for quoting it
// in an error.
func limit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// firstLine is the first line of s, without control characters, at most
// n bytes: a safe snippet of what a program or provider answered.
func firstLine(s string, n int) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return limit(strings.TrimSpace(s), n)
}

// Supports tells whether g can send messages of kind k. A gateway with a
// method Supports(Kind) bool says (a webhook config without voice_body
// makes no calls); any other gateway sends both kinds.
func Supports(g Gateway, k Kind) bool {
	if s, ok := g.(interface{ Supports(Kind) bool }); ok {
		return s.Supports(k)
	}
	return k == SMS || k == Voice
}
