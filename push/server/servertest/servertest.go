// Package servertest runs a real Countersign server for tests: its real
// SQLite file and keys in a temporary directory, its real http.Server (the
// timeouts and the per-address connection limit of countersignd serve) on
// a loopback port, and a restart on the same port and data.
package servertest

import (
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"

	"github.com/countersign/countersign/push/server"
)

// Server is a running test server.
type Server struct {
	*server.Server
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string
	// Addr is its host:port.
	Addr     string
	t        testing.TB
	dir      string
	cfg      server.Config
	timeouts server.HTTPTimeouts
	ts       *httptest.Server
}

// Start opens a server with cfg (PublicURL and, unless set, Logger are
// filled in) and serves it until the test ends, with the default timeouts.
func Start(t testing.TB, cfg server.Config) *Server {
	t.Helper()
	return StartWithTimeouts(t, cfg, server.HTTPTimeouts{})
}

// StartWithTimeouts is Start with the http.Server's timeouts (zero fields
// take the defaults): tests of slow clients make them short.
func StartWithTimeouts(t testing.TB, cfg server.Config, timeouts server.HTTPTimeouts) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = "http://" + ln.Addr().String()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{URL: cfg.PublicURL, Addr: ln.Addr().String(), t: t, dir: t.TempDir(), cfg: cfg, timeouts: timeouts}
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) serve(ln net.Listener) {
	srv, err := server.Open(s.dir, s.cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	s.Server = srv
	s.ts = &httptest.Server{Listener: srv.LimitListener(ln), Config: srv.HTTPServer(s.timeouts)}
	s.ts.Start()
}

// Stop closes the listener, the connections and the server. The
// listener first: a connection accepted after the others were cut (a
// page reconnecting at that moment) would hold Close until its long-poll
// ended, seconds later.
func (s *Server) Stop() {
	if s.ts != nil {
		s.ts.Listener.Close()
		s.ts.CloseClientConnections()
		s.ts.Close()
		s.Server.Close()
		s.ts = nil
	}
}

// Restart stops the server and starts it again on the same port and data.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.serve(ln)
}
