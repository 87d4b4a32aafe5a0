package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
)

// pushRig is the real server on n instances sharing one database, with
// every simulated device connected: device i to instance i%n.
type pushRig struct {
	n        int
	devices  int
	prefix   string
	children []*child
	apiKey   string
	nums     *numbers
	cancel   context.CancelFunc
	m        measurement
	signIns  atomic.Int64
	crossed  atomic.Int64 // sign-ins made on an instance other than the device's
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

// startPush starts n instances on db, one after the other (the first adds
// the users), activates the devices (8 at a time) and connects them all.
func startPush(devices, n int, db pushDB) (_ *pushRig, err error) {
	r := &pushRig{n: n, devices: devices, prefix: db.prefix, nums: &numbers{m: map[string]chan string{}}}
	r.m.name, r.m.instances = pushName(n), n
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	for k := range n {
		c, err := startChild("push", db.url, "-data", db.dir, "-devices", strconv.Itoa(devices),
			"-index", strconv.Itoa(k), "-of", strconv.Itoa(n), "-prefix", db.prefix)
		if err != nil {
			return nil, fmt.Errorf("instance %d: %w", k, err)
		}
		r.children = append(r.children, c)
	}
	r.apiKey = r.children[0].setup.APIKey
	if r.m.rssIdle, err = r.rss(); err != nil {
		return nil, err
	}
	// Instance k made the activation codes of users k, k+n, k+2n...
	acts := make([]device.Activated, devices)
	uris := make([]string, devices)
	for k, c := range r.children {
		for j, uri := range c.setup.Activations {
			uris[k+j*n] = uri
		}
	}
	var firstErr atomic.Value
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				act, err := push.ParseActivationURI(uris[i])
				if err == nil {
					acts[i], err = device.Activate(context.Background(), httpClient, act, "load")
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, fmt.Errorf("device %d: %w", i, err))
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
		return nil, fmt.Errorf("activating: %w", err)
	}

	var connected atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	for _, a := range acts {
		var d *device.Client
		d = device.NewClient(a.Enrollment, a.PrivateKey, func(ev device.Event) {
			switch {
			case ev.Kind == device.EventState && ev.State == device.Connected:
				connected.Add(1)
			case ev.Kind == device.EventRequest:
				go func() {
					select {
					case num := <-r.nums.ch(ev.Request.ID):
						d.Answer(ctx, ev.Request, push.Approve, "", num)
					case <-time.After(10 * time.Second):
					}
				}()
			}
		})
		go d.Run(ctx)
		time.Sleep(50 * time.Microsecond) // spread the handshakes a little
	}
	deadline := time.Now().Add(5*time.Minute + time.Duration(devices)*time.Millisecond)
	for connected.Load() < int64(devices) {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("only %d of %d devices connected", connected.Load(), devices)
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.m.held = int(connected.Load())
	time.Sleep(2 * time.Second) // let the servers settle
	if r.m.rssHeld, err = r.rss(); err != nil {
		return nil, err
	}
	memProfiles(r.children)
	r.m.bytesPerConn = float64(r.m.rssHeld-r.m.rssIdle) / float64(r.m.held)
	return r, nil
}

// rss is the instances' resident memory together.
func (r *pushRig) rss() (int64, error) {
	var sum int64
	for _, c := range r.children {
		b, err := c.rss()
		if err != nil {
			return 0, err
		}
		sum += b
	}
	return sum, nil
}

func (r *pushRig) figures() measurement { return r.m }

// instanceFor is the instance sign-in i is made on. Each run of n
// sign-ins visits every instance once, as a round-robin load balancer
// would, in an order rotated by one each run so that the instance does
// not follow from the user (user i%devices's device is on instance
// (i%devices)%n): (n-1)/n of the sign-ins cross instances, as they would
// with a load balancer that knows nothing of the devices.
func (r *pushRig) instanceFor(i int) int {
	return (i + i/r.n) % r.n
}

// roundTrip is sign-in i: the relying party creates a request for user
// i%devices on instanceFor(i), the device approves it, and the relying
// party's long-poll on the same instance sees "approved".
func (r *pushRig) roundTrip(i int) (time.Duration, error) {
	u := i % r.devices
	inst := r.instanceFor(i)
	r.signIns.Add(1)
	if inst != u%r.n {
		r.crossed.Add(1)
	}
	base := "http://" + r.children[inst].setup.Addr
	start := time.Now()
	var st push.AuthRequestState
	if err := apiCall(r.apiKey, "POST", base+"/v1/auth-requests", push.AuthRequestBody{User: userName(r.prefix, u), Context: push.Context{App: "load"}}, &st, http.StatusCreated); err != nil {
		return 0, err
	}
	created := time.Since(start)
	r.nums.ch(st.ID) <- st.Number
	if err := apiCall(r.apiKey, "GET", base+"/v1/auth-requests/"+st.ID+"?wait=20s", nil, &st, http.StatusOK); err != nil {
		return 0, err
	}
	if st.Status != push.StatusApproved {
		return 0, fmt.Errorf("request ended %s", st.Status)
	}
	if os.Getenv("COUNTERSIGN_LOAD_TRACE") != "" && time.Since(start) > 40*time.Millisecond {
		fmt.Fprintf(os.Stderr, "slow: instance %d, device on %d: create %v total %v\n", inst, u%r.n, created, time.Since(start))
	}
	return time.Since(start), nil
}

// crossedShare is the share of the sign-ins so far that crossed instances.
func (r *pushRig) crossedShare() float64 {
	if s := r.signIns.Load(); s > 0 {
		return float64(r.crossed.Load()) / float64(s)
	}
	return 0
}

// close disconnects the devices and stops the instances.
func (r *pushRig) close() {
	if r.cancel != nil {
		r.cancel()
	}
	for _, c := range r.children {
		c.stop()
	}
}

func (r *pushRig) profile() { startProfiles(r.children) }

func (r *pushRig) cpu() time.Duration { return childrenCPU(r.children) }
