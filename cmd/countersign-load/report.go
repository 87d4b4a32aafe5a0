package main

import (
	"fmt"
	"io"
	"time"
)

// report holds the figures of a run at one rate: the push server on one
// instance, on N instances if asked, and the echo floor, last.
type report struct {
	head    string
	servers []measurement
}

func (r report) print(w io.Writer) {
	fmt.Fprintln(w, r.head)
	fmt.Fprintf(w, "%-24s %10s %12s %12s %10s %10s %10s %8s %11s %11s\n", "server", "held", "KiB/device", "RSS MiB", "done/s", "p50", "p99", "failed", "srv CPU/op", "drv CPU/op")
	for _, m := range r.servers {
		fmt.Fprintf(w, "%-24s %10d %12.1f %12.1f %10.1f %10s %10s %8d %11s %11s\n", m.name, m.held, m.bytesPerConn/1024,
			float64(m.rssHeld)/(1<<20), m.achieved, round(m.p50), round(m.p99), m.failed, round(m.cpuPerOp(m.serverCPU)), round(m.cpuPerOp(m.driverCPU)))
	}
	floor := r.servers[len(r.servers)-1]
	pushes := r.servers[:len(r.servers)-1]
	if floor.bytesPerConn > 0 && floor.p50 > 0 {
		for _, m := range pushes {
			fmt.Fprintf(w, "ratios %s/floor: memory per device %.2fx, p50 %.2fx, p99 %.2fx\n", m.name,
				m.bytesPerConn/floor.bytesPerConn, ratio(m.p50, floor.p50), ratio(m.p99, floor.p99))
		}
	}
	if len(pushes) == 2 && pushes[0].achieved > 0 && pushes[0].p50 > 0 {
		one, n := pushes[0], pushes[1]
		fmt.Fprintf(w, "ratios %d instances/1: done/s %.2fx, memory per device %.2fx, p50 %.2fx, p99 %.2fx; %.0f%% of the sign-ins were made on an instance other than the device's\n",
			n.instances, n.achieved/one.achieved, n.bytesPerConn/one.bytesPerConn, ratio(n.p50, one.p50), ratio(n.p99, one.p99), 100*n.crossed)
	}
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
