package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
)

// config is one load run.
type config struct {
	devices  int
	rate     int
	duration time.Duration
}

// report holds the figures of a run: the push server and the echo floor.
type report struct {
	cfg        config
	push, echo measurement
}

// measurement is one server's figures.
type measurement struct {
	held         int
	bytesPerConn float64
	rssIdle      int64 // before the devices connect
	rssHeld      int64 // with every device connected
	done, failed int
	p50, p99     time.Duration
	achieved     float64 // round trips completed per second of driving
}

func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "countersign-load: %d devices, %d sign-ins/s for %s\n", r.cfg.devices, r.cfg.rate, r.cfg.duration)
	fmt.Fprintf(w, "%-22s %10s %12s %12s %10s %10s %10s %8s\n", "server", "held", "KiB/device", "RSS MiB", "done/s", "p50", "p99", "failed")
	for _, m := range []struct {
		name string
		m    measurement
	}{{"countersignd (push)", r.push}, {"websocket echo (floor)", r.echo}} {
		fmt.Fprintf(w, "%-22s %10d %12.1f %12.1f %10.1f %10s %10s %8d\n", m.name, m.m.held, m.m.bytesPerConn/1024,
			float64(m.m.rssHeld)/(1<<20), m.m.achieved, m.m.p50.Round(10*time.Microsecond), m.m.p99.Round(10*time.Microsecond), m.m.failed)
	}
	if r.echo.bytesPerConn > 0 && r.echo.p50 > 0 {
		fmt.Fprintf(w, "ratios push/floor: memory per device %.2fx, p50 %.2fx, p99 %.2fx\n",
			r.push.bytesPerConn/r.echo.bytesPerConn, float64(r.push.p50)/float64(r.echo.p50), float64(r.push.p99)/float64(r.echo.p99))
	}
}

func run(cfg config) (report, error) {
	r := report{cfg: cfg}
	dir, err := os.MkdirTemp("", "countersign-load-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	if r.push, err = runPush(cfg, dir); err != nil {
		return r, fmt.Errorf("push: %w", err)
	}
	if r.echo, err = runEcho(cfg); err != nil {
		return r, fmt.Errorf("echo floor: %w", err)
	}
	return r, nil
}

var httpClient = &http.Client{
	Timeout: 30 * time.Second,
	// Bounded, like a relying party's own pool: the server's file
	// descriptors go to the devices.
	Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256, IdleConnTimeout: time.Minute},
}

// simDevice is one simulated phone: a real device client that approves
// every request with the number the relying party got.
type simDevice struct {
	client *device.Client
}

// numbers tells devices the number of each request, as the user would read
// it on the sign-in screen.
type numbers struct {
	mu sync.Mutex
	m  map[string]chan string
}

func (n *numbers) ch(id string) chan string {
	n.mu.Lock()
	defer n.mu.Unlock()
	c, ok := n.m[id]
	if !ok {
		c = make(chan string, 1)
		n.m[id] = c
	}
	return c
}

func runPush(cfg config, dir string) (measurement, error) {
	var m measurement
	c, err := startChild("push", dir, cfg.devices)
	if err != nil {
		return m, err
	}
	defer c.stop()
	if m.rssIdle, err = c.rss(); err != nil {
		return m, err
	}
	// Activate every device (8 at a time), then connect them all.
	acts := make([]device.Activated, len(c.setup.Activations))
	var firstErr atomic.Value
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				act, err := push.ParseActivationURI(c.setup.Activations[i])
				if err == nil {
					acts[i], err = device.Activate(context.Background(), httpClient, act, "load")
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	for i := range acts {
		work <- i
	}
	close(work)
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return m, fmt.Errorf("activating: %w", err)
	}

	nums := &numbers{m: map[string]chan string{}}
	var connected atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, a := range acts {
		var d *simDevice
		d = &simDevice{client: device.NewClient(a.Enrollment, a.PrivateKey, func(ev device.Event) {
			switch {
			case ev.Kind == device.EventState && ev.State == device.Connected:
				connected.Add(1)
			case ev.Kind == device.EventRequest:
				go func() {
					select {
					case n := <-nums.ch(ev.Request.ID):
						d.client.Answer(ctx, ev.Request, push.Approve, "", n)
					case <-time.After(10 * time.Second):
					}
				}()
			}
		})}
		go d.client.Run(ctx)
		time.Sleep(50 * time.Microsecond) // spread the handshakes a little
	}
	deadline := time.Now().Add(5*time.Minute + time.Duration(cfg.devices)*time.Millisecond)
	for connected.Load() < int64(cfg.devices) {
		if time.Now().After(deadline) {
			return m, fmt.Errorf("only %d of %d devices connected", connected.Load(), cfg.devices)
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.held = int(connected.Load())
	time.Sleep(2 * time.Second) // let the server settle
	if m.rssHeld, err = c.rss(); err != nil {
		return m, err
	}
	m.bytesPerConn = float64(m.rssHeld-m.rssIdle) / float64(m.held)

	base := "http://" + c.setup.Addr
	roundTrip := func(i int) (time.Duration, error) {
		user := fmt.Sprintf("user%05d", i%cfg.devices)
		start := time.Now()
		var st push.AuthRequestState
		if err := apiCall(c.setup.APIKey, "POST", base+"/v1/auth-requests", push.AuthRequestBody{User: user, Context: push.Context{App: "load"}}, &st, http.StatusCreated); err != nil {
			return 0, err
		}
		created := time.Since(start)
		nums.ch(st.ID) <- st.Number
		if err := apiCall(c.setup.APIKey, "GET", base+"/v1/auth-requests/"+st.ID+"?wait=20s", nil, &st, http.StatusOK); err != nil {
			return 0, err
		}
		if st.Status != push.StatusApproved {
			return 0, fmt.Errorf("request ended %s", st.Status)
		}
		if os.Getenv("COUNTERSIGN_LOAD_TRACE") != "" && time.Since(start) > 40*time.Millisecond {
			fmt.Fprintf(os.Stderr, "slow: create %v total %v\n", created, time.Since(start))
		}
		return time.Since(start), nil
	}
	drive(cfg, roundTrip, &m)
	return m, nil
}

func apiCall(key, method, url string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: HTTP %d %s", method, url, resp.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}

// drive runs roundTrip at cfg.rate per second for cfg.duration, each in its
// own goroutine, and records the latencies.
func drive(cfg config, roundTrip func(i int) (time.Duration, error), m *measurement) {
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	var firstErr error
	interval := time.Second / time.Duration(max(cfg.rate, 1))
	total := int(cfg.duration / interval)
	start := time.Now()
	for i := range total {
		// Keep to the schedule even when a start is late: no tick is dropped.
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := roundTrip(i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				m.failed++
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			lat = append(lat, d)
		}()
	}
	issued := time.Since(start)
	wg.Wait()
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "countersign-load: first failure:", firstErr)
	}
	slices.Sort(lat)
	m.done = len(lat)
	m.achieved = float64(len(lat)) / max(issued.Seconds(), interval.Seconds())
	if len(lat) > 0 {
		m.p50 = lat[len(lat)/2]
		m.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
}

// runEcho measures the floor: the same number of websocket connections to
// an echo server, and a message round trip at the same rate.
func runEcho(cfg config) (measurement, error) {
	var m measurement
	c, err := startChild("echo", "", 0)
	if err != nil {
		return m, err
	}
	defer c.stop()
	if m.rssIdle, err = c.rss(); err != nil {
		return m, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conns := make([]*websocket.Conn, cfg.devices)
	locks := make([]sync.Mutex, cfg.devices)
	for i := range conns {
		conn, _, err := websocket.Dial(ctx, "ws://"+c.setup.Addr+"/", nil)
		if err != nil {
			return m, fmt.Errorf("connection %d: %w", i, err)
		}
		conns[i] = conn
		defer conn.CloseNow()
	}
	m.held = len(conns)
	time.Sleep(2 * time.Second)
	if m.rssHeld, err = c.rss(); err != nil {
		return m, err
	}
	m.bytesPerConn = float64(m.rssHeld-m.rssIdle) / float64(m.held)
	msg := []byte(`{"type":"request","request":{"id":"0123456789abcdef0123456789abcdef","user":"user00001"}}`)
	drive(cfg, func(i int) (time.Duration, error) {
		k := i % len(conns)
		locks[k].Lock()
		defer locks[k].Unlock()
		start := time.Now()
		if err := conns[k].Write(ctx, websocket.MessageText, msg); err != nil {
			return 0, err
		}
		_, data, err := conns[k].Read(ctx)
		if err != nil {
			return 0, err
		}
		if !bytes.Equal(data, msg) {
			return 0, errors.New("echo differs")
		}
		return time.Since(start), nil
	}, &m)
	return m, nil
}
