package instance

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// claim claims dir and closes the server when the test ends.
func claim(t *testing.T, dir string) *Server {
	t.Helper()
	s, err := Claim(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// next returns the next request the server took.
func next(t *testing.T, s *Server) Request {
	t.Helper()
	select {
	case r := <-s.Requests():
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no request within 5 s")
	}
	return Request{}
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

func TestClaimSendAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault") // created by Claim
	s := claim(t, dir)
	if got := mode(t, dir).Perm(); got != 0o700 {
		t.Errorf("vault directory mode %v, want 0700", got)
	}
	sock := filepath.Join(dir, SocketFileName)
	if s.Socket() != sock {
		t.Errorf("socket at %s, want %s", s.Socket(), sock)
	}
	if m := mode(t, sock); m.Type() != fs.ModeSocket || m.Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", m)
	}
	if m := mode(t, filepath.Join(dir, LockFileName)); m.Perm() != 0o600 {
		t.Errorf("lock file mode %v, want 0600", m)
	}
	info, err := readLockInfo(dir)
	if err != nil || info != (lockInfo{Version: 1, PID: os.Getpid(), Socket: sock}) {
		t.Errorf("lock file holds %+v (%v)", info, err)
	}

	// A second claim, even from the same process, finds the app running.
	_, err = Claim(dir)
	var running *RunningError
	if !errors.As(err, &running) || running.PID != os.Getpid() {
		t.Fatalf("second claim: %v, want a RunningError with this pid", err)
	}
	if want := fmt.Sprintf("Countersign is already running for the vault in %s (process %d)", dir, os.Getpid()); err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	uri := "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example"
	reply, err := Send(dir, Request{Scan: true, URIs: []string{uri}}, 5*time.Second)
	if err != nil || reply.PID != os.Getpid() || reply.Version != Version {
		t.Fatalf("send: %+v, %v", reply, err)
	}
	if r := next(t, s); !r.Scan || len(r.URIs) != 1 || r.URIs[0] != uri || r.Version != Version {
		t.Fatalf("request %+v", r)
	}
	// A relative vault path names the same vault.
	wd, _ := os.Getwd()
	t.Chdir(filepath.Dir(dir))
	if _, err := Send("vault", Request{}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Chdir(wd)
	if r := next(t, s); r.Scan || len(r.URIs) != 0 {
		t.Fatalf("bare request %+v", r)
	}

	// Closed: the socket is gone, Requests is closed, and the vault can be claimed again.
	s.Close()
	if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket still there after Close: %v", err)
	}
	if _, ok := <-s.Requests(); ok {
		t.Error("Requests still open after Close")
	}
	if _, err := Send(dir, Request{}, 300*time.Millisecond); err == nil || !strings.Contains(err.Error(), "no answer on its socket") {
		t.Errorf("send to a closed app: %v", err)
	}
	claim(t, dir)
}

// exchange writes raw to the socket and returns the reply line.
func exchange(t *testing.T, sock string, raw []byte) Reply {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go c.Write(raw)
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	var r Reply
	if err := json.Unmarshal(line, &r); err != nil {
		t.Fatalf("reply %q: %v", line, err)
	}
	return r
}

func TestProtocolRefusals(t *testing.T) {
	dir := t.TempDir()
	s := claim(t, dir)
	for _, tc := range []struct {
		raw  string
		want string
	}{
		{`{"version":2,"scan":true}` + "\n", fmt.Sprintf("protocol version 2 is not understood: the running Countersign (process %d) speaks version 1; quit it and start the app again", os.Getpid())},
		{`{"scan":true}` + "\n", "protocol version 0 is not understood"},
		{"hello\n", "the request is not valid JSON"},
		{`{"version":1,"uris":"x"}` + "\n", "the request is not valid"},
		{`{"version":1,"uris":[` + strings.Repeat(`"x",`, MaxURIs) + `"x"]}` + "\n", "65 URIs in one request; at most 64"},
		{`{"version":1,"uris":["` + strings.Repeat("A", MaxMessage) + `"]}` + "\n", "the message is longer than 1048576 bytes"},
	} {
		r := exchange(t, s.Socket(), []byte(tc.raw))
		if !strings.HasPrefix(r.Error, tc.want) || r.Version != Version || r.PID != os.Getpid() {
			t.Errorf("%.40q: reply %+v, want error %q", tc.raw, r, tc.want)
		}
	}
	select {
	case r := <-s.Requests():
		t.Fatalf("a refused request was passed on: %+v", r)
	default:
	}
	// A good one still goes through.
	if r := exchange(t, s.Socket(), []byte(`{"version":1,"uris":["otpauth://totp/x?secret=AA"],"later":"ignored"}`+"\n")); r.Error != "" {
		t.Fatalf("reply %+v", r)
	}
	if r := next(t, s); len(r.URIs) != 1 {
		t.Fatalf("request %+v", r)
	}
}

func TestQueueFull(t *testing.T) {
	dir := t.TempDir()
	claim(t, dir) // nobody reads its requests
	for i := range queueLen {
		if _, err := Send(dir, Request{}, 5*time.Second); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if _, err := Send(dir, Request{}, 5*time.Second); err == nil || err.Error() != "the app is busy with earlier requests; try again" {
		t.Fatalf("request past the queue: %v", err)
	}
}

// TestStaleSocketFile: a socket file left behind (its process killed, its
// lock gone with it) does not stop a new claim, which replaces it.
func TestStaleSocketFile(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, SocketFileName)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	os.WriteFile(filepath.Join(dir, LockFileName), []byte(`{"version":1,"pid":999999,"socket":"`+sock+`"}`), 0o600)
	s := claim(t, dir)
	if s.Socket() != sock {
		t.Fatalf("socket %s", s.Socket())
	}
	if _, err := Send(dir, Request{}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	next(t, s)
}

// TestNotASocketInTheWay: a file that is not a socket where the socket
// goes is left alone, and the socket goes to the runtime directory.
func TestNotASocketInTheWay(t *testing.T) {
	runtime := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	dir := t.TempDir()
	inTheWay := filepath.Join(dir, SocketFileName)
	os.WriteFile(inTheWay, []byte("keep me"), 0o600)
	s := claim(t, dir)
	if filepath.Dir(s.Socket()) != filepath.Join(runtime, "countersign") {
		t.Fatalf("socket at %s, want it in %s/countersign", s.Socket(), runtime)
	}
	if b, _ := os.ReadFile(inTheWay); string(b) != "keep me" {
		t.Fatal("the file in the way was touched")
	}
	if _, err := Send(dir, Request{URIs: []string{"u"}}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	next(t, s)
}

// TestLongVaultPath: a vault whose socket path would be too long for a Unix
// socket address gets its socket in the private runtime directory (made
// 0700), and one in a runtime directory that others may enter is refused.
func TestLongVaultPath(t *testing.T) {
	runtime := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	dir := filepath.Join(t.TempDir(), strings.Repeat("long-folder-name-", 8))
	s := claim(t, dir)
	if got := filepath.Dir(s.Socket()); got != filepath.Join(runtime, "countersign") {
		t.Fatalf("socket in %s", got)
	}
	if m := mode(t, filepath.Join(runtime, "countersign")).Perm(); m != 0o700 {
		t.Fatalf("runtime directory mode %v", m)
	}
	if m := mode(t, s.Socket()).Perm(); m != 0o600 {
		t.Fatalf("socket mode %v", m)
	}
	if _, err := Send(dir, Request{}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	s.Close()

	shared := t.TempDir()
	os.Mkdir(filepath.Join(shared, "countersign"), 0o755)
	os.Chmod(filepath.Join(shared, "countersign"), 0o755)
	t.Setenv("XDG_RUNTIME_DIR", shared)
	if _, err := Claim(dir); err == nil || !strings.Contains(err.Error(), "cannot listen for later starts of the app") {
		t.Fatalf("claim with a shared runtime directory: %v", err)
	}
}

// TestHelperProcess is not a test: run by TestKilledApp as the running app.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("INSTANCE_TEST_HOLD")
	if dir == "" {
		t.Skip("helper process")
	}
	s, err := Claim(dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for r := range s.Requests() {
		fmt.Println("got", strings.Join(r.URIs, ","))
	}
}

// TestKilledApp: another process holds the vault; a claim finds it running
// and hands over to it; once it is killed (SIGKILL: no clean-up), its lock
// is free and its socket file, still there, does not stop a new claim.
func TestKilledApp(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "INSTANCE_TEST_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("helper said %q", lines.Text())
	}
	_, err = Claim(dir)
	var running *RunningError
	if !errors.As(err, &running) || running.PID != cmd.Process.Pid {
		t.Fatalf("claim while the helper runs: %v", err)
	}
	reply, err := Send(dir, Request{URIs: []string{"otpauth://totp/x?secret=AA"}}, 5*time.Second)
	if err != nil || reply.PID != cmd.Process.Pid {
		t.Fatalf("send: %+v %v", reply, err)
	}
	if !lines.Scan() || lines.Text() != "got otpauth://totp/x?secret=AA" {
		t.Fatalf("helper said %q", lines.Text())
	}

	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if m := mode(t, filepath.Join(dir, SocketFileName)); m.Type() != fs.ModeSocket {
		t.Fatalf("no stale socket left to test with: %v", m)
	}
	s := claim(t, dir)
	if _, err := Send(dir, Request{}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	next(t, s)
}

// TestAwaitDone: with AwaitDone, a later start's Send succeeds once the app
// has called Done on its request (twice does no harm); a request the app
// never acts on is answered, after the wait, with what to do, naming this
// process; and Close ends a wait at once with a reply that says so.
func TestAwaitDone(t *testing.T) {
	dir := t.TempDir()
	s := claim(t, dir)
	s.AwaitDone(3 * time.Second)
	acted := make(chan Request, 1)
	go func() {
		r := <-s.Requests()
		r.Done()
		r.Done()
		acted <- r
	}()
	if _, err := Send(dir, Request{URIs: []string{"otpauth://totp/x?secret=AA"}}, 5*time.Second); err != nil {
		t.Fatalf("send to an app that acts: %v", err)
	}
	if r := <-acted; len(r.URIs) != 1 || r.URIs[0] != "otpauth://totp/x?secret=AA" {
		t.Fatalf("request %+v", r)
	}

	s.AwaitDone(300 * time.Millisecond)
	_, err := Send(dir, Request{Scan: true}, 5*time.Second)
	want := fmt.Sprintf("it took the request but did not act on it within 300ms: it may be waiting for the keyring, or stuck; if its window does not show, end it (kill %d) and start the app again", os.Getpid())
	if err == nil || err.Error() != want {
		t.Fatalf("send to an app that does not act: %v\nwant %s", err, want)
	}
	if r := next(t, s); !r.Scan {
		t.Fatalf("the request not acted on was not queued: %+v", r)
	}

	s.AwaitDone(time.Hour) // bounded to 4 s: the exchange must end within 5 s
	sent := make(chan error, 1)
	go func() {
		_, err := Send(dir, Request{}, 5*time.Second)
		sent <- err
	}()
	next(t, s) // its sender now waits for Done
	s.Close()
	select {
	case err := <-sent:
		if err == nil || err.Error() != "the app is quitting; start it again in a moment" {
			t.Fatalf("send to an app that quits while it waits: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not end the wait for Done")
	}
}
