package telephony

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Bounds on the program of an exec gateway.
const (
	// ExecTimeout is how long the program may run for one message.
	ExecTimeout = 30 * time.Second
	// maxStderr is how much of the program's standard error is kept.
	maxStderr = 4096
)

// execGateway runs the administrator's program for every message.
type execGateway struct {
	program string
	timeout time.Duration
}

// newExecGateway checks that program names an executable file. It is run
// directly, never through a shell, so it can hold no arguments.
func newExecGateway(program string) (*execGateway, error) {
	if program == "" {
		return nil, errors.New("telephony exec: no program: write exec:PROGRAM, like exec:/usr/local/bin/send-sms")
	}
	path, err := exec.LookPath(program)
	if err != nil {
		hint := "give the path of an executable file"
		if strings.ContainsAny(program, " \t") {
			hint = "the program is run without a shell and takes no arguments of its own: put the command in a script and give its path"
		}
		return nil, fmt.Errorf("telephony exec %q: %w; %s", program, err, hint)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return &execGateway{program: path, timeout: ExecTimeout}, nil
}

// Send runs PROGRAM +E164 sms|voice with COUNTERSIGN_MESSAGE_ID in its
// environment and the text (or the call script) on its standard input.
// Exit status 0 means sent.
func (g *execGateway) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(parent, g.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, g.program, m.To, string(m.Kind))
	cmd.Env = append(os.Environ(), "COUNTERSIGN_MESSAGE_ID="+m.ID)
	cmd.Stdin = strings.NewReader(m.payload())
	stderr := &boundedBuffer{max: maxStderr}
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second // a child left holding stderr must not hold Send
	err := cmd.Run()
	if err == nil {
		return nil
	}
	switch {
	case parent.Err() != nil:
		err = fmt.Errorf("stopped: %w", parent.Err())
	case ctx.Err() != nil:
		err = fmt.Errorf("stopped after %s, the longest a program may run: %w", g.timeout, ctx.Err())
	}
	line := firstLine(m.redact(stderr.String()), 200) // a program may echo the message
	if line == "" {
		line = "(nothing on standard error)"
	}
	return fmt.Errorf("telephony exec %s: message %s (%s) not sent: %w: %s", g.program, m.ID, m.Kind, err, line)
}

// Describe names the program.
func (g *execGateway) Describe() string {
	return "exec " + g.program + ": runs it as PROGRAM +E164 sms|voice, message on standard input"
}

// boundedBuffer keeps the first max bytes written to it and drops the
// rest, so a chatty program cannot fill the server's memory.
type boundedBuffer struct {
	buf bytes.Buffer
	max int
}

// Write keeps what fits and reports everything as written.
func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// String is what was kept.
func (b *boundedBuffer) String() string { return b.buf.String() }
