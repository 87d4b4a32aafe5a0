package vault

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The crash tests run a child process (this test binary) that changes a
// vault and is killed with SIGKILL at one step of the change; the parent then
// opens the vault as the next start of the app would.

const (
	crashEnvDir   = "COUNTERSIGN_CRASH_DIR"
	crashEnvStep  = "COUNTERSIGN_CRASH_STEP"
	crashEnvOp    = "COUNTERSIGN_CRASH_OP"
	crashEnvStore = "COUNTERSIGN_CRASH_STORE"
)

var crashURIs = []string{
	"otpauth://totp/Kept:first?secret=JBSWY3DPEHPK3PXP",
	"otpauth://totp/New:second?secret=GEZDGNBVGY3TQOJQ",
}

// crashStore opens the store a crash test uses: the file store, or the real
// keyring under the service named in the environment.
func crashStore(t *testing.T, dir, service string) SecretStore {
	t.Helper()
	if service != "" {
		return NewKeyringStore(service)
	}
	s, err := OpenFileStore(filepath.Join(dir, "secrets.cs"), []byte(testPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCrashChild is the child's side; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnvDir)
	if dir == "" {
		return
	}
	v, err := Open(dir, crashStore(t, dir, os.Getenv(crashEnvStore)))
	if err != nil {
		t.Fatal(err)
	}
	crashHook = func(step string) {
		if step == os.Getenv(crashEnvStep) {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}
	switch os.Getenv(crashEnvOp) {
	case "add":
		_, err = v.Add(mustParse(t, crashURIs[1]))
	case "delete":
		err = v.Delete(v.Accounts()[0].ID)
	}
	t.Fatalf("the child was not killed at %s (err %v)", os.Getenv(crashEnvStep), err)
}

func runCrashChild(t *testing.T, dir, service, op, step string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashEnvDir+"="+dir, crashEnvStep+"="+step, crashEnvOp+"="+op, crashEnvStore+"="+service)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child %s/%s was not killed: %v\n%s", op, step, err, out)
	}
}

func testCrashes(t *testing.T, service string) {
	cases := []struct {
		op, step string
		// the accounts the next start sees, and whether the second secret survives
		want       string
		secondKept bool
	}{
		{"add", "pending-written", "Kept (first)", false},
		{"add", "secret-written", "Kept (first)", false},
		{"delete", "account-removed", "New (second)", true},
		{"delete", "secret-deleted", "New (second)", true},
	}
	for _, c := range cases {
		t.Run(c.op+"/"+c.step, func(t *testing.T) {
			dir := t.TempDir()
			store := crashStore(t, dir, service)
			v, err := Open(dir, store)
			if err != nil {
				t.Fatal(err)
			}
			first, err := v.Add(mustParse(t, crashURIs[0]))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Delete(first.ID) })
			var second Account
			if c.op == "delete" {
				if second, err = v.Add(mustParse(t, crashURIs[1])); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { store.Delete(second.ID) })
			}
			runCrashChild(t, dir, service, c.op, c.step)

			// What the crash left behind, before the next start cleans it.
			after, _, err := readIndex(filepath.Join(dir, indexFileName))
			if err != nil {
				t.Fatalf("the index is damaged after the crash: %v", err)
			}
			if len(after.Pending) != 1 {
				t.Fatalf("pending %v after a crash at %s, want one id", after.Pending, c.step)
			}
			orphan := after.Pending[0]

			// The next start.
			reopened, err := Open(dir, crashStore(t, dir, service))
			if err != nil {
				t.Fatalf("opening after the crash: %v", err)
			}
			if got := labels(reopened.Accounts()); got != c.want {
				t.Fatalf("accounts after the crash: %q, want %q", got, c.want)
			}
			if _, err := store.Get(orphan); !errors.Is(err, ErrSecretNotFound) {
				t.Fatalf("the orphan secret %s survived the next start: %v", orphan, err)
			}
			cleaned, _, _ := readIndex(filepath.Join(dir, indexFileName))
			if len(cleaned.Pending) != 0 {
				t.Fatalf("pending %v after the next start", cleaned.Pending)
			}
			// Every account left has its secret: its code works.
			for _, a := range reopened.Accounts() {
				if _, err := reopened.Code(a.ID, time.Unix(59, 0)); err != nil {
					t.Fatalf("%s lost its secret: %v", a.Label(), err)
				}
			}
			if c.op == "delete" && c.secondKept {
				if _, err := store.Get(second.ID); err != nil {
					t.Fatalf("the surviving account's secret is gone: %v", err)
				}
			}
		})
	}
}

func TestCrashDuringSaveFileStore(t *testing.T) { testCrashes(t, "") }

func TestCrashDuringSaveKeyring(t *testing.T) {
	s := keyringForTest(t)
	testCrashes(t, s.service)
}
