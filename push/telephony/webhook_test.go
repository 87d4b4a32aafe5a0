package telephony

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// provider is an HTTP server on loopback that stands in for an SMS and
// voice provider (none is reachable from the tests): it records every
// request and answers with what answer says for the n-th hit.
type provider struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	answer   func(n int, w http.ResponseWriter, r *http.Request)
}

// recorded is one request the provider received.
type recorded struct {
	method, path, rawQuery, contentType, auth string
	header                                    http.Header
	body                                      string
}

func newProvider(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *provider {
	p := &provider{answer: answer}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.requests = append(p.requests, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), r.Header.Clone(), string(body)})
		n := len(p.requests)
		p.mu.Unlock()
		p.answer(n, w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// hits is how many requests the provider received.
func (p *provider) hits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.requests)
}

// last is the last request the provider received.
func (p *provider) last() recorded {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[len(p.requests)-1]
}

// accept answers 201 {"accepted":true}.
func accept(_ int, w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, `{"accepted":true}`)
}

// env is a fixed environment for the configs of the tests.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
}

var testEnv = env(map[string]string{"TOKEN": "s3cr3t-token", "SENDER": "+15005550006", "KEY": "query-secret"})

// gateway builds a webhook gateway from a config whose URLs are relative
// to the provider's (written {{P}}).
func gateway(t *testing.T, p *provider, config string) *webhookGateway {
	t.Helper()
	g, err := parseWebhookConfig([]byte(strings.ReplaceAll(config, "{{P}}", p.URL)), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	g.source = "test.json"
	g.backoff = 10 * time.Millisecond
	return g
}

const jsonConfig = `{"url":"{{P}}/send","headers":{"Authorization":"Bearer ${TOKEN}"},"content_type":"json",
	"sms_body":"{\"to\":{{.To}},\"text\":{{.Body}},\"id\":{{.ID}},\"from\":{{env ` + "`SENDER`" + `}}}",
	"voice_body":"{\"to\":{{.To}},\"twiml\":{{.Script}},\"kind\":{{.Kind}}}","voice_url":"{{P}}/call",
	"success_status":[200,201],"timeout":"2s","retries":2}`

func TestWebhookSendsRenderedBody(t *testing.T) {
	p := newProvider(t, accept)
	g := gateway(t, p, jsonConfig)
	if err := g.Send(context.Background(), NewText("req-1", "+14155550123", "123456", "Payroll")); err != nil {
		t.Fatal(err)
	}
	r := p.last()
	want := `{"to":"+14155550123","text":"123456 is your Payroll sign-in code. It expires in 5 minutes. Do not share it.","id":"req-1","from":"+15005550006"}`
	if r.body != want || r.method != "POST" || r.path != "/send" || r.contentType != "application/json" || r.auth != "Bearer s3cr3t-token" {
		t.Errorf("received %+v\nwant body %s", r, want)
	}
	if err := g.Send(context.Background(), NewCall("req-2", "+14155550123", "Payroll")); err != nil {
		t.Fatal(err)
	}
	r = p.last()
	want = `{"to":"+14155550123","twiml":"\u003cResponse\u003e\u003cSay\u003eThis is Countersign. A sign-in to Payroll is waiting for your approval.\u003c/Say\u003e` +
		`\u003cGather numDigits=\"2\" finishOnKey=\"#\" timeout=\"15\"\u003e\u003cSay\u003eTo approve it, press pound. If you did not try to sign in, press zero, then pound, to report fraud.\u003c/Say\u003e\u003c/Gather\u003e` +
		`\u003cSay\u003eNo key was pressed. The sign-in was not approved. Goodbye.\u003c/Say\u003e\u003c/Response\u003e","kind":"voice"}`
	if r.body != want || r.path != "/call" {
		t.Errorf("call received %s %s\nwant %s", r.path, r.body, want)
	}
	if p.hits() != 2 {
		t.Errorf("%d hits, want 2", p.hits())
	}
}

func TestWebhookJSONEscapesHostileValues(t *testing.T) {
	var got map[string]string
	p := newProvider(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		accept(0, w, r)
	})
	g := gateway(t, p, jsonConfig)
	hostile := "Evil\" , \"to\":\"+19005550000\" \\\" \\u0022 </script><script>alert(1)</script>\n\r\t{{.To}} {{env `TOKEN`}} \u2028\u2029 ünïcødé 🙂"
	for _, m := range []Message{
		{ID: "req-1", Kind: SMS, To: "+14155550123", Body: hostile},
		NewText("req-2", "+14155550123", "123456", hostile),
	} {
		if err := g.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		body := p.last().body
		got = nil
		dec := json.NewDecoder(strings.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("the provider got invalid JSON: %v\n%s", err, body)
		}
		if got["text"] != m.Body || got["to"] != "+14155550123" || got["id"] != m.ID || len(got) != 4 {
			t.Errorf("the provider decoded %q\nwant text %q", got, m.Body)
		}
		if strings.Contains(body, "s3cr3t") || strings.Contains(body, "</") {
			t.Errorf("body leaks or breaks out: %s", body)
		}
	}
}

func TestWebhookForm(t *testing.T) {
	p := newProvider(t, accept)
	g := gateway(t, p, `{"url":"{{P}}/Messages.json","basic_auth":{"user":"AC123","password":"${TOKEN}"},"content_type":"form",
		"sms_body":"To={{.To}}&From={{env `+"`SENDER`"+`}}&Body={{.Body}}","voice_body":"To={{.To}}&Twiml={{.Script}}"}`)
	body := "Code 123456 & more=yes?%20 +1 ü\n{{.To}}"
	if err := g.Send(context.Background(), Message{ID: "req-1", Kind: SMS, To: "+14155550123", Body: body}); err != nil {
		t.Fatal(err)
	}
	r := p.last()
	want := "To=%2B14155550123&From=%2B15005550006&Body=Code+123456+%26+more%3Dyes%3F%2520+%2B1+%C3%BC%0A%7B%7B.To%7D%7D"
	if r.body != want || r.contentType != "application/x-www-form-urlencoded" {
		t.Errorf("received %s (%s)\nwant %s", r.body, r.contentType, want)
	}
	form, err := url.ParseQuery(r.body)
	if err != nil || form.Get("Body") != body || form.Get("To") != "+14155550123" || len(form) != 3 {
		t.Errorf("the provider decoded %q, %v", form, err)
	}
	if user, pass, ok := (&http.Request{Header: r.header}).BasicAuth(); !ok || user != "AC123" || pass != "s3cr3t-token" {
		t.Errorf("basic auth = %q %q %v", user, pass, ok)
	}
	call := NewCall("req-2", "+14155550123", "A&B")
	if err := g.Send(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	form, err = url.ParseQuery(p.last().body)
	if err != nil || form.Get("Twiml") != call.Script {
		t.Errorf("Twiml = %q, %v; want %q", form.Get("Twiml"), err, call.Script)
	}
}

func TestWebhookRetriesA5xx(t *testing.T) {
	p := newProvider(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			http.Error(w, "upstream busy", http.StatusServiceUnavailable)
			return
		}
		accept(n, w, r)
	})
	g := gateway(t, p, jsonConfig)
	if err := g.Send(context.Background(), NewText("req-1", "+14155550123", "1", "")); err != nil {
		t.Fatal(err)
	}
	if p.hits() != 2 {
		t.Errorf("%d hits, want 2", p.hits())
	}
	if p.requests[0].body != p.requests[1].body {
		t.Error("the retry sent another body")
	}
}

func TestWebhookGivesUpAfterRetries(t *testing.T) {
	p := newProvider(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "<html>\n  <body>Bad gateway</body>\n</html>", http.StatusBadGateway)
	})
	g := gateway(t, p, jsonConfig)
	err := g.Send(context.Background(), NewText("req-1", "+14155550123", "1", ""))
	want := "telephony webhook: message req-1 not sent to " + p.URL + "/send (3 attempts): the provider answered 502 Bad Gateway: <html> <body>Bad gateway</body> </html>"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if p.hits() != 3 {
		t.Errorf("%d hits, want 3 (1 and 2 retries)", p.hits())
	}
}

func TestWebhookDoesNotRetryA4xx(t *testing.T) {
	p := newProvider(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"code": 21211, "message": "The 'To' number is not a valid phone number.", "more_info": "`+strings.Repeat("x", 500)+`"}`)
	})
	g := gateway(t, p, jsonConfig)
	err := g.Send(context.Background(), NewText("req-1", "+14155550123", "1", ""))
	if err == nil || !strings.Contains(err.Error(), `(1 attempts): the provider answered 400 Bad Request: {"code": 21211, "message": "The 'To' number is not a valid phone number."`) || !strings.HasSuffix(err.Error(), "…") || len(err.Error()) > 400 {
		t.Errorf("err = %v", err)
	}
	if p.hits() != 1 {
		t.Errorf("%d hits, want 1", p.hits())
	}
}

func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	p := newProvider(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	g := gateway(t, p, jsonConfig)
	err := g.Send(context.Background(), NewText("req-1", "+14155550123", "1", ""))
	if err == nil || !strings.Contains(err.Error(), "answered 302 Found") || p.hits() != 1 {
		t.Errorf("err = %v, %d hits", err, p.hits())
	}
}

func TestWebhookTimeout(t *testing.T) {
	p := newProvider(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		accept(0, w, r)
	})
	g := gateway(t, p, strings.Replace(strings.Replace(jsonConfig, `"2s"`, `"150ms"`, 1), `"retries":2`, `"retries":0`, 1))
	start := time.Now()
	err := g.Send(context.Background(), NewText("req-1", "+14155550123", "1", ""))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Send took %s with a 150ms timeout", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "(1 attempts): no answer within 150ms") {
		t.Errorf("err = %v", err)
	}
	if p.hits() != 1 {
		t.Errorf("%d hits, want 1", p.hits())
	}
}

func TestWebhookSuccessMatch(t *testing.T) {
	p := newProvider(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"accepted":false,"reason":"blocked destination"}`)
	})
	for _, tc := range []struct{ match, want string }{
		{`"accepted":true`, `the provider answered 200 OK but its body does not contain success_match "\"accepted\":true": {"accepted":false,"reason":"blocked destination"}`},
		{`/"accepted":\s*true/`, `the provider answered 200 OK but its body does not match success_match /"accepted":\s*true/: {"accepted":false`},
	} {
		config := strings.Replace(jsonConfig, `"timeout"`, `"success_match":`+jsonString(tc.match)+`,"timeout"`, 1)
		g := gateway(t, p, config)
		before := p.hits()
		err := g.Send(context.Background(), NewText("req-1", "+14155550123", "1", ""))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("match %s: err = %v\nwant %s", tc.match, err, tc.want)
		}
		if p.hits() != before+1 {
			t.Errorf("match %s: %d hits, want 1 (no retry)", tc.match, p.hits()-before)
		}
	}
	ok := gateway(t, p, strings.Replace(jsonConfig, `"timeout"`, `"success_match":"/blocked|queued/","timeout"`, 1))
	if err := ok.Send(context.Background(), NewText("req-1", "+14155550123", "1", "")); err != nil {
		t.Errorf("a matching body refused: %v", err)
	}
}

func TestWebhookNetworkErrorHidesSecrets(t *testing.T) {
	p := newProvider(t, accept)
	g := gateway(t, p, `{"url":"{{P}}/send?key=${KEY}&v=1","headers":{"X-Api-Key":"${TOKEN}"},"content_type":"json","sms_body":"{\"text\":{{.Body}}}","retries":1}`)
	p.Close() // the provider is gone: connection refused
	err := g.Send(context.Background(), NewText("req-1", "+14155550123", "1", ""))
	if err == nil || !strings.Contains(err.Error(), "not sent to "+p.URL+"/send?key=…&v=… (2 attempts): ") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err = %v", err)
	}
	if strings.Contains(err.Error(), "query-secret") || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("the error holds a secret: %v", err)
	}
	d := g.Describe()
	if want := "webhook test.json: texts POST " + p.URL + "/send?key=…&v=… (json, headers X-Api-Key, values hidden, timeout 10s, 1 retries)"; d != want {
		t.Errorf("Describe = %s\nwant %s", d, want)
	}
}

func TestWebhookCancelledDuringBackoff(t *testing.T) {
	p := newProvider(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	g := gateway(t, p, jsonConfig)
	g.backoff = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := g.Send(ctx, NewText("req-1", "+14155550123", "1", ""))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "before that: the provider answered 503") || p.hits() != 1 {
		t.Errorf("err = %v, %d hits", err, p.hits())
	}
}

func TestWebhookWithoutVoiceBody(t *testing.T) {
	p := newProvider(t, accept)
	g := gateway(t, p, `{"url":"{{P}}/send","content_type":"json","sms_body":"{\"text\":{{.Body}}}"}`)
	err := g.Send(context.Background(), NewCall("req-1", "+14155550123", "App"))
	if err == nil || err.Error() != "telephony webhook: message req-1 not sent: the config has no voice_body, so it cannot send a voice message; add voice_body to test.json" || p.hits() != 0 {
		t.Errorf("err = %v, %d hits", err, p.hits())
	}
	if !Supports(g, SMS) || Supports(g, Voice) {
		t.Error("Supports of a config without voice_body is wrong")
	}
	file, err := Parse("file:" + t.TempDir() + "/x.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if !Supports(file, SMS) || !Supports(file, Voice) || Supports(file, "fax") {
		t.Error("Supports of the file gateway is wrong")
	}
	if err := g.Send(context.Background(), Message{ID: "x", Kind: SMS, To: "+1", Body: "b"}); err == nil || p.hits() != 0 {
		t.Errorf("an invalid message was sent: %v", err)
	}
}
