package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// kneeP99 is the p99 a rate must stay under to count for the knee.
const kneeP99 = 50 * time.Millisecond

// kneeReport is a -knee run: each set-up's steps, and its knee.
type kneeReport struct {
	head         string
	steps        []int
	stepDuration time.Duration
	servers      []kneeSteps
}

// kneeSteps is one set-up's figures at each rate tried.
type kneeSteps struct {
	name  string
	steps []measurement
	rates []int
	knee  int // the highest rate that held; 0: none
}

// held says whether a step counts for the knee.
func held(m measurement) bool { return m.failed == 0 && m.done > 0 && m.p99 < kneeP99 }

// runKneeSteps sets one rig up and drives it at each rate in turn, on the
// same devices. On a shared machine one slow step can be noise, so it
// goes on after a miss, and stops after two misses in a row or a step
// that fell behind (under 90% of the rate completed per second).
func runKneeSteps(o options, start func() (rig, error)) (kneeSteps, error) {
	rg, err := start()
	if err != nil {
		return kneeSteps{}, err
	}
	defer rg.close()
	s := kneeSteps{name: rg.figures().name}
	rg.profile()
	misses := 0
	for _, rate := range o.steps {
		m := rg.figures()
		driveMeasured(rg, config{devices: o.devices, rate: rate, duration: o.stepDuration}, &m)
		s.steps, s.rates = append(s.steps, m), append(s.rates, rate)
		// Collect between steps (the driver runs without garbage collection
		// while it measures) and let the servers drain.
		runtime.GC()
		time.Sleep(time.Second)
		if held(m) {
			s.knee, misses = rate, 0
			continue
		}
		if misses++; misses == 2 || m.achieved < 0.9*float64(rate) {
			break
		}
	}
	return s, nil
}

func (k kneeReport) print(w io.Writer) {
	fmt.Fprintf(w, "%s; knee: rates %s sign-ins/s, %s each\n", k.head, joinInts(k.steps), k.stepDuration)
	fmt.Fprintf(w, "%-24s %8s %10s %10s %10s %8s %11s %11s\n", "server", "rate", "done/s", "p50", "p99", "failed", "srv CPU/op", "drv CPU/op")
	for _, s := range k.servers {
		for i, m := range s.steps {
			fmt.Fprintf(w, "%-24s %8d %10.1f %10s %10s %8d %11s %11s\n", s.name, s.rates[i], m.achieved, round(m.p50), round(m.p99), m.failed,
				round(m.cpuPerOp(m.serverCPU)), round(m.cpuPerOp(m.driverCPU)))
		}
	}
	fmt.Fprintf(w, "knee (the highest rate with a p99 under %s and no failures):\n", kneeP99)
	floor := k.servers[len(k.servers)-1]
	top := k.steps[len(k.steps)-1]
	for _, s := range k.servers {
		var b strings.Builder
		switch {
		case s.knee == 0:
			fmt.Fprintf(&b, "below %d/s", k.steps[0])
		case s.knee == top:
			fmt.Fprintf(&b, "%d/s or more (the highest rate tried)", s.knee)
		default:
			fmt.Fprintf(&b, "%d/s", s.knee)
		}
		if s.name != floor.name && s.knee > 0 && floor.knee > 0 {
			fmt.Fprintf(&b, ", %.2fx the floor's", float64(s.knee)/float64(floor.knee))
		}
		fmt.Fprintf(w, "%-24s %s\n", s.name, b.String())
	}
}
