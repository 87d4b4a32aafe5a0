package main

import (
	"strings"
	"testing"
	"time"
)

// TestReportPrint prints a run of 1 and 2 instances beside the floor from
// fixed figures: the table, the ratios to the floor, and 2 against 1.
func TestReportPrint(t *testing.T) {
	ms := time.Millisecond
	r := report{head: "countersign-load: 4 devices, SQLite, 1 and 2 instances; 10 sign-ins/s for 1s", servers: []measurement{
		{name: pushName(1), instances: 1, held: 4, bytesPerConn: 40 << 10, rssHeld: 200 << 20, achieved: 10, p50: 2 * ms, p99: 8 * ms, done: 10, serverCPU: 12 * ms, driverCPU: 5 * ms},
		{name: pushName(2), instances: 2, held: 4, bytesPerConn: 60 << 10, rssHeld: 300 << 20, achieved: 9, p50: 100 * ms, p99: 400 * ms, failed: 1, crossed: 0.5, done: 9, serverCPU: 18 * ms, driverCPU: 4500 * time.Microsecond},
		{name: echoName, held: 4, bytesPerConn: 20 << 10, rssHeld: 100 << 20, achieved: 10, p50: ms / 5, p99: ms, done: 10, serverCPU: ms, driverCPU: 2 * ms},
	}}
	var b strings.Builder
	r.print(&b)
	want := `countersign-load: 4 devices, SQLite, 1 and 2 instances; 10 sign-ins/s for 1s
server                         held   KiB/device      RSS MiB     done/s        p50        p99   failed  srv CPU/op  drv CPU/op
countersignd (push)               4         40.0        200.0       10.0        2ms        8ms        0       1.2ms       500µs
countersignd x2 (push)            4         60.0        300.0        9.0      100ms      400ms        1         2ms       500µs
websocket echo (floor)            4         20.0        100.0       10.0      200µs        1ms        0       100µs       200µs
ratios countersignd (push)/floor: memory per device 2.00x, p50 10.00x, p99 8.00x
ratios countersignd x2 (push)/floor: memory per device 3.00x, p50 500.00x, p99 400.00x
ratios 2 instances/1: done/s 0.90x, memory per device 1.50x, p50 50.00x, p99 50.00x; 50% of the sign-ins were made on an instance other than the device's
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestKneeHeldAndPrint: a step counts for the knee with a p99 under 50 ms,
// no failures and something done; the knee is said as a rate, as the
// highest rate tried, or as below the first.
func TestKneeHeldAndPrint(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		m    measurement
		want bool
	}{
		{measurement{done: 10, p99: 49 * ms}, true},
		{measurement{done: 10, p99: 50 * ms}, false},
		{measurement{done: 10, p99: ms, failed: 1}, false},
		{measurement{done: 0}, false},
	} {
		if got := held(c.m); got != c.want {
			t.Errorf("held(%+v) = %v, want %v", c.m, got, c.want)
		}
	}
	k := kneeReport{head: "countersign-load: 4 devices, SQLite, 1 and 2 instances", steps: []int{100, 200}, stepDuration: 3 * time.Second, servers: []kneeSteps{
		{name: pushName(1), rates: []int{100, 200}, knee: 100, steps: []measurement{
			{achieved: 100, p50: 2 * ms, p99: 9 * ms, done: 300, serverCPU: 240 * ms, driverCPU: 150 * ms}, {achieved: 150, p50: 300 * ms, p99: 900 * ms}}},
		{name: pushName(2), rates: []int{100}, steps: []measurement{{achieved: 90, p50: 100 * ms, p99: 400 * ms, failed: 2}}},
		{name: echoName, rates: []int{100, 200}, knee: 200, steps: []measurement{
			{achieved: 100, p50: ms / 5, p99: ms}, {achieved: 200, p50: ms / 5, p99: ms}}},
	}}
	var b strings.Builder
	k.print(&b)
	want := `countersign-load: 4 devices, SQLite, 1 and 2 instances; knee: rates 100,200 sign-ins/s, 3s each
server                       rate     done/s        p50        p99   failed  srv CPU/op  drv CPU/op
countersignd (push)           100      100.0        2ms        9ms        0       800µs       500µs
countersignd (push)           200      150.0      300ms      900ms        0          0s          0s
countersignd x2 (push)        100       90.0      100ms      400ms        2          0s          0s
websocket echo (floor)        100      100.0      200µs        1ms        0          0s          0s
websocket echo (floor)        200      200.0      200µs        1ms        0          0s          0s
knee (the highest rate with a p99 under 50ms and no failures):
countersignd (push)      100/s, 0.50x the floor's
countersignd x2 (push)   below 100/s
websocket echo (floor)   200/s or more (the highest rate tried)
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
