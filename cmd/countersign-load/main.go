// Command countersign-load measures the push server end to end: it starts
// the real server in child processes (real SQLite file or PostgreSQL
// database, real websockets on loopback), activates N simulated devices,
// holds their connections, and drives sign-ins at a fixed rate: the
// relying party creates a request, the device receives it, checks the
// server's signature, answers with the number, and the relying party's
// long-poll sees "approved". It prints the devices held, the servers'
// memory per connected device and the round trip p50/p99, next to a bare
// websocket echo server measured the same way in the same run (the floor).
//
//	countersign-load [-devices 15000] [-rate 1000] [-duration 10s]
//	                 [-instances 2] [-db pg|postgres://...]
//	                 [-knee [-steps 500,1000,...] [-step-duration 3s]]
//
// With -instances N above 1, the figures for one instance and for N
// instances sharing one database are measured in the same run: the devices
// are spread over the instances round-robin, and the sign-ins go to each
// instance in turn, as a round-robin load balancer would send them. -knee
// steps the rate up and reports the highest rate whose p99 is under 50 ms
// with no failures.
//
// The simulated devices stand in for phones, which cannot exist here; the
// server, its database and the network path are the real ones.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
)

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err == nil {
		switch o.role {
		case "push":
			err = servePush(o)
		case "echo":
			err = serveEcho()
		case "":
			// The driver's own garbage collection would stall its thousands of
			// simulated devices and be counted as server latency: it runs
			// without, collecting only between measurements.
			debug.SetGCPercent(-1)
			err = run(o, os.Stdout)
		default:
			err = fmt.Errorf("unknown role %q", o.role)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "countersign-load:", err)
		os.Exit(1)
	}
}

// setup is what the push child tells the driver on its first line.
type setup struct {
	Addr        string   `json:"addr"`
	APIKey      string   `json:"api_key"`
	Activations []string `json:"activations"`
}

// servePush runs the real server for the driver, instance o.index of
// o.of on one database. Instance 0 adds the o.devices users and the
// relying party; each instance makes the activation codes of its share of
// the users (user i is instance i%of's), so that their devices connect to
// it.
func servePush(o options) error {
	if path := os.Getenv(cpuProfileEnv); path != "" {
		// The profiles start when the driver starts the sign-ins
		// (SIGUSR1): the set-up's activations are not in them. Beside the
		// CPU profile, where goroutines waited: on locks (.mutex) and on
		// anything else, channels and I/O included (.block); and what
		// was allocated, at the start (.allocs0) and at the end (.allocs):
		// go tool pprof -sample_index=alloc_space -base NAME.allocs0 NAME.allocs
		name := fmt.Sprintf("%s.%s%d", path, o.prefix, o.index)
		f, err := os.Create(name)
		if err != nil {
			return fmt.Errorf("creating the CPU profile: %w", err)
		}
		start := make(chan os.Signal, 1)
		signal.Notify(start, syscall.SIGUSR1)
		go func() {
			<-start
			runtime.SetMutexProfileFraction(10)
			runtime.SetBlockProfileRate(int(100 * time.Microsecond))
			writeProfile("allocs", name+".allocs0")
			pprof.StartCPUProfile(f)
		}()
		defer func() {
			pprof.StopCPUProfile()
			for _, kind := range []string{"mutex", "block", "allocs"} {
				writeProfile(kind, name+"."+kind)
			}
		}()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening on loopback: %w", err)
	}
	srv, err := server.Open(o.data, server.Config{
		PublicURL: "http://" + ln.Addr().String(),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		// The driver signs each user in about every n/rate seconds.
		RequestsPerMinute: 1000,
		// As countersignd serve: instances on one database share their
		// events, and on PostgreSQL always.
		Shared:      o.of > 1 || o.dbURL != "",
		DatabaseURL: o.dbURL,
	})
	if err != nil {
		return fmt.Errorf("opening the server: %w", err)
	}
	defer srv.Close()
	s := setup{Addr: ln.Addr().String()}
	if o.index == 0 {
		if s.APIKey, _, err = srv.AddRelyingParty(o.prefix+"load", ""); err != nil {
			return fmt.Errorf("adding the relying party: %w", err)
		}
		for i := range o.devices {
			if err := srv.AddUser(userName(o.prefix, i), true); err != nil {
				return fmt.Errorf("adding user %d: %w", i, err)
			}
		}
	}
	for i := o.index; i < o.devices; i += o.of {
		e, err := srv.Enroll(userName(o.prefix, i))
		if err != nil {
			return fmt.Errorf("enrolling user %d: %w", i, err)
		}
		s.Activations = append(s.Activations, e.ActivationURI)
	}
	if err := json.NewEncoder(os.Stdout).Encode(s); err != nil {
		return err
	}
	memProfileOnSignal(fmt.Sprintf("push%s%d", o.prefix, o.index))
	return serveUntilSignal(ln, srv.Handler())
}

// memProfileOnSignal has the child, when asked for (memProfileEnv), write
// its heap profile and say where its memory is at each SIGUSR2, which the
// driver sends once the devices are connected and their memory measured
// (the collection it starts would change the figure).
func memProfileOnSignal(name string) {
	path := os.Getenv(memProfileEnv)
	if path == "" {
		return
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR2)
	go func() {
		for range sig {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			runtime.GC()
			runtime.ReadMemStats(&after)
			file := path + "." + name
			if f, err := os.Create(file); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
			fmt.Fprintf(os.Stderr, "countersign-load: %s: %d goroutines, stacks %d KiB, heap in use %d KiB, live heap %d KiB after a collection (heap profile %s)\n",
				name, runtime.NumGoroutine(), before.StackInuse>>10, before.HeapInuse>>10, after.HeapAlloc>>10, file)
		}
	}()
}

// userName is the name of simulated user i.
func userName(prefix string, i int) string {
	return fmt.Sprintf("%suser%05d", prefix, i)
}

// serveEcho is the floor: a websocket server that echoes every message.
func serveEcho() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	json.NewEncoder(os.Stdout).Encode(setup{Addr: ln.Addr().String()})
	memProfileOnSignal("echo")
	return serveUntilSignal(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(push.MaxFrameSize)
		for {
			typ, data, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, data); err != nil {
				return
			}
		}
	}))
}

func serveUntilSignal(ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(ctx)
	return nil
}

// cpuProfileEnv names the file prefix of the server children's CPU
// profiles, taken while the sign-ins are driven.
// writeProfile writes the runtime profile kind to the file path; a profile
// it cannot write is left out (they are for a developer's eyes only).
func writeProfile(kind, path string) {
	out, err := os.Create(path)
	if err != nil {
		return
	}
	defer out.Close()
	pprof.Lookup(kind).WriteTo(out, 0)
}

const cpuProfileEnv = "COUNTERSIGN_LOAD_CPUPROFILE"

// child is a server process started by the driver.
type child struct {
	cmd   *exec.Cmd
	setup setup
}

// cpu returns the CPU time (user and system) the child has used so far,
// from /proc/PID/stat, which counts it in clock ticks of 1/100 s (USER_HZ
// on Linux).
func (c *child) cpu() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: the fields
	// counted by proc(5) start after its closing parenthesis.
	end := strings.LastIndexByte(string(data), ')')
	if end < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", c.cmd.Process.Pid)
	}
	fields := strings.Fields(string(data[end+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", c.cmd.Process.Pid, len(fields))
	}
	// utime and stime are fields 14 and 15, the 12th and 13th after the name.
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", c.cmd.Process.Pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// childrenCPU is the CPU time children have used so far (0 for one whose
// figure cannot be read: the report then shows less, never a failure).
func childrenCPU(children []*child) time.Duration {
	var total time.Duration
	for _, c := range children {
		if d, err := c.cpu(); err == nil {
			total += d
		}
	}
	return total
}

// selfCPU is the CPU time (user and system) the driver has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// memProfileEnv names the file prefix of the server children's heap
// profiles, taken once the devices are connected.
const memProfileEnv = "COUNTERSIGN_LOAD_MEMPROFILE"

// memProfiles has the children write their heap profiles, when asked for
// (memProfileEnv), and waits a moment for them.
func memProfiles(children []*child) {
	if os.Getenv(memProfileEnv) == "" {
		return
	}
	for _, c := range children {
		c.cmd.Process.Signal(syscall.SIGUSR2)
	}
	time.Sleep(2 * time.Second)
}

// startProfiles has push server children start their CPU profiles, when
// asked for (cpuProfileEnv).
func startProfiles(children []*child) {
	if os.Getenv(cpuProfileEnv) == "" {
		return
	}
	for _, c := range children {
		c.cmd.Process.Signal(syscall.SIGUSR1)
	}
}

// startChild starts the tool itself as a server child; dbURL, if any, goes
// in its environment.
func startChild(role, dbURL string, args ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, append([]string{"-role", role}, args...)...)
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), dbEnv+"="+dbURL)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReaderSize(out, 1<<20).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return nil, fmt.Errorf("the %s server did not start: %w", role, err)
	}
	c := &child{cmd: cmd}
	if err := json.Unmarshal([]byte(line), &c.setup); err != nil {
		cmd.Process.Kill()
		return nil, err
	}
	return c, nil
}

// rss returns the child's resident memory in bytes.
func (c *child) rss() (int64, error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(c.cmd.Process.Pid), "status"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for process %d", c.cmd.Process.Pid)
}

func (c *child) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
	}
}
