// Command countersign-load measures the push server end to end: it starts
// a real server in a child process (real SQLite file, real websockets on
// loopback), activates N simulated devices, holds their connections, and
// drives sign-ins at a fixed rate: the relying party creates a request, the
// device receives it, checks the server's signature, answers with the
// number, and the relying party's long-poll sees "approved". It prints the
// devices held, the server's memory per connected device and the round
// trip p50/p99, next to a bare websocket echo server measured the same way
// in the same run (the floor).
//
//	countersign-load [-devices 15000] [-rate 1000] [-duration 10s]
//
// The simulated devices stand in for phones, which cannot exist here; the
// server, its database and the network path are the real ones.
package main

import (
	"bufio"
	"context"
	"encoding/json"
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
	role := flag.String("role", "", "internal: run as the child server (push or echo)")
	data := flag.String("data", "", "internal: the child's data directory")
	devices := flag.Int("devices", 1000, "simulated devices to activate and keep connected")
	rate := flag.Int("rate", 100, "sign-ins per second")
	duration := flag.Duration("duration", 10*time.Second, "how long to drive sign-ins")
	flag.Parse()
	var err error
	switch *role {
	case "push":
		err = servePush(*data, *devices)
	case "echo":
		err = serveEcho()
	case "":
		// The driver's own garbage collection would stall its thousands of
		// simulated devices and be counted as server latency: it runs without
		// (a run of a few minutes needs a few GiB).
		debug.SetGCPercent(-1)
		var r report
		r, err = run(config{devices: *devices, rate: *rate, duration: *duration})
		if err == nil {
			r.print(os.Stdout)
		}
	default:
		err = fmt.Errorf("unknown role %q", *role)
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

// servePush runs the real server for the driver: n users, each with an
// activation code, and one relying party.
func servePush(dataDir string, n int) error {
	if path := os.Getenv("COUNTERSIGN_LOAD_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv, err := server.Open(dataDir, server.Config{
		PublicURL: "http://" + ln.Addr().String(),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		// The driver signs each user in about every n/rate seconds.
		RequestsPerMinute: 1000,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	key, _, err := srv.AddRelyingParty("load", "")
	if err != nil {
		return err
	}
	s := setup{Addr: ln.Addr().String(), APIKey: key}
	for i := range n {
		user := fmt.Sprintf("user%05d", i)
		if err := srv.AddUser(user, true); err != nil {
			return err
		}
		e, err := srv.Enroll(user)
		if err != nil {
			return err
		}
		s.Activations = append(s.Activations, e.ActivationURI)
	}
	if err := json.NewEncoder(os.Stdout).Encode(s); err != nil {
		return err
	}
	return serveUntilSignal(ln, srv.Handler())
}

// serveEcho is the floor: a websocket server that echoes every message.
func serveEcho() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	json.NewEncoder(os.Stdout).Encode(setup{Addr: ln.Addr().String()})
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

// child is a server process started by the driver.
type child struct {
	cmd   *exec.Cmd
	setup setup
}

func startChild(role, dataDir string, devices int) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-role", role, "-data", dataDir, "-devices", strconv.Itoa(devices))
	cmd.Stderr = os.Stderr
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
