package telephony

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeScript writes an executable shell script into dir. The scripts
// stand in for an administrator's sending program: no SMS provider is
// reachable from the tests.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExecGatewaySends(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	prog := writeScript(t, dir, "send", `printf '%s|' "$#" "$1" "$2" "$COUNTERSIGN_MESSAGE_ID" > "`+out+`.args"
cat > "`+out+`.stdin"
`)
	g, err := Parse("exec:" + prog)
	if err != nil {
		t.Fatal(err)
	}
	if d := g.Describe(); d != "exec "+prog+": runs it as PROGRAM +E164 sms|voice, message on standard input" {
		t.Errorf("Describe = %s", d)
	}
	for _, m := range []Message{
		NewText("req-1", "+14155550123", "123456", "Payroll; rm -rf / $(id) `id`"),
		NewCall("req-2", "+442079460958", "Payroll"),
	} {
		if err := g.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		args, _ := os.ReadFile(out + ".args")
		if want := "2|" + m.To + "|" + string(m.Kind) + "|" + m.ID + "|"; string(args) != want {
			t.Errorf("argv and env = %q, want %q", args, want)
		}
		stdin, _ := os.ReadFile(out + ".stdin")
		if want := m.payload(); string(stdin) != want {
			t.Errorf("stdin = %q, want %q", stdin, want)
		}
	}
	stdin, _ := os.ReadFile(out + ".stdin")
	if !strings.HasPrefix(string(stdin), "<Response><Say>") {
		t.Errorf("a call's stdin is not its script: %q", stdin)
	}
}

func TestExecGatewayFailure(t *testing.T) {
	dir := t.TempDir()
	prog := writeScript(t, dir, "refuse", `cat > /dev/null
printf 'provider refused: quota exceeded\007\nsecond line\n' >&2
exit 3
`)
	g, err := Parse("exec:" + prog)
	if err != nil {
		t.Fatal(err)
	}
	err = g.Send(context.Background(), NewText("req-7", "+14155550123", "123456", "App"))
	want := "telephony exec " + prog + ": message req-7 (sms) not sent: exit status 3: provider refused: quota exceeded"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}

	silent := writeScript(t, dir, "silent", "exit 1\n")
	g, _ = Parse("exec:" + silent)
	if err := g.Send(context.Background(), NewText("req-8", "+14155550123", "1", "")); err == nil || !strings.HasSuffix(err.Error(), "exit status 1: (nothing on standard error)") {
		t.Errorf("err = %v", err)
	}

	chatty := writeScript(t, dir, "chatty", `head -c 100000 /dev/zero | tr '\0' x >&2
exit 2
`)
	g, _ = Parse("exec:" + chatty)
	err = g.Send(context.Background(), NewText("req-9", "+14155550123", "1", ""))
	if err == nil || !strings.HasSuffix(err.Error(), "exit status 2: "+strings.Repeat("x", 200)+"…") {
		t.Errorf("err = %.300v", err)
	}
}

func TestExecGatewayTimeout(t *testing.T) {
	dir := t.TempDir()
	prog := writeScript(t, dir, "slow", "echo 'dialling' >&2\nsleep 5\n")
	gw, err := Parse("exec:" + prog)
	if err != nil {
		t.Fatal(err)
	}
	g := gw.(*execGateway)
	g.timeout = 200 * time.Millisecond
	start := time.Now()
	err = g.Send(context.Background(), NewText("req-1", "+14155550123", "1", ""))
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Send took %s with a 200ms timeout", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "stopped after 200ms, the longest a program may run") || !strings.HasSuffix(err.Error(), ": dialling") {
		t.Errorf("err = %v", err)
	}

	g.timeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = g.Send(ctx, NewText("req-2", "+14155550123", "1", ""))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "stopped: context deadline exceeded") {
		t.Errorf("err = %v", err)
	}
}

func TestExecGatewayRefuses(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("echo hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ spec, want string }{
		{"exec:", "no program"},
		{"exec:" + filepath.Join(dir, "missing"), "give the path of an executable file"},
		{"exec:" + plain, "permission denied"},
		{"exec:/bin/sh -c 'curl x'", "run without a shell and takes no arguments"},
	} {
		if _, err := Parse(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v; want %q", tc.spec, err, tc.want)
		}
	}
}
