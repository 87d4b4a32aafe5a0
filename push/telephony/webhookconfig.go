package telephony

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"
)

// Bounds and defaults of a webhook config.
const (
	maxWebhookConfig      = 64 << 10
	defaultWebhookTimeout = 10 * time.Second
	maxWebhookTimeout     = 2 * time.Minute
	defaultWebhookRetries = 2
	maxWebhookRetries     = 5
)

// WebhookConfig is the JSON file named by --telephony webhook:CONFIG.json.
// Unknown fields are refused, so a misspelt field does not go unnoticed.
//
// The bodies are Go text/template templates. A value put into a body is
// already escaped for the content type, and cannot be had unescaped: with
// "json", {{.To}} renders a whole JSON string, quotes included
// ("+14155550123"), so a body reads {"to":{{.To}},"text":{{.Body}}}; with
// "form", {{.To}} renders %2B14155550123, so a body reads
// To={{.To}}&Body={{.Body}}. The values are .ID, .Kind ("sms" or "voice"),
// .To, .Body (the text, or the words of a call) and .Script (a call's
// TwiML-style script); {{env `NAME`}} renders the environment variable
// NAME, escaped the same way.
//
// url, voice_url, the header values and basic_auth may hold ${NAME}, which
// is replaced by the environment variable NAME when the config is read, so
// that secrets need not sit in the file. A variable that is not set, or is
// empty, is an error.
type WebhookConfig struct {
	// Method is POST (the default), PUT or PATCH.
	Method string `json:"method"`
	// URL receives the texts, and the calls too unless VoiceURL is set. It
	// is https, or http to a loopback address only.
	URL string `json:"url"`
	// VoiceURL, if set, receives the calls.
	VoiceURL string `json:"voice_url"`
	// Headers are added to every request. Content-Type, Content-Length,
	// Host and Transfer-Encoding are set by the gateway and refused here.
	Headers map[string]string `json:"headers"`
	// BasicAuth, if set, adds an Authorization: Basic header.
	BasicAuth *BasicAuth `json:"basic_auth"`
	// ContentType is "json" or "form" (application/x-www-form-urlencoded).
	ContentType string `json:"content_type"`
	// SMSBody is the template of a text's body; without it, texts are
	// refused.
	SMSBody string `json:"sms_body"`
	// VoiceBody is the template of a call's body; without it, calls are
	// refused.
	VoiceBody string `json:"voice_body"`
	// SuccessStatus lists the HTTP statuses that mean accepted; empty
	// means any 2xx.
	SuccessStatus []int `json:"success_status"`
	// SuccessMatch, if set, must be found in the response body for the
	// message to count as accepted: a substring, or, written between
	// slashes (/"status":"(queued|sent)"/), a regular expression.
	SuccessMatch string `json:"success_match"`
	// Timeout bounds each attempt ("10s" by default, at most "2m").
	Timeout string `json:"timeout"`
	// Retries is how many times a failed attempt is tried again (2 by
	// default, at most 5), after a network error or a 5xx answer only.
	Retries *int `json:"retries"`
}

// BasicAuth is a user name and password for HTTP basic authentication,
// like Twilio's account SID and auth token.
type BasicAuth struct {
	// User is the user name.
	User string `json:"user"`
	// Password is the password.
	Password string `json:"password"`
}

// reservedHeaders are set by the gateway itself.
var reservedHeaders = []string{"Content-Type", "Content-Length", "Host", "Transfer-Encoding"}

// envRef is a ${NAME} reference to an environment variable.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// parseWebhookConfig reads and checks a webhook config, looking up the
// environment with getenv, and builds the gateway. Every error names the
// field that is wrong.
func parseWebhookConfig(data []byte, getenv func(string) (string, bool)) (*webhookGateway, error) {
	if len(data) > maxWebhookConfig {
		return nil, fmt.Errorf("%d bytes, more than %d", len(data), maxWebhookConfig)
	}
	var c WebhookConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("not a valid config: %w (the fields are method, url, voice_url, headers, basic_auth, content_type, sms_body, voice_body, success_status, success_match, timeout, retries)", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not a valid config: more than one JSON value in the file")
	}
	g := &webhookGateway{getenv: getenv, backoff: 250 * time.Millisecond, client: newWebhookClient(), rawURL: c.URL, rawVoiceURL: c.VoiceURL}
	var err error
	if g.method, err = checkMethod(c.Method); err != nil {
		return nil, err
	}
	if g.url, err = checkURL("url", c.URL, getenv); err != nil {
		return nil, err
	}
	g.voiceURL = g.url
	if c.VoiceURL != "" {
		if c.VoiceBody == "" {
			return nil, errors.New("field voice_url: set, but there is no voice_body to send to it")
		}
		if g.voiceURL, err = checkURL("voice_url", c.VoiceURL, getenv); err != nil {
			return nil, err
		}
	}
	if g.header, err = checkHeaders(c.Headers, c.BasicAuth, getenv); err != nil {
		return nil, err
	}
	switch c.ContentType {
	case "json":
		g.contentType, g.escape = "application/json", jsonString
	case "form":
		g.contentType, g.escape = "application/x-www-form-urlencoded", url.QueryEscape
	default:
		return nil, fmt.Errorf("field content_type: %q; want \"json\" or \"form\"", limit(c.ContentType, 40))
	}
	if c.SMSBody == "" && c.VoiceBody == "" {
		return nil, errors.New("fields sms_body and voice_body: both empty; give the template of at least one")
	}
	if g.smsBody, err = g.checkTemplate("sms_body", c.SMSBody, c.ContentType); err != nil {
		return nil, err
	}
	if g.voiceBody, err = g.checkTemplate("voice_body", c.VoiceBody, c.ContentType); err != nil {
		return nil, err
	}
	for _, s := range c.SuccessStatus {
		if s < 100 || s > 599 {
			return nil, fmt.Errorf("field success_status: %d is not an HTTP status (100 to 599)", s)
		}
	}
	g.success = c.SuccessStatus
	if g.match, g.matchRE, err = checkMatch(c.SuccessMatch); err != nil {
		return nil, err
	}
	g.timeout = defaultWebhookTimeout
	if c.Timeout != "" {
		if g.timeout, err = time.ParseDuration(c.Timeout); err != nil || g.timeout <= 0 || g.timeout > maxWebhookTimeout {
			return nil, fmt.Errorf("field timeout: %q; want a duration above 0 and at most %s, like \"10s\"", limit(c.Timeout, 40), maxWebhookTimeout)
		}
	}
	g.retries = defaultWebhookRetries
	if c.Retries != nil {
		if *c.Retries < 0 || *c.Retries > maxWebhookRetries {
			return nil, fmt.Errorf("field retries: %d; want 0 to %d", *c.Retries, maxWebhookRetries)
		}
		g.retries = *c.Retries
	}
	return g, nil
}

// checkMethod upper-cases a method and checks it is one that carries a body.
func checkMethod(method string) (string, error) {
	if method == "" {
		return http.MethodPost, nil
	}
	m := strings.ToUpper(method)
	if m != http.MethodPost && m != http.MethodPut && m != http.MethodPatch {
		return "", fmt.Errorf("field method: %q; want POST, PUT or PATCH", limit(method, 20))
	}
	return m, nil
}

// expandEnv replaces every ${NAME} in s by the environment variable NAME.
func expandEnv(field, s string, getenv func(string) (string, bool)) (string, error) {
	var missing string
	out := envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v, ok := getenv(name)
		if (!ok || v == "") && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("field %s: the environment variable %s is not set or is empty; set it before starting the server", field, missing)
	}
	return out, nil
}

// checkURL expands a URL's ${NAME}s and checks that it is https, or http
// to a loopback address, with no credentials in it.
func checkURL(field, raw string, getenv func(string) (string, bool)) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("field %s: empty; give the provider's URL, like https://api.example/send", field)
	}
	s, err := expandEnv(field, raw, getenv)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("field %s: not a URL: %w", field, err)
	}
	switch {
	case u.Host == "":
		return "", fmt.Errorf("field %s: no host; give an absolute URL, like https://api.example/send", field)
	case u.User != nil:
		return "", fmt.Errorf("field %s: has a user name or password in it; use basic_auth instead", field)
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		return "", fmt.Errorf("field %s: http is only for a provider on this machine (loopback); use https", field)
	default:
		return "", fmt.Errorf("field %s: scheme %q; want https", field, limit(u.Scheme, 20))
	}
	return s, nil
}

// isLoopback tells whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkHeaders expands and checks the headers and basic_auth.
func checkHeaders(headers map[string]string, basic *BasicAuth, getenv func(string) (string, bool)) (http.Header, error) {
	h := http.Header{}
	for name, raw := range headers {
		field := "headers." + limit(name, 40)
		if !validHeaderName(name) {
			return nil, fmt.Errorf("field %s: not a valid header name", field)
		}
		canonical := http.CanonicalHeaderKey(name)
		if slices.Contains(reservedHeaders, canonical) {
			return nil, fmt.Errorf("field %s: set by the gateway itself (use content_type for Content-Type)", field)
		}
		if canonical == "Authorization" && basic != nil {
			return nil, fmt.Errorf("field %s: basic_auth is set too; keep one", field)
		}
		v, err := expandEnv(field, raw, getenv)
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("field %s: the value has a line break or NUL", field)
		}
		h.Set(canonical, v)
	}
	if basic != nil {
		user, err := expandEnv("basic_auth.user", basic.User, getenv)
		if err != nil {
			return nil, err
		}
		password, err := expandEnv("basic_auth.password", basic.Password, getenv)
		if err != nil {
			return nil, err
		}
		if user == "" || strings.Contains(user, ":") {
			return nil, errors.New("field basic_auth.user: empty or has a colon")
		}
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
		r.SetBasicAuth(user, password)
		h.Set("Authorization", r.Header.Get("Authorization"))
	}
	return h, nil
}

// validHeaderName tells whether name is an HTTP token (RFC 9110).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// checkMatch reads success_match: a substring, or /a regular expression/.
func checkMatch(s string) (string, *regexp.Regexp, error) {
	if len(s) > 1000 {
		return "", nil, errors.New("field success_match: more than 1000 bytes")
	}
	if len(s) >= 2 && s[0] == '/' && s[len(s)-1] == '/' {
		re, err := regexp.Compile(s[1 : len(s)-1])
		if err != nil {
			return "", nil, fmt.Errorf("field success_match: not a valid regular expression: %w", err)
		}
		return "", re, nil
	}
	return s, nil, nil
}

// sampleMessages are what a body template is tried with when the config is
// read: every character that needs escaping in JSON or a form.
var sampleMessages = []Message{
	NewText("sample-1", "+14155550123", "123456", "A \"quoted\" \\ app </script> {{.To}} & co=1&x=%20"),
	NewCall("sample-2", "+14155550123", "A \"quoted\" \\ app </script> {{.To}} & co=1&x=%20"),
}

// checkTemplate parses a body template and renders it with sample
// messages, checking that the result is valid for the content type.
func (g *webhookGateway) checkTemplate(field, src, contentType string) (*template.Template, error) {
	if src == "" {
		return nil, nil
	}
	t, err := template.New(field).Funcs(template.FuncMap{"env": g.env}).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("field %s: not a valid template: %w", field, err)
	}
	for _, m := range sampleMessages {
		body, err := g.render(t, m)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w (the values are .ID, .Kind, .To, .Body and .Script, and env `NAME`)", field, err)
		}
		switch contentType {
		case "json":
			if !json.Valid(body) {
				return nil, fmt.Errorf("field %s: does not give valid JSON; note that {{.Body}} and the others give a whole JSON string, quotes included: write \"text\":{{.Body}}, not \"text\":\"{{.Body}}\"", field)
			}
		case "form":
			if _, err := url.ParseQuery(string(body)); err != nil {
				return nil, fmt.Errorf("field %s: does not give a valid form: %w", field, err)
			}
		}
	}
	return t, nil
}

// templateData is what a body template sees: every value already escaped
// for the content type.
type templateData struct {
	ID, Kind, To, Body, Script string
}

// render executes a body template for m, every value escaped.
func (g *webhookGateway) render(t *template.Template, m Message) ([]byte, error) {
	var b bytes.Buffer
	data := templateData{ID: g.escape(m.ID), Kind: g.escape(string(m.Kind)), To: g.escape(m.To), Body: g.escape(m.Body), Script: g.escape(m.Script)}
	if err := t.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// env is the template function {{env `NAME`}}: the environment variable
// NAME, looked up when the body is rendered, escaped.
func (g *webhookGateway) env(name string) (string, error) {
	v, ok := g.getenv(name)
	if !ok || v == "" {
		return "", fmt.Errorf("the environment variable %s is not set or is empty", limit(name, 40))
	}
	return g.escape(v), nil
}

// jsonString is s as a JSON string literal, quotes included; <, > and &
// are escaped too.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
