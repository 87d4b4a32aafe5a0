package telephony

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"
)

// maxWebhookResponse bounds how much of a provider's answer is read.
const maxWebhookResponse = 64 << 10

// webhookGateway sends each message as an HTTP request to a provider, as
// its WebhookConfig says.
type webhookGateway struct {
	source              string // the config file, for Describe
	rawURL, rawVoiceURL string // as written, ${NAME}s unexpanded: safe to show
	method              string
	url, voiceURL       string
	header              http.Header
	contentType         string
	escape              func(string) string
	smsBody, voiceBody  *template.Template
	success             []int
	match               string
	matchRE             *regexp.Regexp
	timeout             time.Duration
	retries             int
	backoff             time.Duration
	client              *http.Client
	getenv              func(string) (string, bool)
}

// newWebhookClient is an HTTP client that does not follow redirects: a
// provider that moves must be configured anew.
func newWebhookClient() *http.Client {
	return &http.Client{
		Transport:     http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Supports tells whether the config can send messages of kind k: it has
// sms_body for texts, voice_body for calls.
func (g *webhookGateway) Supports(k Kind) bool {
	return k == SMS && g.smsBody != nil || k == Voice && g.voiceBody != nil
}

// Send renders the body of m and sends it, trying again after a network
// error or a 5xx answer (g.retries times at most, waiting a little longer
// each time), never after another answer.
func (g *webhookGateway) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	tmpl, target, shown := g.smsBody, g.url, g.rawURL
	if m.Kind == Voice {
		tmpl, target = g.voiceBody, g.voiceURL
		if g.rawVoiceURL != "" {
			shown = g.rawVoiceURL
		}
	}
	if tmpl == nil {
		field := "sms_body"
		if m.Kind == Voice {
			field = "voice_body"
		}
		return fmt.Errorf("telephony webhook: message %s not sent: the config has no %s, so it cannot send a %s message; add %s to %s", m.ID, field, m.Kind, field, g.source)
	}
	body, err := g.render(tmpl, m)
	if err != nil {
		return fmt.Errorf("telephony webhook: message %s not sent: rendering the body: %w", m.ID, err)
	}
	var last error
	attempts := 0
	for attempts <= g.retries {
		if attempts > 0 {
			wait := g.backoff << (attempts - 1)
			select {
			case <-ctx.Done():
				return fmt.Errorf("telephony webhook: message %s not sent to %s: %w; before that: %w", m.ID, redactURL(shown), ctx.Err(), last)
			case <-time.After(wait):
			}
		}
		attempts++
		retry, err := g.try(ctx, m, target, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("telephony webhook: message %s not sent to %s (%d attempts): %w", m.ID, redactURL(shown), attempts, last)
}

// try makes one request of m; it says whether a failure is worth trying
// again. The provider's answer, quoted in the error, has m's code taken out
// (providers echo the message they were given).
func (g *webhookGateway) try(ctx context.Context, m Message, target string, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, g.method, target, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	for k, v := range g.header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", g.contentType)
	resp, err := g.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its message would repeat the URL, secrets and all
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %s: %w", g.timeout, ctx.Err())
		}
		var cert *tls.CertificateVerificationError
		return !errors.As(err, &cert), err
	}
	defer resp.Body.Close()
	answer, rerr := io.ReadAll(io.LimitReader(resp.Body, maxWebhookResponse))
	if rerr != nil {
		return true, fmt.Errorf("reading the %s answer: %w", resp.Status, rerr)
	}
	quoted := snippet([]byte(m.redact(string(answer))))
	if !g.accepted(resp.StatusCode) {
		return resp.StatusCode >= 500, fmt.Errorf("the provider answered %s: %s", resp.Status, quoted)
	}
	switch {
	case g.matchRE != nil && !g.matchRE.Match(answer):
		return false, fmt.Errorf("the provider answered %s but its body does not match success_match /%s/: %s", resp.Status, g.matchRE, quoted)
	case g.match != "" && !bytes.Contains(answer, []byte(g.match)):
		return false, fmt.Errorf("the provider answered %s but its body does not contain success_match %q: %s", resp.Status, g.match, quoted)
	}
	return false, nil
}

// accepted tells whether status means the provider took the message.
func (g *webhookGateway) accepted(status int) bool {
	if len(g.success) == 0 {
		return status >= 200 && status <= 299
	}
	return slices.Contains(g.success, status)
}

// Describe names the config, the URLs as written (${NAME}s unexpanded,
// query values hidden) and the header names, never their values.
func (g *webhookGateway) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "webhook %s:", g.source)
	if g.smsBody != nil {
		fmt.Fprintf(&b, " texts %s %s", g.method, redactURL(g.rawURL))
	}
	if g.voiceBody != nil {
		voice := g.rawURL
		if g.rawVoiceURL != "" {
			voice = g.rawVoiceURL
		}
		if g.smsBody != nil {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " calls %s %s", g.method, redactURL(voice))
	}
	names := make([]string, 0, len(g.header))
	for k := range g.header {
		names = append(names, k)
	}
	slices.Sort(names)
	fmt.Fprintf(&b, " (%s", strings.TrimPrefix(g.contentType, "application/"))
	if len(names) > 0 {
		fmt.Fprintf(&b, ", headers %s, values hidden", strings.Join(names, ", "))
	}
	fmt.Fprintf(&b, ", timeout %s, %d retries)", g.timeout, g.retries)
	return b.String()
}

// redactURL shows a URL as written in the config, without its fragment
// and with its query values hidden ("?key=…"): only ${NAME}s, never their
// values, and no key passed in a query.
func redactURL(raw string) string {
	raw, _, _ = strings.Cut(raw, "#")
	base, query, found := strings.Cut(raw, "?")
	if !found || query == "" {
		return base
	}
	var keys []string
	for _, part := range strings.Split(query, "&") {
		if k, _, _ := strings.Cut(part, "="); k != "" {
			keys = append(keys, k+"=…")
		}
	}
	return base + "?" + strings.Join(keys, "&")
}

// snippet is a bounded, single-line piece of a provider's answer for an
// error message.
func snippet(answer []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(answer[:min(len(answer), 1024)]), "")), " ")
	s = firstLine(s, 200)
	if s == "" {
		return "(empty body)"
	}
	return s
}
