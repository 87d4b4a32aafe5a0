package telephony

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestFileGatewayLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "phone.jsonl")
	g, err := Parse("file:" + path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := g.Send(ctx, NewText("req-1", "+14155550123", "123456", "Payroll")); err != nil {
		t.Fatal(err)
	}
	if err := g.Send(ctx, NewCodeCall("proof-2", "+442079460958", "42", "A&B")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"sms","to":"+14155550123","body":"123456 is your Payroll sign-in code. It expires in 5 minutes. Do not share it.","id":"req-1"}` + "\n" +
		`{"kind":"voice","to":"+442079460958","body":"This is Countersign. Your code for A&B is: 4, 2. Again, your code is: 4, 2. Goodbye.","id":"proof-2",` +
		`"script":"<Response><Say>This is Countersign. Your code for A&amp;B is: 4, 2.</Say><Pause length=\"1\"/><Say>Again, your code is: 4, 2. Goodbye.</Say></Response>"}` + "\n"
	if string(data) != want {
		t.Errorf("file\n got %s\nwant %s", data, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode %#o, want 0600", perm)
	}
	if d := g.Describe(); !strings.Contains(d, "NOTHING IS REALLY SENT") || !strings.Contains(d, path) {
		t.Errorf("Describe = %s", d)
	}
}

func TestFileGatewayConcurrentSends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "phone.jsonl")
	g, err := Parse("file:" + path)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a long application name ", 3)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			m := NewCall(fmt.Sprintf("req-%02d", i), "+14155550123", long)
			if i%2 == 0 {
				m = NewText(fmt.Sprintf("req-%02d", i), "+14155550123", "123456", long)
			}
			errs <- g.Send(context.Background(), m)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 20 {
		t.Fatalf("%d lines, want 20", len(lines))
	}
	seen := map[string]bool{}
	for _, line := range lines {
		var l fileLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line is not whole JSON: %v: %s", err, line)
		}
		seen[l.ID] = true
	}
	if len(seen) != 20 {
		t.Errorf("%d distinct ids, want 20", len(seen))
	}
}

func TestFileGatewayRefuses(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.jsonl")
	if err := os.WriteFile(open, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil { // past the umask
		t.Fatal(err)
	}
	for _, tc := range []struct{ spec, want string }{
		{"file:", "no path"},
		{"file:" + open, "can be read by others (mode 0644)"},
		{"file:" + dir, "is a directory"},
		{"file:" + filepath.Join(dir, "missing", "x.jsonl"), "check that the directory exists"},
	} {
		if _, err := Parse(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) error = %v; want %q", tc.spec, err, tc.want)
		}
	}
	g, err := Parse("file:" + filepath.Join(dir, "ok.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	bad := NewText("req-1", "4155550123", "1", "")
	if err := g.Send(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "no leading +") {
		t.Errorf("Send of a bad number: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Send(ctx, NewText("req-2", "+14155550123", "1", "")); err == nil {
		t.Error("Send with a cancelled context wrote the message")
	}
}

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"", "want file:PATH, webhook:CONFIG.json or exec:PROGRAM"},
		{"twilio", "want file:PATH"},
		{"smtp:x", `unknown kind "smtp"`},
		{"webhook:", "no config file"},
		{"webhook:/nonexistent/config.json", "no such file"},
	} {
		if _, err := Parse(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v; want %q", tc.spec, err, tc.want)
		}
	}
}
