package telephony

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestNewCallScript(t *testing.T) {
	m := NewCall("req-1", "+14155550123", "Payroll & <HR>")
	want := `<Response><Say>This is Countersign. A sign-in to Payroll &amp; &lt;HR&gt; is waiting for your approval.</Say>` +
		`<Gather numDigits="2" finishOnKey="#" timeout="15"><Say>To approve it, press pound. If you did not try to sign in, press zero, then pound, to report fraud.</Say></Gather>` +
		`<Say>No key was pressed. The sign-in was not approved. Goodbye.</Say></Response>`
	if m.Script != want {
		t.Errorf("script\n got %s\nwant %s", m.Script, want)
	}
	wantBody := "This is Countersign. A sign-in to Payroll & <HR> is waiting for your approval. " +
		"To approve it, press pound. If you did not try to sign in, press zero, then pound, to report fraud. " +
		"No key was pressed. The sign-in was not approved. Goodbye."
	if m.Body != wantBody {
		t.Errorf("body\n got %s\nwant %s", m.Body, wantBody)
	}
	if m.ID != "req-1" || m.Kind != Voice || m.To != "+14155550123" {
		t.Errorf("message = %+v", m)
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
}

func TestNewCallWithoutApplication(t *testing.T) {
	m := NewCall("req-2", "+14155550123", " \x00\u202e ")
	if !strings.HasPrefix(m.Script, "<Response><Say>This is Countersign. A sign-in is waiting for your approval.</Say>") {
		t.Errorf("script = %s", m.Script)
	}
}

// sayTexts parses a script as XML and returns the text of its Say elements,
// so a hostile name is checked against what a real XML parser reads.
func sayTexts(t *testing.T, script string) []string {
	t.Helper()
	var doc struct {
		XMLName xml.Name `xml:"Response"`
		Says    []string `xml:"Say"`
		Gather  struct {
			NumDigits   string   `xml:"numDigits,attr"`
			FinishOnKey string   `xml:"finishOnKey,attr"`
			Says        []string `xml:"Say"`
		} `xml:"Gather"`
	}
	if err := xml.Unmarshal([]byte(script), &doc); err != nil {
		t.Fatalf("script is not XML: %v\n%s", err, script)
	}
	return append(doc.Says, doc.Gather.Says...)
}

func TestNewCallHostileName(t *testing.T) {
	hostile := "Evil</Say><Play>http://x/y.mp3</Play><Say a='\"'>\n\r\tApp\x07\u202eοκ"
	m := NewCall("req-3", "+14155550123", hostile)
	says := sayTexts(t, m.Script)
	want := "This is Countersign. A sign-in to Evil</Say><Play>http://x/y.mp3</Play><Say a='\"'> Appοκ is waiting for your approval."
	if len(says) != 3 || says[0] != want {
		t.Fatalf("says = %q\nwant first %q", says, want)
	}
	if strings.Count(m.Script, "<Say>") != 3 || strings.Contains(m.Script, "<Play>") {
		t.Errorf("the name got into the markup: %s", m.Script)
	}
}

func TestNewCallLongNameIsCut(t *testing.T) {
	m := NewCall("req-4", "+14155550123", strings.Repeat("ab", 100))
	want := "A sign-in to " + strings.Repeat("ab", 30) + "… is waiting"
	if !strings.Contains(m.Body, want) {
		t.Errorf("body = %s", m.Body)
	}
}

func TestNewCodeCall(t *testing.T) {
	m := NewCodeCall("proof-1", "+442079460958", "123456", "Payroll")
	want := `<Response><Say>This is Countersign. Your code for Payroll is: 1, 2, 3, 4, 5, 6.</Say><Pause length="1"/>` +
		`<Say>Again, your code is: 1, 2, 3, 4, 5, 6. Goodbye.</Say></Response>`
	if m.Script != want {
		t.Errorf("script\n got %s\nwant %s", m.Script, want)
	}
	if wantBody := "This is Countersign. Your code for Payroll is: 1, 2, 3, 4, 5, 6. Again, your code is: 1, 2, 3, 4, 5, 6. Goodbye."; m.Body != wantBody {
		t.Errorf("body\n got %s\nwant %s", m.Body, wantBody)
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
	if got := NewCodeCall("p", "+442079460958", "98 7<6>", "").Body; got != "This is Countersign. Your code is: 9, 8, 7, 6. Again, your code is: 9, 8, 7, 6. Goodbye." {
		t.Errorf("body = %s", got)
	}
}

func TestNewText(t *testing.T) {
	for _, tc := range []struct{ app, want string }{
		{"Payroll", "123456 is your Payroll sign-in code. It expires in 5 minutes. Do not share it."},
		{"", "123456 is your sign-in code. It expires in 5 minutes. Do not share it."},
		{"Pay\nroll\x1b[31m\u200f", "123456 is your Pay roll[31m sign-in code. It expires in 5 minutes. Do not share it."},
		{strings.Repeat("x", 50), "123456 is your " + strings.Repeat("x", 40) + "… sign-in code. It expires in 5 minutes. Do not share it."},
	} {
		m := NewText("req-9", "+4930123456", "123456", tc.app)
		if m.Body != tc.want || m.Kind != SMS || m.Script != "" || m.ID != "req-9" || m.To != "+4930123456" {
			t.Errorf("NewText(%q) = %+v\nwant body %q", tc.app, m, tc.want)
		}
		if len(m.Body) > 160 {
			t.Errorf("NewText(%q) is %d bytes, more than one text message", tc.app, len(m.Body))
		}
	}
}

func TestValidate(t *testing.T) {
	good := NewText("id-1", "+14155550123", "123456", "App")
	for _, tc := range []struct {
		name   string
		change func(*Message)
		want   string
	}{
		{"kind", func(m *Message) { m.Kind = "fax" }, `kind "fax" is neither "sms" nor "voice"`},
		{"no id", func(m *Message) { m.ID = "" }, "message has no id"},
		{"id with space", func(m *Message) { m.ID = "a b" }, "not printable ASCII"},
		{"long id", func(m *Message) { m.ID = strings.Repeat("a", 129) }, "129 bytes long"},
		{"number not normal", func(m *Message) { m.To = "+1 415 555 0123" }, "not in E.164 form (+14155550123)"},
		{"bad number", func(m *Message) { m.To = "4155550123" }, "has no leading +"},
		{"empty body", func(m *Message) { m.Body = "" }, "the body is empty"},
		{"long body", func(m *Message) { m.Body = strings.Repeat("a", 1601) }, "1601 bytes long"},
		{"text with script", func(m *Message) { m.Script = "<Response/>" }, "a text has no script"},
		{"call without script", func(m *Message) { m.Kind = Voice }, "a call needs a script"},
		{"invalid utf-8", func(m *Message) { m.Body = "a\xffb" }, "not valid UTF-8"},
	} {
		m := good
		tc.change(&m)
		err := m.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if err := good.Validate(); err != nil {
		t.Error(err)
	}
}
