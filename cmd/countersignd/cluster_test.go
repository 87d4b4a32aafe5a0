package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/countersign/countersign/internal/pgtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/store"
)

// A cluster is two countersignd instances sharing one database behind a
// real HAProxy (Debian's), as the README's configuration runs them.
type cluster struct {
	t         *testing.T
	dir       string
	db        string // a PostgreSQL URL, or "" for the SQLite file in dir
	lb        string // http://127.0.0.1:PORT, the public URL
	ports     [2]int
	instances [2]*served
	keys      []string // applications' API keys: each may ask 10 sign-ins a minute of a user
	next      atomic.Int32
	client    *http.Client
}

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// haproxyConfig is the README's configuration with the test's ports.
const haproxyConfig = `global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 70s
    timeout server 70s
    timeout tunnel 1h
    retries 3
    option redispatch
    option http-server-close
frontend countersign
    bind 127.0.0.1:%d
    default_backend countersignd
backend countersignd
    balance roundrobin
    option httpchk GET /openapi.yaml
    option forwardfor
    default-server inter 200ms fall 1 rise 1
    server a 127.0.0.1:%d check
    server b 127.0.0.1:%d check
`

// onBothDatabases runs a cluster test on one SQLite file and on a
// PostgreSQL database (a private cluster: internal/pgtest).
func onBothDatabases(t *testing.T, test func(t *testing.T, c *cluster)) {
	t.Run("SQLite", func(t *testing.T) { test(t, startCluster(t, "")) })
	t.Run("PostgreSQL", func(t *testing.T) { test(t, startCluster(t, pgtest.URL(t))) })
}

// admin runs an admin command on the cluster's data.
func (c *cluster) admin(args ...string) string {
	c.t.Helper()
	args = append(args, "--data", c.dir)
	if c.db != "" {
		args = append(args, "--db", c.db)
	}
	return must(c.t, args...)
}

func startCluster(t *testing.T, db string) *cluster {
	t.Helper()
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatal("haproxy is not installed; make test installs it (scripts/deps.sh test), or: apt-get install haproxy")
	}
	c := &cluster{t: t, dir: t.TempDir(), db: db, client: &http.Client{Timeout: 80 * time.Second}}
	lbPort := freePort(t)
	c.lb = fmt.Sprintf("http://127.0.0.1:%d", lbPort)
	c.ports = [2]int{freePort(t), freePort(t)}
	cfg := filepath.Join(c.dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, haproxyConfig, lbPort, c.ports[0], c.ports[1]), 0o600); err != nil {
		t.Fatal(err)
	}
	c.admin("user", "add", "ada")
	for i := range 10 {
		rpOut := strings.Split(strings.TrimSpace(c.admin("rp", "add", fmt.Sprintf("shop%d", i))), "\n")
		c.keys = append(c.keys, rpOut[len(rpOut)-1])
	}
	for i := range c.instances {
		c.start(i)
	}
	lb := exec.Command(haproxy, "-f", cfg, "-db")
	lb.Stdout, lb.Stderr = os.Stderr, os.Stderr
	if err := lb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Process.Kill(); lb.Wait() })
	c.waitHealthy()
	return c
}

// start starts instance i on its port.
func (c *cluster) start(i int) {
	args := []string{"--addr", fmt.Sprintf("127.0.0.1:%d", c.ports[i]), "--data", c.dir, "--shared",
		"--public-url", c.lb, "--max-conns-per-ip", "0", "--trusted-proxy", "127.0.0.1"}
	if c.db != "" {
		args = append(args, "--db", c.db)
	}
	c.instances[i] = serve(c.t, args...)
}

// waitHealthy waits until the load balancer answers through every instance.
func (c *cluster) waitHealthy() {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for ok := 0; ok < 4; {
		resp, err := c.client.Get(c.lb + "/openapi.yaml")
		if err == nil {
			resp.Body.Close()
		}
		if err == nil && resp.StatusCode == 200 {
			ok++
		} else {
			ok = 0
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the load balancer does not answer: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // both marked up (checks every 200 ms)
}

// holding waits until an instance (want, or any if want is -1) logged
// that the device connected to it and has not since logged it gone, and
// returns that instance.
func (c *cluster) holding(deviceID string, want int) int {
	c.t.Helper()
	connected := regexp.MustCompile(`msg="device (connected|disconnected)" device=` + deviceID)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for i, s := range c.instances {
			m := connected.FindAllStringSubmatch(s.logs(), -1)
			if len(m) > 0 && m[len(m)-1][1] == "connected" && (want == -1 || want == i) {
				return i
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("no instance holds device %s (want %d):\n%s\n%s", deviceID, want, c.instances[0].logs(), c.instances[1].logs())
	return -1
}

// signIn creates a sign-in through the load balancer, for the next
// application in turn; the key goes with the request.
func (c *cluster) signIn() (push.AuthRequestState, string, error) {
	key := c.keys[int(c.next.Add(1))%len(c.keys)]
	var st push.AuthRequestState
	code, err := apiQuiet(c.client, key, "POST", c.lb+"/v1/auth-requests", push.AuthRequestBody{User: "ada", Context: push.Context{App: "Shop"}}, &st)
	if err != nil {
		return st, key, err
	}
	if code != 201 {
		return st, key, fmt.Errorf("HTTP %d", code)
	}
	return st, key, nil
}

// result long-polls a request through the load balancer until it is
// decided, as a relying party does (a long-poll cut by a restarting
// instance is simply asked again).
func (c *cluster) result(key, id string, within time.Duration) push.AuthRequestState {
	deadline := time.Now().Add(within)
	var st push.AuthRequestState
	for time.Now().Before(deadline) {
		st = push.AuthRequestState{}
		code, _ := apiQuiet(c.client, key, "GET", c.lb+"/v1/auth-requests/"+id+"?wait=10s", nil, &st)
		if code == 200 && st.Status != push.StatusPending {
			return st
		}
		if code != 200 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	return st
}

// answeringDevice is a real device client that approves every sign-in
// with the number the relying party shows (numbers[id]).
type answeringDevice struct {
	act     device.Activated
	client  *device.Client
	numbers sync.Map // request id -> number
	seen    chan push.Request
}

func (c *cluster) activate(autoApprove bool) *answeringDevice {
	c.t.Helper()
	var enr struct {
		ActivationURI string `json:"activation_uri"`
	}
	if err := json.Unmarshal([]byte(c.admin("enroll", "ada", "--json", "--public-url", c.lb)), &enr); err != nil {
		c.t.Fatal(err)
	}
	act, err := push.ParseActivationURI(enr.ActivationURI)
	if err != nil {
		c.t.Fatal(err)
	}
	a, err := device.Activate(context.Background(), c.client, act, "phone")
	if err != nil {
		c.t.Fatal(err)
	}
	d := &answeringDevice{act: a, seen: make(chan push.Request, 1000)}
	d.client = device.NewClient(a.Enrollment, a.PrivateKey, func(ev device.Event) {
		if ev.Kind != device.EventRequest {
			return
		}
		d.seen <- ev.Request
		if !autoApprove {
			return
		}
		go func(r push.Request) {
			for range 100 {
				if n, ok := d.numbers.Load(r.ID); ok {
					d.client.Answer(context.Background(), r, push.Approve, "", n.(string))
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}(ev.Request)
	})
	ctx, cancel := context.WithCancel(context.Background())
	c.t.Cleanup(cancel)
	go d.client.Run(ctx)
	return d
}

// decisions counts the recorded outcomes of request id.
func (c *cluster) decisions(id string) int {
	c.t.Helper()
	where := filepath.Join(c.dir, "countersign.db")
	if c.db != "" {
		where = c.db
	}
	st, err := store.Open(where)
	if err != nil {
		c.t.Fatal(err)
	}
	defer st.Close()
	events, err := st.AuditEvents("ada")
	if err != nil {
		c.t.Fatal(err)
	}
	n := 0
	for _, ev := range events {
		if ev.Kind == store.AuditAuthentication && ev.Detail["request"] == id {
			n++
		}
	}
	return n
}

// TestClusterSurvivesKill9: the instance a device is connected to dies
// (kill -9) in the middle of a sign-in; the device reconnects through the
// load balancer to the other, the request is still answered, once.
func TestClusterSurvivesKill9(t *testing.T) { onBothDatabases(t, clusterSurvivesKill9) }

func clusterSurvivesKill9(t *testing.T, c *cluster) {
	d := c.activate(false)
	st, key, err := c.signIn()
	if err != nil {
		t.Fatal(err)
	}
	first := waitRequest(t, d.seen, st.ID)
	victim := c.holding(d.act.DeviceID, -1)
	c.instances[victim].cmd.Process.Kill() // SIGKILL: no goodbye to anyone
	// The device notices, reconnects through the load balancer to the
	// survivor (which gives it the pending request again; the client
	// knows it already), and the user's answer goes there.
	c.holding(d.act.DeviceID, 1-victim)
	if err := d.client.Answer(context.Background(), first, push.Approve, "", st.Number); err != nil {
		t.Fatal(err)
	}
	if got := c.result(key, st.ID, 20*time.Second); got.Status != push.StatusApproved {
		t.Fatalf("the relying party sees %+v", got)
	}
	if n := c.decisions(st.ID); n != 1 {
		t.Fatalf("%d decisions recorded, want 1", n)
	}
}

// TestClusterRollingRestart restarts both instances one after the other
// under a steady trickle of sign-ins: none fails.
func TestClusterRollingRestart(t *testing.T) { onBothDatabases(t, clusterRollingRestart) }

func clusterRollingRestart(t *testing.T, c *cluster) {
	d := c.activate(true)
	var made, approved, failed atomic.Int32
	var failures sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			st, key, err := c.signIn()
			made.Add(1)
			if err != nil {
				failed.Add(1)
				failures.Store(made.Load(), "create: "+err.Error())
				continue
			}
			d.numbers.Store(st.ID, st.Number)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if got := c.result(key, st.ID, 60*time.Second); got.Status == push.StatusApproved {
					approved.Add(1)
				} else {
					failed.Add(1)
					failures.Store(st.ID, fmt.Sprintf("%+v", got))
				}
			}()
		}
	}()
	time.Sleep(2 * time.Second)
	for i := range c.instances {
		c.instances[i].stop(t) // SIGTERM: a graceful stop
		c.start(i)
		c.waitHealthy()
		time.Sleep(2 * time.Second)
	}
	close(stop)
	wg.Wait()
	failures.Range(func(k, v any) bool {
		t.Errorf("sign-in %v failed: %v", k, v)
		return true
	})
	if made.Load() < 15 || failed.Load() != 0 || approved.Load() != made.Load() {
		t.Fatalf("%d sign-ins through a rolling restart: %d approved, %d failed; want all approved", made.Load(), approved.Load(), failed.Load())
	}
	t.Logf("%d sign-ins during a rolling restart of two instances, all approved", made.Load())
}

func waitRequest(t *testing.T, seen chan push.Request, id string) push.Request {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case r := <-seen:
			if r.ID == id {
				return r
			}
		case <-timeout:
			t.Fatalf("request %s did not reach the device within 30 s", id)
		}
	}
}
