package pgtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestClusterDiesWithItsProcess kills (-9) a test process that runs a
// cluster: the server does not outlive it.
func TestClusterDiesWithItsProcess(t *testing.T) {
	if os.Getenv("PGTEST_HOLD_CLUSTER") == "1" {
		c, err := Start()
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Printf("postmaster %d %s\n", c.server.Process.Pid, c.dir)
		time.Sleep(time.Minute)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestClusterDiesWithItsProcess$")
	cmd.Env = append(os.Environ(), "PGTEST_HOLD_CLUSTER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 || f[0] != "postmaster" {
		t.Fatalf("the child said %q, %v", line, err)
	}
	pid, _ := strconv.Atoi(f[1])
	defer os.RemoveAll(f[2])
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the postmaster %d is not running: %v", pid, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(15 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the postmaster %d outlived its test process by 15 s", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
