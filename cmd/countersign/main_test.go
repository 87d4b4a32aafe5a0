package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// binDir holds the countersign binary that the tests run as users and
// scripts do; countersignBinary builds it there once.
var (
	binDir    string
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// countersignBinary builds the binary once per test process, on first use
// (fuzz workers, which never run it, build nothing), and returns its path.
func countersignBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "countersign-test-"); buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "countersign"), ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building countersign: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "countersign")
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

// baseEnv is the test process's environment without countersign's own variables.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COUNTERSIGN_") {
			env = append(env, kv)
		}
	}
	return env
}

// runEnv runs the binary with extra environment variables (later ones win).
func runEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runInput(t, env, nil, args...)
}

// runStdin runs the binary with stdin as its standard input (a pipe).
func runStdin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runInput(t, nil, strings.NewReader(stdin), args...)
}

// runInput runs the binary with extra environment variables and stdin as
// its standard input (nil: /dev/null).
func runInput(t *testing.T, env []string, stdin io.Reader, args ...string) result {
	t.Helper()
	cmd := exec.Command(countersignBinary(t), args...)
	cmd.Env = append(baseEnv(), env...)
	cmd.Stdin = stdin
	// A session of its own, without a controlling terminal, as under CI:
	// run from a developer's terminal, a passphrase would otherwise be
	// asked there (/dev/tty) and the test would wait for it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running countersign %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// runCS runs the binary with the test's environment.
func runCS(t *testing.T, args ...string) result {
	t.Helper()
	return runEnv(t, nil, args...)
}

// ok runs the binary and fails the test unless it exits 0 with nothing on stderr.
func ok(t *testing.T, args ...string) string {
	t.Helper()
	r := runCS(t, args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("countersign %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// wantFail checks that a run failed with the given status and exactly one
// line on stderr, the given reason, and nothing on stdout.
func wantFail(t *testing.T, r result, code int, reason string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit status %d, want %d (stderr %q)", r.code, code, r.stderr)
	}
	if want := "countersign: " + reason + "\n"; r.stderr != want {
		t.Errorf("stderr:\n got %q\nwant %q", r.stderr, want)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
}

// lookPath returns the path of a peer tool, failing the test when it is
// missing: make test installs all of them.
func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed; run the tests with make test, which installs it", name)
	}
	return p
}
