package telephony

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTwilioExampleConfig(t *testing.T) {
	t.Setenv("TWILIO_ACCOUNT_SID", "AC0123456789abcdef")
	t.Setenv("TWILIO_AUTH_TOKEN", "twilio-token-secret")
	t.Setenv("TWILIO_FROM", "+15005550006")
	gw, err := Parse("webhook:testdata/twilio.json")
	if err != nil {
		t.Fatal(err)
	}
	g := gw.(*webhookGateway)
	if g.url != "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef/Messages.json" || g.voiceURL != "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef/Calls.json" {
		t.Errorf("urls = %s %s", g.url, g.voiceURL)
	}
	wantDescribe := "webhook testdata/twilio.json: texts POST https://api.twilio.com/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Messages.json, " +
		"calls POST https://api.twilio.com/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Calls.json (x-www-form-urlencoded, headers Authorization, values hidden, timeout 10s, 2 retries)"
	if d := g.Describe(); d != wantDescribe {
		t.Errorf("Describe = %s\nwant %s", d, wantDescribe)
	}
	// api.twilio.com is out of reach: send to a stand-in on loopback.
	p := newProvider(t, accept)
	g.url, g.voiceURL = p.URL+"/Messages.json", p.URL+"/Calls.json"
	if err := g.Send(context.Background(), NewText("req-1", "+14155550123", "123456", "Payroll")); err != nil {
		t.Fatal(err)
	}
	r := p.last()
	want := "To=%2B14155550123&From=%2B15005550006&Body=123456+is+your+Payroll+sign-in+code.+It+expires+in+5+minutes.+Do+not+share+it."
	if r.body != want || r.path != "/Messages.json" || r.auth != "Basic QUMwMTIzNDU2Nzg5YWJjZGVmOnR3aWxpby10b2tlbi1zZWNyZXQ=" {
		t.Errorf("received %+v\nwant body %s", r, want)
	}
	call := NewCall("req-2", "+14155550123", "Payroll")
	if err := g.Send(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	form, err := url.ParseQuery(p.last().body)
	if err != nil || p.last().path != "/Calls.json" || form.Get("Twiml") != call.Script || form.Get("From") != "+15005550006" || form.Get("To") != "+14155550123" {
		t.Errorf("call received %s %q, %v", p.last().path, form, err)
	}
}

func TestRelayExampleConfig(t *testing.T) {
	t.Setenv("RELAY_TOKEN", "relay-secret")
	gw, err := Parse("webhook:testdata/relay.json")
	if err != nil {
		t.Fatal(err)
	}
	g := gw.(*webhookGateway)
	p := newProvider(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"accepted":true,"id":"m-1"}`)
	})
	g.url, g.voiceURL = p.URL+"/v1/messages", p.URL+"/v1/calls"
	call := NewCall("req-3", "+442079460958", "Payroll")
	if err := g.Send(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	r := p.last()
	var got map[string]string
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || got["twiml"] != call.Script || got["say"] != call.Body || got["id"] != "req-3" || got["to"] != "+442079460958" {
		t.Errorf("received %s, %v", r.body, err)
	}
	if r.path != "/v1/calls" || r.auth != "Bearer relay-secret" || r.header.Get("X-Sender") != "countersign" || r.contentType != "application/json" {
		t.Errorf("received %+v", r)
	}
}

func TestWebhookConfigErrors(t *testing.T) {
	const body = `"content_type":"json","sms_body":"{\"t\":{{.Body}}}"`
	for _, tc := range []struct{ config, want string }{
		{`{`, "not a valid config: unexpected EOF"},
		{`{"url":"https://x.example",` + body + `,"sms_bdy":"x"}`, `json: unknown field "sms_bdy" (the fields are method, url,`},
		{`{"url":"https://x.example",` + body + `}{}`, "more than one JSON value"},
		{`{"url":5,` + body + `}`, "WebhookConfig.url of type string"},
		{`{` + body + `}`, "field url: empty"},
		{`{"url":"ftp://x.example/a",` + body + `}`, `field url: scheme "ftp"; want https`},
		{`{"url":"http://sms.example/a",` + body + `}`, "field url: http is only for a provider on this machine (loopback); use https"},
		{`{"url":"https://user:pw@x.example/",` + body + `}`, "field url: has a user name or password in it; use basic_auth instead"},
		{`{"url":"/send",` + body + `}`, "field url: no host"},
		{`{"url":"https://x.example/${NOPE}",` + body + `}`, "field url: the environment variable NOPE is not set or is empty"},
		{`{"url":"https://x.example","voice_url":"https://y.example",` + body + `}`, "field voice_url: set, but there is no voice_body"},
		{`{"method":"GET","url":"https://x.example",` + body + `}`, `field method: "GET"; want POST, PUT or PATCH`},
		{`{"url":"https://x.example","headers":{"Authorization":"Bearer ${MISSING}"},` + body + `}`, "field headers.Authorization: the environment variable MISSING is not set"},
		{`{"url":"https://x.example","headers":{"content-type":"text/plain"},` + body + `}`, "field headers.content-type: set by the gateway itself"},
		{`{"url":"https://x.example","headers":{"Bad Name":"x"},` + body + `}`, "field headers.Bad Name: not a valid header name"},
		{`{"url":"https://x.example","headers":{"X-A":"a\r\nInjected: yes"},` + body + `}`, "field headers.X-A: the value has a line break"},
		{`{"url":"https://x.example","headers":{"Authorization":"x"},"basic_auth":{"user":"u","password":"p"},` + body + `}`, "basic_auth is set too"},
		{`{"url":"https://x.example","basic_auth":{"user":"a:b","password":"p"},` + body + `}`, "field basic_auth.user: empty or has a colon"},
		{`{"url":"https://x.example","content_type":"xml","sms_body":"x"}`, `field content_type: "xml"; want "json" or "form"`},
		{`{"url":"https://x.example","content_type":"json"}`, "fields sms_body and voice_body: both empty"},
		{`{"url":"https://x.example","content_type":"json","sms_body":"{{.Body"}`, "field sms_body: not a valid template"},
		{`{"url":"https://x.example","content_type":"json","sms_body":"{\"t\":{{.Text}}}"}`, "field sms_body: template: sms_body:1:7: executing \"sms_body\" at <.Text>: can't evaluate field Text"},
		{`{"url":"https://x.example","content_type":"json","sms_body":"{\"t\":\"{{.Body}}\"}"}`, `field sms_body: does not give valid JSON; note that {{.Body}} and the others give a whole JSON string, quotes included`},
		{`{"url":"https://x.example","content_type":"json","voice_body":"{\"t\":{{env ` + "`NOPE`" + `}}}"}`, "field voice_body: template: voice_body:1:7: executing \"voice_body\" at <env `NOPE`>: error calling env: the environment variable NOPE is not set or is empty"},
		{`{"url":"https://x.example","content_type":"form","sms_body":"a=%zz&b={{.Body}}"}`, "field sms_body: does not give a valid form"},
		{`{"url":"https://x.example",` + body + `,"success_status":[200,99]}`, "field success_status: 99 is not an HTTP status"},
		{`{"url":"https://x.example",` + body + `,"success_match":"/(/"}`, "field success_match: not a valid regular expression"},
		{`{"url":"https://x.example",` + body + `,"timeout":"ten seconds"}`, `field timeout: "ten seconds"; want a duration above 0 and at most 2m0s`},
		{`{"url":"https://x.example",` + body + `,"timeout":"5m"}`, `field timeout: "5m"`},
		{`{"url":"https://x.example",` + body + `,"retries":9}`, "field retries: 9; want 0 to 5"},
		{`{"url":"https://x.example",` + body + `,"retries":-1}`, "field retries: -1; want 0 to 5"},
	} {
		_, err := parseWebhookConfig([]byte(tc.config), testEnv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %s\n err = %v\nwant %q", tc.config, err, tc.want)
		}
	}
	g, err := parseWebhookConfig([]byte(`{"url":"http://localhost:8080/x","method":"put",`+body+`}`), testEnv)
	if err != nil || g.method != "PUT" || g.timeout.String() != "10s" || g.retries != 2 || g.voiceBody != nil {
		t.Errorf("defaults: %+v, %v", g, err)
	}
}

func TestParseWebhookNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.json")
	if err := os.WriteFile(path, []byte(`{"url":"https://x.example","content_type":"yaml","sms_body":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Parse("webhook:" + path)
	if want := "telephony webhook config " + path + `: field content_type: "yaml"; want "json" or "form"`; err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, make([]byte, maxWebhookConfig+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("webhook:" + big); err == nil || !strings.Contains(err.Error(), "more than 65536 bytes") {
		t.Errorf("err = %v", err)
	}
}
