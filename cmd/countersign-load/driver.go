package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"time"
)

// config is one load run.
type config struct {
	devices  int
	rate     int
	duration time.Duration
}

// measurement is one server set-up's figures.
type measurement struct {
	name         string
	instances    int
	held         int
	bytesPerConn float64
	rssIdle      int64 // before the devices connect, all instances
	rssHeld      int64 // with every device connected, all instances
	done, failed int
	p50, p99     time.Duration
	achieved     float64 // round trips completed per second, from the first start to the last completion
	crossed      float64 // the share of sign-ins made on an instance other than the device's
	// serverCPU and driverCPU are the CPU time the server processes (all
	// instances) and the driver (the simulated devices and relying party)
	// used while the round trips ran.
	serverCPU, driverCPU time.Duration
}

// cpuPerOp returns cpu per completed round trip (0 without any).
func (m measurement) cpuPerOp(cpu time.Duration) time.Duration {
	if m.done == 0 {
		return 0
	}
	return cpu / time.Duration(m.done)
}

// rig is a server set-up ready to drive: devices connected.
type rig interface {
	figures() measurement // held and memory
	roundTrip(i int) (time.Duration, error)
	// profile starts the server children's CPU profiles, if asked for.
	profile()
	// cpu is the CPU time the server children have used so far.
	cpu() time.Duration
	close()
}

// driveMeasured is drive, which also measures the CPU time the servers and
// the driver use meanwhile.
func driveMeasured(rg rig, cfg config, m *measurement) {
	if path := os.Getenv(cpuProfileEnv); path != "" {
		// The driver's own profile, of its first drive.
		if f, err := os.OpenFile(path+".driver", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); err == nil {
			defer f.Close()
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	server, driver := rg.cpu(), selfCPU()
	drive(cfg, rg.roundTrip, m)
	m.serverCPU, m.driverCPU = rg.cpu()-server, selfCPU()-driver
}

// run measures, in one run, the push server on one instance and on
// o.instances instances (when more than one), then the echo floor, and
// prints the report to w: at o.rate, or stepping the rate up with -knee.
func run(o options, w io.Writer) error {
	dbs, err := openDatabases(o.db)
	if err != nil {
		return err
	}
	defer dbs.close()
	counts := []int{1}
	if o.instances > 1 {
		counts = append(counts, o.instances)
	}
	var rigs []func() (rig, error)
	for phase, n := range counts {
		rigs = append(rigs, func() (rig, error) {
			db, err := dbs.next(phase)
			if err != nil {
				return nil, err
			}
			r, err := startPush(o.devices, n, db)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", pushName(n), err)
			}
			return r, nil
		})
	}
	rigs = append(rigs, func() (rig, error) {
		r, err := startEcho(o.devices)
		if err != nil {
			return nil, fmt.Errorf("echo floor: %w", err)
		}
		return r, nil
	})
	head := fmt.Sprintf("countersign-load: %d devices, %s, %s", o.devices, dbs.label, instancesLabel(counts))
	if o.knee {
		k := kneeReport{head: head, steps: o.steps, stepDuration: o.stepDuration}
		for _, start := range rigs {
			s, err := runKneeSteps(o, start)
			if err != nil {
				return err
			}
			k.servers = append(k.servers, s)
		}
		k.print(w)
		return nil
	}
	r := report{head: fmt.Sprintf("%s; %d sign-ins/s for %s", head, o.rate, o.duration)}
	for _, start := range rigs {
		m, err := measure(start, config{devices: o.devices, rate: o.rate, duration: o.duration})
		if err != nil {
			return err
		}
		r.servers = append(r.servers, m)
	}
	r.print(w)
	return nil
}

// measure sets a rig up, drives it at cfg.rate for cfg.duration, and takes
// it down.
func measure(start func() (rig, error), cfg config) (measurement, error) {
	rg, err := start()
	if err != nil {
		return measurement{}, err
	}
	defer rg.close()
	m := rg.figures()
	rg.profile()
	driveMeasured(rg, cfg, &m)
	if p, ok := rg.(*pushRig); ok {
		m.crossed = p.crossedShare()
	}
	runtime.GC()
	return m, nil
}

func instancesLabel(counts []int) string {
	if len(counts) == 1 {
		return "1 instance"
	}
	return fmt.Sprintf("1 and %d instances", counts[1])
}

func pushName(instances int) string {
	if instances == 1 {
		return "countersignd (push)"
	}
	return fmt.Sprintf("countersignd x%d (push)", instances)
}

const echoName = "websocket echo (floor)"

var httpClient = &http.Client{
	Timeout: 30 * time.Second,
	// Bounded, like a relying party's own pool: the server's file
	// descriptors go to the devices.
	Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256, IdleConnTimeout: time.Minute},
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
	wg.Wait()
	// Completed per second until the last one completed: a server that
	// falls behind the schedule shows it here, not only in the latencies.
	elapsed := time.Since(start)
	if firstErr != nil {
		fmt.Fprintf(os.Stderr, "countersign-load: %s at %d/s: %d failed, the first: %v\n", m.name, cfg.rate, m.failed, firstErr)
	}
	slices.Sort(lat)
	m.done = len(lat)
	m.achieved = float64(len(lat)) / max(elapsed.Seconds(), interval.Seconds())
	m.p50, m.p99 = 0, 0
	if len(lat) > 0 {
		m.p50 = lat[len(lat)/2]
		m.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
}
