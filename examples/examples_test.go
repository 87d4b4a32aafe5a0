package examples

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/client/clienttest"
	"github.com/countersign/countersign/push/server"
)

// scripts are the examples and how each is run.
var scripts = []struct {
	name string
	argv []string
}{
	{"curl", []string{"bash", "curl.sh"}},
	{"python", []string{"python3", "signin.py"}},
	{"node", []string{"node", "signin.mjs"}},
}

// run is one run of an example script.
type run struct {
	cmd    *exec.Cmd
	lines  chan string // standard output, line by line; closed at its end
	stdout bytes.Buffer
	stderr bytes.Buffer
	cancel context.CancelFunc
}

// start runs argv with the example's environment (unset variables are
// left out of it).
func start(t *testing.T, argv []string, serverURL, apiKey, user string) *run {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	r := &run{lines: make(chan string, 16), cancel: cancel}
	r.cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	r.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range map[string]string{"COUNTERSIGN_URL": serverURL, "COUNTERSIGN_API_KEY": apiKey, "COUNTERSIGN_USER": user} {
		if v != "" {
			r.cmd.Env = append(r.cmd.Env, k+"="+v)
		}
	}
	r.cmd.Stderr = &r.stderr
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("starting %q: %v (scripts/deps.sh test installs it)", argv, err)
	}
	go func() {
		defer close(r.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			r.stdout.WriteString(sc.Text() + "\n")
			r.lines <- sc.Text()
		}
	}()
	t.Cleanup(cancel)
	return r
}

// number reads the line that shows the number to type.
func (r *run) number(t *testing.T) string {
	t.Helper()
	select {
	case line := <-r.lines:
		m := regexp.MustCompile(`^Number: (\d{2})$`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("first line %q, want Number: NN; stderr %q", line, r.stderr.String())
		}
		return m[1]
	case <-time.After(30 * time.Second):
		t.Fatalf("no number within 30 s; stderr %q", r.stderr.String())
	}
	return ""
}

// end waits for the script to end and checks its output and exit status.
func (r *run) end(t *testing.T, stdout, stderr string, exit int) {
	t.Helper()
	for range r.lines { // the whole output is read before Wait
	}
	err := r.cmd.Wait()
	r.cancel()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if r.stdout.String() != stdout || r.stderr.String() != stderr || code != exit {
		t.Fatalf("stdout %q, stderr %q, exit %d\nwant stdout %q, stderr %q, exit %d", r.stdout.String(), r.stderr.String(), code, stdout, stderr, exit)
	}
}

// TestExamples runs each example against a real server while the user's
// phone (a real device client) approves with the number the script
// printed, or denies.
func TestExamples(t *testing.T) {
	b := clienttest.Start(t, server.Config{})
	for _, s := range scripts {
		t.Run(s.name, func(t *testing.T) {
			user := "ada-" + s.name
			phone := b.AddUser(t, user)

			r := start(t, s.argv, b.URL, b.APIKey, user)
			n := r.number(t)
			if got := phone.Answer(t, push.Approve, n); got != push.StatusApproved {
				t.Fatalf("the phone's approval was taken as %q", got)
			}
			r.end(t, "Number: "+n+"\nStatus: approved\n", "", 0)

			r = start(t, s.argv, b.URL+"/", b.APIKey, user) // a URL with a slash at the end works too
			n = r.number(t)
			phone.Answer(t, push.Deny, "")
			r.end(t, "Number: "+n+"\nStatus: denied (not_me)\n", "", 1)
		})
	}
}

// TestExamplesRefused: a refusal of the server, a server that does not
// answer and a missing setting each end the script with status 1 and say
// why on standard error.
func TestExamplesRefused(t *testing.T) {
	b := clienttest.Start(t, server.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nowhere := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	for _, s := range scripts {
		t.Run(s.name, func(t *testing.T) {
			start(t, s.argv, b.URL, "cs_not-a-key", "ada").end(t, "",
				"Countersign refused: unauthorized: the API key is not valid (countersignd rp add NAME makes one)\n", 1)
			start(t, s.argv, b.URL, b.APIKey, `no "such" user`).end(t, "",
				`Countersign refused: user_not_found: no user "no \"such\" user" (countersignd user add no "such" user)`+"\n", 1)
			start(t, s.argv, b.URL, "", "ada").end(t, "",
				"Set COUNTERSIGN_API_KEY (the server's URL, the key from countersignd rp add, the user).\n", 1)

			r := start(t, s.argv, nowhere, b.APIKey, "ada")
			for range r.lines {
			}
			r.cmd.Wait()
			last := strings.TrimSpace(r.stderr.String())
			last = last[strings.LastIndex(last, "\n")+1:]
			if r.stdout.Len() != 0 || r.cmd.ProcessState.ExitCode() != 1 || !strings.HasPrefix(last, fmt.Sprintf("No answer from Countersign at %s", nowhere)) {
				t.Fatalf("no server: stdout %q, stderr %q, exit %d", r.stdout.String(), r.stderr.String(), r.cmd.ProcessState.ExitCode())
			}
		})
	}
}
