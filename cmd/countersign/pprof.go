//go:build pprof

package main

import (
	"log"
	"net/http"
	_ "net/http/pprof" // the profiles, for scripts/idle.sh's measurements
	"os"
)

// With the pprof build tag (go build -tags pprof), COUNTERSIGN_PPROF=ADDR
// serves Go's profiles on ADDR (a loopback address: 127.0.0.1:6060), to
// profile the running app's idle cost. Release builds have none of it.
func init() {
	addr := os.Getenv("COUNTERSIGN_PPROF")
	if addr == "" {
		return
	}
	go func() { log.Println(http.ListenAndServe(addr, nil)) }()
}
