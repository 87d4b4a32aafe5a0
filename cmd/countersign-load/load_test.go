package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// buildTool builds the tool into a temporary directory: it starts itself
// as the server children, so the test runs the binary, as a user would.
func buildTool(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "countersign-load")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// runTool runs the built tool and returns its output; it must succeed with
// nothing on stderr (a failed sign-in is reported there).
func runTool(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %v\n%s%s", args, err, stdout.String(), stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("%v: stderr: %s", args, stderr.String())
	}
	return stdout.String()
}

func matchAll(t *testing.T, out string, res ...string) {
	t.Helper()
	for _, re := range res {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", re, out)
		}
	}
}

// TestSmallLoadRun runs the tool small with two instances on one SQLite
// database: 50 devices, 20 sign-ins a second for 1 s, on one instance,
// then on two, then the echo floor; then -knee at one small rate on one
// instance. The figures themselves are not asserted (they are
// measurements); that every sign-in completes, and the reports' shape,
// are.
func TestSmallLoadRun(t *testing.T) {
	bin := buildTool(t)
	out := runTool(t, bin, "-devices", "50", "-rate", "20", "-duration", "1s", "-instances", "2")
	// The failures (none), then the CPU per sign-in of the servers and of
	// the driver.
	row := `\s+50\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+\S+\s+\S+\s+0\s+\S+\s+\S+$`
	matchAll(t, out,
		`\Acountersign-load: 50 devices, SQLite, 1 and 2 instances; 20 sign-ins/s for 1s\n`,
		`(?m)^server\s+held\s+KiB/device\s+RSS MiB\s+done/s\s+p50\s+p99\s+failed\s+srv CPU/op\s+drv CPU/op$`,
		`(?m)^countersignd \(push\)`+row,
		`(?m)^countersignd x2 \(push\)`+row,
		`(?m)^websocket echo \(floor\)\s+50\s+-?[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+\S+\s+\S+\s+0\s+\S+\s+\S+$`,
		`(?m)^ratios countersignd \(push\)/floor: memory per device -?[0-9.]+x, p50 [0-9.]+x, p99 [0-9.]+x$`,
		`(?m)^ratios countersignd x2 \(push\)/floor: memory per device -?[0-9.]+x, p50 [0-9.]+x, p99 [0-9.]+x$`,
		// Devices alternate between the instances, and so do sign-ins, in
		// an order that sends half of them to the other instance.
		`(?m)^ratios 2 instances/1: done/s [0-9.]+x, memory per device -?[0-9.]+x, p50 [0-9.]+x, p99 [0-9.]+x; 50% of the sign-ins were made on an instance other than the device's$`,
	)

	out = runTool(t, bin, "-devices", "20", "-knee", "-steps", "5", "-step-duration", "500ms")
	step := `\s+[0-9.]+\s+\S+\s+\S+\s+0\s+\S+\s+\S+$`
	matchAll(t, out,
		`\Acountersign-load: 20 devices, SQLite, 1 instance; knee: rates 5 sign-ins/s, 500ms each\n`,
		`(?m)^server\s+rate\s+done/s\s+p50\s+p99\s+failed\s+srv CPU/op\s+drv CPU/op$`,
		`(?m)^countersignd \(push\)\s+5`+step,
		`(?m)^websocket echo \(floor\)\s+5`+step,
		`(?m)^knee \(the highest rate with a p99 under 50ms and no failures\):$`,
		`(?m)^websocket echo \(floor\)\s+5/s or more \(the highest rate tried\)$`,
		// Whether 5/s held is a measurement (a loaded machine can push
		// one sign-in past 50 ms): either verdict, in its exact words.
		`(?m)^countersignd \(push\)\s+(below 5/s|5/s or more \(the highest rate tried\), 1.00x the floor's)$`,
	)
}
