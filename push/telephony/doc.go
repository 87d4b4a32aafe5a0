// Package telephony reaches phones for Countersign's text-message (SMS) and
// phone-call (voice) sign-in methods, through a gateway the administrator
// chooses with countersignd serve's --telephony flag.
//
// A Message is one text or one call. NewText builds the text that carries a
// one-time code; NewCall builds the call that reads the application's name
// and asks the user to press # to approve, or 0 then # to report fraud (as
// the 2013 service did); NewCodeCall builds the call that reads a code to
// prove a phone number. Calls carry a TwiML-style script in Message.Script
// and the same words as plain text in Message.Body.
//
// Three kinds of gateway, chosen by Parse:
//
//   - file:PATH appends every message as one JSON line to PATH (created
//     0600). Nothing is really sent: it is for tests, demos and trying the
//     methods out, and its Describe says so.
//   - exec:PROGRAM runs the administrator's program, without a shell, as
//     PROGRAM +E164 sms|voice, with the message id in the environment
//     variable COUNTERSIGN_MESSAGE_ID and the text (or the call script) on
//     its standard input. Exit status 0 means sent; anything else is an
//     error that quotes the first line of its standard error.
//   - webhook:CONFIG.json sends an HTTP request to a provider (Twilio, a
//     relay of your own...) whose URL, headers and body templates are in the
//     JSON file CONFIG.json; see WebhookConfig. Values put into a body are
//     escaped for its content type, so no message can break the body.
//
// Phone numbers are E.164 ("+14155550123"): NormalizeE164 turns what a person
// types into that form, Country names the country of a number by its calling
// code, and ParseCountries reads an administrator's list of allowed countries.
//
// During a call the gateway (or a relay beside it) reports the keys pressed
// to POST /v1/telephony/callback with a JSON body (see Callback), signed
// with a secret shared with the server: the header
// X-Countersign-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
// "<unix time>.<body>"> (see SignCallback and VerifyCallback).
package telephony
