package main

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeEdge: the protections of the HTTP edge as countersignd serve
// sets them up (the attacks themselves are tested in push/server).
func TestServeEdge(t *testing.T) {
	t.Run("a flood of connections from one address is capped", func(t *testing.T) {
		srv := serve(t, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--max-conns-per-ip", "2")
		for range 2 {
			c := dialRaw(t, srv.addr)
			if code := rawGet(t, c, srv.addr, "/openapi.yaml"); code != 200 {
				t.Fatalf("held connection: %d", code)
			}
		}
		if c := dialRaw(t, srv.addr); !closedAtOnce(c) {
			t.Fatal("a third connection from the same address was served")
		}
		srv.stop(t)
		if want := ` level=WARN msg="connection refused: too many open from one address" remote=127.0.0.1 limit=2` + "\n"; !strings.Contains(srv.logs(), want) {
			t.Fatalf("the log lacks %q:\n%s", want, srv.logs())
		}
	})

	t.Run("no limit with --max-conns-per-ip 0", func(t *testing.T) {
		srv := serve(t, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--max-conns-per-ip", "0")
		for i := range 70 { // more than the default 64
			c := dialRaw(t, srv.addr)
			if code := rawGet(t, c, srv.addr, "/openapi.yaml"); code != 200 {
				t.Fatalf("connection %d: %d", i+1, code)
			}
		}
		srv.stop(t)
	})

	t.Run("a negative limit is refused", func(t *testing.T) {
		code, _, errOut := countersignd("serve", "--max-conns-per-ip", "-1")
		if want := "countersignd: --max-conns-per-ip -1: give a number of connections (64 by default), or 0 for no limit\n"; code != 2 || errOut != want {
			t.Fatalf("exit %d %q, want 2 %q", code, errOut, want)
		}
	})

	t.Run("pages cannot be framed and run no inline script", func(t *testing.T) {
		dir := t.TempDir()
		srv := serve(t, "--addr", "127.0.0.1:0", "--data", dir)
		must(t, "user", "add", "ada", "--data", dir)
		var enr struct {
			EnrollURL string `json:"enroll_url"`
		}
		json.Unmarshal([]byte(must(t, "enroll", "ada", "--json", "--data", dir)), &enr)
		for _, url := range []string{enr.EnrollURL, "http://" + srv.addr + "/self-service", "http://" + srv.addr + "/static/enroll.js"} {
			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Strict-Transport-Security") != "" ||
				!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
				!strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self';") {
				t.Fatalf("GET %s: %d %v", url, resp.StatusCode, resp.Header)
			}
		}
		srv.stop(t)
	})

	t.Run("HTTPS keeps browsers to HTTPS", func(t *testing.T) {
		dir := t.TempDir()
		certPEM, keyPEM, pool := selfSigned(t)
		certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		os.WriteFile(certFile, certPEM, 0o600)
		os.WriteFile(keyFile, keyPEM, 0o600)
		served := serve(t, "--addr", "127.0.0.1:0", "--data", dir, "--tls-cert", certFile, "--tls-key", keyFile)
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := client.Get("https://" + served.addr + "/openapi.yaml")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Fatalf("over TLS: Strict-Transport-Security %q", got)
		}
		served.stop(t)

		// Behind a TLS proxy: an https public URL.
		proxied := serve(t, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--public-url", "https://cs.example.com")
		resp, err = http.Get("http://" + proxied.addr + "/openapi.yaml")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Fatalf("behind a TLS proxy: Strict-Transport-Security %q", got)
		}
		proxied.stop(t)
	})
}

func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// rawGet sends a keep-alive GET on c (the connection stays open).
func rawGet(t *testing.T, c net.Conn, addr, path string) int {
	t.Helper()
	io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// closedAtOnce reports whether the server closed c without a byte.
func closedAtOnce(c net.Conn) bool {
	n, err := c.Read(make([]byte, 1))
	return n == 0 && errors.Is(err, io.EOF)
}
