package telephony

import (
	"strings"
	"unicode"
)

// The longest application name said in a call or written in a text, in
// characters; a longer one is cut and ends with "…".
const (
	maxCallName = 60
	maxTextName = 40
)

// The keys of a call made by NewCall, as the gateway reports them in a
// Callback's Digits.
const (
	// DigitsApprove is what the user presses to approve: # alone.
	DigitsApprove = "#"
	// DigitsFraud is what the user presses to report fraud: 0 then #.
	DigitsFraud = "0#"
)

// NewCall builds the call that asks the user to approve a sign-in to
// application: the script reads the application's name, then gathers keys
// (# approves; 0 then # reports fraud, as the 2013 service did). The name
// is cleaned of control characters, cut to 60 characters and XML-escaped.
func NewCall(id, to, application string) Message {
	name := cleanName(application, maxCallName)
	intro := "This is Countersign. A sign-in is waiting for your approval."
	if name != "" {
		intro = "This is Countersign. A sign-in to " + name + " is waiting for your approval."
	}
	ask := "To approve it, press pound. If you did not try to sign in, press zero, then pound, to report fraud."
	end := "No key was pressed. The sign-in was not approved. Goodbye."
	script := "<Response><Say>" + xmlText(intro) + "</Say>" +
		`<Gather numDigits="2" finishOnKey="#" timeout="15"><Say>` + xmlText(ask) + "</Say></Gather>" +
		"<Say>" + xmlText(end) + "</Say></Response>"
	return Message{ID: id, Kind: Voice, To: to, Body: intro + " " + ask + " " + end, Script: script}
}

// NewCodeCall builds the call that reads a one-time code to prove a phone
// number: the digits spaced out ("1, 2, 3, 4, 5, 6"), said twice. Only the
// letters and digits of code are read.
func NewCodeCall(id, to, code, application string) Message {
	name := cleanName(application, maxCallName)
	spaced := spaceOut(code)
	first := "This is Countersign. Your code is: " + spaced + "."
	if name != "" {
		first = "This is Countersign. Your code for " + name + " is: " + spaced + "."
	}
	again := "Again, your code is: " + spaced + ". Goodbye."
	script := "<Response><Say>" + xmlText(first) + `</Say><Pause length="1"/><Say>` + xmlText(again) + "</Say></Response>"
	return Message{ID: id, Kind: Voice, To: to, Body: first + " " + again, Script: script, Code: keepAlnum(code)}
}

// NewText builds the text message that carries a sign-in code:
// "123456 is your Payroll sign-in code. It expires in 5 minutes. Do not
// share it." The application's name is cleaned of control characters and
// cut to 40 characters, so the text fits in one message.
func NewText(id, to, code, application string) Message {
	name := cleanName(application, maxTextName)
	code = keepAlnum(code)
	body := code + " is your sign-in code. It expires in 5 minutes. Do not share it."
	if name != "" {
		body = code + " is your " + name + " sign-in code. It expires in 5 minutes. Do not share it."
	}
	return Message{ID: id, Kind: SMS, To: to, Body: body, Code: code} // code is keepAlnum'd above
}

// cleanName makes a name safe to say or text: control and format
// characters (bidirectional overrides among them) and invalid bytes go,
// every run of white space becomes one space, and a name longer than max
// characters is cut and ends with "…".
func cleanName(s string, max int) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp):
			space = b.Len() > 0
			continue
		case r == unicode.ReplacementChar || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) || r == 0xFFFE || r == 0xFFFF:
			continue
		}
		if n == max {
			b.WriteString("…")
			return b.String()
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// keepAlnum keeps the ASCII letters and digits of a code, at most 16.
func keepAlnum(code string) string {
	var b strings.Builder
	for i := 0; i < len(code) && b.Len() < 16; i++ {
		c := code[i]
		if c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// spaceOut writes a code's characters apart, "1, 2, 3", so that a voice
// reads them one by one.
func spaceOut(code string) string {
	code = keepAlnum(code)
	parts := make([]string, len(code))
	for i := range code {
		parts[i] = code[i : i+1]
	}
	return strings.Join(parts, ", ")
}

// xmlEscaper escapes text for an XML element's content or attribute.
var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

// xmlText escapes s for a script.
func xmlText(s string) string { return xmlEscaper.Replace(s) }
