package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestSmallLoadRun builds the tool and runs it small: 30 devices, 20
// sign-ins a second for 1 s, against the real server and the echo floor.
// The figures themselves are not asserted (they are measurements); that
// every sign-in completes, and the report's shape, are.
func TestSmallLoadRun(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "countersign-load")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-devices", "30", "-rate", "20", "-duration", "1s")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("run: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, re := range []string{
		`(?m)^countersign-load: 30 devices, 20 sign-ins/s for 1s$`,
		`(?m)^countersignd \(push\)\s+30\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+\S+\s+\S+\s+0$`,
		`(?m)^websocket echo \(floor\)\s+30\s+[0-9.-]+\s+[0-9.]+\s+[0-9.]+\s+\S+\s+\S+\s+0$`,
		`(?m)^ratios push/floor: memory per device -?[0-9.]+x, p50 [0-9.]+x, p99 [0-9.]+x$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", re, out)
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
}
