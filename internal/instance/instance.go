// Package instance keeps one Countersign app per vault. The first process
// to start on a vault directory takes a lock there and listens on a local
// socket; a later start finds the lock taken, hands what it was started
// with over through the socket (show the window, scan the screen, add a
// URI) and exits.
//
// Files, in the vault directory (made 0700, owner only):
//
//	instance.lock   held with an exclusive lock (flock, LockFileEx) for the
//	                whole life of the running app; it holds {"version", "pid",
//	                "socket"}, written once the socket listens. The lock ends
//	                with the process, however it ends, so a killed app
//	                leaves no lock behind. The file itself is never removed.
//	instance.sock   the socket (mode 0600), when its path is short enough
//	                for a Unix socket address and the directory is private;
//	                else a socket named after the vault in a private runtime
//	                directory ($XDG_RUNTIME_DIR/countersign, else
//	                countersign-UID in the temporary directory, 0700).
//
// A socket left by a killed process is removed by the next one to hold the
// lock. Where the file system has no locks, a socket that no one answers
// on counts as stale.
//
// The protocol is one JSON object on a line each way: a Request, then a
// Reply. Both carry Version; a running app answers a request of another
// version with an error saying so. With Server.AwaitDone, the reply waits
// until the app has acted on the request (Request.Done), so a later start
// does not exit as if a window had shown that never did. Requests hold secrets (otpauth URIs):
// they go only to a socket of the same user, in a directory only that user
// may enter, and on Linux each side checks the other's user id.
package instance

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Version is the version of the protocol this package speaks.
const Version = 1

// File names in the vault directory.
const (
	LockFileName   = "instance.lock"
	SocketFileName = "instance.sock"
)

// Limits of the protocol.
const (
	// MaxMessage bounds one message (a Google Authenticator export URI is
	// a few KiB; a request holds at most MaxURIs of them).
	MaxMessage = 1 << 20
	// MaxURIs bounds the URIs of one request.
	MaxURIs = 64
	// ioTimeout bounds a whole exchange on the running side.
	ioTimeout = 5 * time.Second
	// queueLen is how many requests wait for the app to take them.
	queueLen = 16
)

// maxSocketPath is the longest socket path the platform takes (sun_path
// holds 108 bytes on Linux, 104 on macOS and the BSDs, with a final NUL).
const maxSocketPath = 103

// Request is what a later start of the app asks of the running one. The
// window is always shown and raised.
type Request struct {
	Version int `json:"version"`
	// Scan asks it to scan the screen for a QR code, as --scan does.
	Scan bool `json:"scan,omitempty"`
	// URIs are otpauth://, otpauth-migration:// or countersign://activate
	// URIs to handle as if the running app had been started with them.
	URIs []string `json:"uris,omitempty"`

	// done, set by the Server, tells it the app has acted on the request.
	done func()
}

// Done tells the start that sent r that the running app has acted on it
// (shown its window and begun what it asked). The app calls it once it
// has, from its UI goroutine; with Server.AwaitDone, that start waits for
// it before it exits. Calling it more than once, or on a request that did
// not come from a Server, does nothing.
func (r Request) Done() {
	if r.done != nil {
		r.done()
	}
}

// Reply is the running app's answer.
type Reply struct {
	Version int `json:"version"`
	// PID is the running app's process id.
	PID int `json:"pid"`
	// Error says why the request was refused; empty when it was taken.
	Error string `json:"error,omitempty"`
}

// lockInfo is what the lock file holds once the socket listens.
type lockInfo struct {
	Version int    `json:"version"`
	PID     int    `json:"pid"`
	Socket  string `json:"socket"`
}

// RunningError is returned by Claim when another process is the app of
// the vault: hand over to it with Send.
type RunningError struct {
	Dir string
	PID int // 0 when not known yet
}

// Error names the vault's folder and, when known, the running app's process.
func (e *RunningError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("Countersign is already running for the vault in %s (process %d)", e.Dir, e.PID)
	}
	return fmt.Sprintf("Countersign is already running for the vault in %s", e.Dir)
}

// Server is the running app's side: it holds the vault's lock and takes
// requests on the socket until Close.
type Server struct {
	dir      string
	lock     *os.File
	ln       net.Listener
	socket   string
	requests chan Request
	wg       sync.WaitGroup
	once     sync.Once
	// awaitDone is how long a later start waits for Request.Done (0: not
	// at all); closing, closed by Close, ends those waits.
	awaitDone atomic.Int64
	closing   chan struct{}
}

// maxAwaitDone bounds AwaitDone: the reply must be written within the
// exchange's ioTimeout.
const maxAwaitDone = ioTimeout - time.Second

// AwaitDone makes each later start wait up to d (at most 4 s) for the app
// to call Done on its request, and say that the app did not act when it
// has not: a running app whose window can no longer show (stuck, or
// waiting on something) is then not taken to have shown it. With d 0, the
// default, a request is answered as soon as it is queued.
func (s *Server) AwaitDone(d time.Duration) {
	s.awaitDone.Store(int64(min(d, maxAwaitDone)))
}

// Claim makes this process the app of the vault in dir (created 0700 if
// missing), or returns a *RunningError when another process is. It starts
// taking requests at once; read them from Requests.
func Claim(dir string) (*Server, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := privateDir(dir); err != nil {
		return nil, fmt.Errorf("creating the vault directory: %w", err)
	}
	lockPath := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", lockPath, err)
	}
	switch err := tryLock(f); {
	case errors.Is(err, errBusy):
		f.Close()
		info, _ := readLockInfo(dir)
		return nil, &RunningError{Dir: dir, PID: info.PID}
	case errors.Is(err, errNoLocks):
		// No locks on this file system: someone answering on the socket is
		// the running app; a socket no one answers on is stale.
		if info, err := readLockInfo(dir); err == nil && info.Socket != "" {
			if c, err := dialOnce(info.Socket); err == nil {
				c.Close()
				f.Close()
				return nil, &RunningError{Dir: dir, PID: info.PID}
			}
		}
	case err != nil:
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", lockPath, err)
	}

	s := &Server{dir: dir, lock: f, requests: make(chan Request, queueLen), closing: make(chan struct{})}
	if err := s.listen(); err != nil {
		f.Close()
		return nil, err
	}
	info, _ := json.Marshal(lockInfo{Version: Version, PID: os.Getpid(), Socket: s.socket})
	if err := writeLockInfo(f, append(info, '\n')); err != nil {
		s.ln.Close()
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", lockPath, err)
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// listen removes a stale socket (this process holds the lock) and listens
// on the first socket path that works.
func (s *Server) listen() error {
	var errs []error
	for _, path := range socketPaths(s.dir) {
		if err := removeStale(path); err != nil {
			errs = append(errs, err)
			continue
		}
		ln, err := net.Listen("unix", path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// The directory already keeps others out; the mode says so too.
		if err := os.Chmod(path, 0o600); err != nil && runtime.GOOS != "windows" {
			ln.Close()
			errs = append(errs, err)
			continue
		}
		s.ln, s.socket = ln, path
		return nil
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New("no private directory for it"))
	}
	return fmt.Errorf("cannot listen for later starts of the app: %w", errors.Join(errs...))
}

// removeStale removes a socket left at path by a process that ended; it
// refuses to remove anything else.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s is in the way: it is not a socket (remove it if Countersign is not running)", path)
	}
	return os.Remove(path)
}

// Requests returns the requests of later starts, in order. It is closed
// after Close.
func (s *Server) Requests() <-chan Request { return s.requests }

// Socket returns the socket's path.
func (s *Server) Socket() string { return s.socket }

// Close stops taking requests, removes the socket and releases the lock.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closing)   // ends the waits for Done
		err = s.ln.Close() // removes the socket file
		s.wg.Wait()
		close(s.requests)
		// The lock file stays: removing it would let a process that opened
		// it before the removal and one that creates it anew both lock.
		s.lock.Truncate(0)
		s.lock.Close()
	})
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(50 * time.Millisecond) // e.g. out of file descriptors
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.serve(c)
		}()
	}
}

// serve takes one request and answers it.
func (s *Server) serve(c net.Conn) {
	c.SetDeadline(time.Now().Add(ioTimeout))
	if err := checkPeer(c); err != nil {
		return // another user (root): say nothing
	}
	reply := Reply{Version: Version, PID: os.Getpid()}
	req, err := readRequest(c)
	if err != nil {
		reply.Error = err.Error()
	} else {
		done := make(chan struct{})
		req.done = sync.OnceFunc(func() { close(done) })
		select {
		case s.requests <- req:
			reply.Error = s.waitDone(done)
		default:
			reply.Error = "the app is busy with earlier requests; try again"
		}
	}
	writeMessage(c, reply)
}

// waitDone waits, as AwaitDone says, for the request whose Done closes
// done, and returns what to tell its sender when the app did not act.
func (s *Server) waitDone(done <-chan struct{}) string {
	wait := time.Duration(s.awaitDone.Load())
	if wait <= 0 {
		return ""
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-done:
		return ""
	case <-s.closing:
		return "the app is quitting; start it again in a moment"
	case <-timer.C:
		pid := os.Getpid()
		return fmt.Sprintf("it took the request but did not act on it within %v: it may be waiting for the keyring, or stuck; if its window does not show, end it (kill %d) and start the app again", wait, pid)
	}
}

// readRequest reads and checks one request.
func readRequest(r io.Reader) (Request, error) {
	line, err := readLine(r)
	if err != nil {
		return Request{}, err
	}
	var probe struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return Request{}, fmt.Errorf("the request is not valid JSON")
	}
	if probe.Version != Version {
		return Request{}, fmt.Errorf("protocol version %d is not understood: the running Countersign (process %d) speaks version %d; quit it and start the app again",
			probe.Version, os.Getpid(), Version)
	}
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		return Request{}, fmt.Errorf("the request is not valid: %v", err)
	}
	if len(req.URIs) > MaxURIs {
		return Request{}, fmt.Errorf("%d URIs in one request; at most %d", len(req.URIs), MaxURIs)
	}
	return req, nil
}

// readLine reads one message line of at most MaxMessage bytes.
func readLine(r io.Reader) ([]byte, error) {
	line, err := bufio.NewReader(io.LimitReader(r, MaxMessage+1)).ReadBytes('\n')
	if len(line) > MaxMessage {
		return nil, fmt.Errorf("the message is longer than %d bytes", MaxMessage)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the message ended early")
		}
		return nil, err
	}
	return line, nil
}

func writeMessage(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Send hands req over to the app running on the vault in dir and returns
// its reply. It waits up to timeout for the socket: the app may have taken
// the lock an instant before it listens.
func Send(dir string, req Request, timeout time.Duration) (Reply, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return Reply{}, err
	}
	req.Version = Version
	deadline := time.Now().Add(timeout)
	var c net.Conn
	for {
		var paths []string
		if info, err := readLockInfo(dir); err == nil && info.Socket != "" {
			paths = append(paths, info.Socket)
		}
		paths = append(paths, socketPaths(dir)...)
		err = errors.New("no place for its socket")
		for _, p := range paths {
			if c, err = dialOnce(p); err == nil {
				break
			}
		}
		if c != nil {
			break
		}
		if time.Now().After(deadline) {
			return Reply{}, fmt.Errorf("no answer on its socket within %v: %w", timeout.Round(time.Second), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer c.Close()
	if err := checkPeer(c); err != nil {
		return Reply{}, err // never send secrets to another user
	}
	c.SetDeadline(time.Now().Add(max(time.Until(deadline), ioTimeout)))
	if err := writeMessage(c, req); err != nil {
		return Reply{}, fmt.Errorf("sending the request: %w", err)
	}
	line, err := readLine(c)
	if err != nil {
		return Reply{}, fmt.Errorf("reading the answer: %w", err)
	}
	var reply Reply
	if err := json.Unmarshal(line, &reply); err != nil {
		return Reply{}, errors.New("its answer is not valid JSON")
	}
	if reply.Error != "" {
		return reply, errors.New(reply.Error)
	}
	if reply.Version != Version {
		return reply, fmt.Errorf("it speaks protocol version %d, this one %d", reply.Version, Version)
	}
	return reply, nil
}

// dialOnce connects to the socket at path.
func dialOnce(path string) (net.Conn, error) {
	return net.DialTimeout("unix", path, time.Second)
}

// socketPaths are where the socket of the vault in dir may be, best first:
// in the vault directory when it is private and the path fits, else in a
// private runtime directory, named after the vault.
func socketPaths(dir string) []string {
	var paths []string
	if p := filepath.Join(dir, SocketFileName); len(p) <= maxSocketPath && isPrivateDir(dir) {
		paths = append(paths, p)
	}
	if rd, err := runtimeDir(); err == nil {
		sum := sha256.Sum256([]byte(dir))
		if p := filepath.Join(rd, hex.EncodeToString(sum[:12])+".sock"); len(p) <= maxSocketPath {
			paths = append(paths, p)
		}
	}
	return paths
}

// runtimeDir returns a directory only this user may enter, for sockets:
// $XDG_RUNTIME_DIR/countersign, else countersign-UID in the temporary
// directory. It is created if missing and checked (owner, mode, not a
// link): a directory another user made could hand them our requests.
func runtimeDir() (string, error) {
	var dir string
	if xdg := os.Getenv("XDG_RUNTIME_DIR"); xdg != "" && filepath.IsAbs(xdg) {
		dir = filepath.Join(xdg, "countersign")
	} else {
		dir = filepath.Join(os.TempDir(), "countersign-"+strconv.Itoa(os.Getuid()))
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	if !isPrivateDir(dir) {
		return "", fmt.Errorf("%s is not a private directory of this user", dir)
	}
	return dir, nil
}

// privateDir creates dir 0700, or makes an existing one 0700, as the vault does.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		_ = os.Chmod(dir, 0o700) // a file system without modes keeps its own
	}
	return nil
}

// readLockInfo reads what the running app wrote in the lock file.
func readLockInfo(dir string) (lockInfo, error) {
	b, err := os.ReadFile(filepath.Join(dir, LockFileName))
	if err != nil {
		return lockInfo{}, err
	}
	var info lockInfo
	if err := json.Unmarshal(bytes.TrimSpace(b), &info); err != nil {
		return lockInfo{}, err
	}
	return info, nil
}

// writeLockInfo replaces the lock file's content.
func writeLockInfo(f *os.File, b []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		return err
	}
	return f.Sync()
}
