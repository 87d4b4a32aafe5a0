package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/countersign/countersign/assets"
	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/push"
)

// The HTTP edge: what every request meets before the endpoints, in one
// place. Security headers on every answer; the pages' scripts and styles
// under /static/; Host and Origin checks on the pages and the API only they
// call; JSON bodies only, read in full within the read timeout; deadlines
// stretched for the long-polls and the device websocket; the http.Server's
// timeouts; rate-limited logs of refused attempts.

// contentSecurityPolicy lets the pages load their scripts, styles, images
// and API calls from this server only, run no inline script or style, and
// be framed by no one (clickjacking).
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// hsts tells browsers to reach the server over HTTPS only, for a year.
const hsts = "max-age=31536000"

// edge wraps every endpoint with the protections of the HTTP edge.
func (s *Server) edge(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", staticFiles())
	mux.Handle("/", h)
	public := parseOrigin(s.cfg.PublicURL)
	routes := deadlineRoutes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fromTrustedProxy(r)
		hdr := w.Header()
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("Content-Security-Policy", contentSecurityPolicy)
		hdr.Set("X-Frame-Options", "DENY")
		if s.cfg.TLS {
			hdr.Set("Strict-Transport-Security", hsts)
		}
		if browserFacing(r.URL.Path) && !s.sameSite(w, r, public) {
			return
		}
		if r.Method == http.MethodPost && (pathUnder(r.URL.Path, "/v1") || pathUnder(r.URL.Path, "/demo")) && !s.readJSONBody(w, r) {
			return
		}
		if _, pattern := routes.Handler(r); pattern != "" {
			stretchDeadlines(w, pattern)
		}
		mux.ServeHTTP(w, r)
	})
}

// staticFiles serves the pages' scripts and styles (assets/web/static),
// without directory listings.
func staticFiles() http.Handler {
	sub, err := fs.Sub(assets.Web, "web/static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix("/static", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}

// pathUnder reports whether path is dir or inside it.
func pathUnder(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// browserFacing reports whether path is one of the pages, their files, or
// the API that only the pages call. These answer only at the public host
// (a DNS-rebinding page, whose host name is its own, cannot read them) and
// take POSTs only from the pages' own origin (cross-site requests).
//
// The API of relying parties and devices (/v1/auth-requests, /v1/otp/verify,
// /v1/activate, /v1/devices/...) is left out on purpose, Host included:
// every call there carries a secret that neither a cross-site nor a
// rebinding page holds (an API key, a device's signature over a fresh
// challenge, a single-use activation code), and what the few calls without
// one answer (a poll challenge) is worth nothing alone; while relying
// parties and proxies often reach the server by another name than the
// public one (an internal host name, a proxy that keeps its own Host), so
// checking Host there would break them and protect nothing. The device
// websocket's Origin is checked by websocket.Accept.
//
// Behind a reverse proxy, the proxy must pass the browser's Host on (nginx:
// proxy_set_header Host $host), or the pages answer 403.
func browserFacing(path string) bool {
	if path == "/" {
		return true
	}
	for _, dir := range []string{"/enroll", "/self-service", "/demo", "/static", "/v1/enrollments", "/v1/self-service"} {
		if pathUnder(path, dir) {
			return true
		}
	}
	return false
}

// origin is a scheme, host name and port (the default port of the scheme
// when the URL names none).
type origin struct {
	scheme, host, port string
}

func parseOrigin(rawURL string) origin {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return origin{}
	}
	return hostOrigin(strings.ToLower(u.Scheme), u.Host)
}

func hostOrigin(scheme, hostport string) origin {
	u := url.URL{Host: hostport}
	o := origin{scheme: scheme, host: strings.ToLower(u.Hostname()), port: u.Port()}
	if o.port == "" {
		o.port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return o
}

// accepts reports whether o is the public origin p. On a loopback public
// URL, the other loopback names of this machine (localhost, 127.0.0.1,
// [::1]) with the same port are accepted too: no other site can take those
// names, and a rebinding page keeps its own.
func (p origin) accepts(o origin) bool {
	if o.scheme != p.scheme || o.port != p.port || o.host == "" {
		return false
	}
	return o.host == p.host || (push.IsLoopback(o.host) && push.IsLoopback(p.host))
}

// sameSite checks a request to the browser-facing part: its Host must be
// the public URL's, and its Origin, when it has one, the public origin. A
// POST must have an Origin: browsers send one with every POST they make, so
// a POST without one did not come from the pages. Other callers (scripts,
// tests) send Origin: PUBLIC_URL. Without a public URL (tests of the
// handler alone) nothing is checked.
func (s *Server) sameSite(w http.ResponseWriter, r *http.Request, public origin) bool {
	if public.host == "" {
		return true
	}
	why := ""
	from := r.Header.Get("Origin")
	switch {
	case !public.accepts(hostOrigin(public.scheme, r.Host)):
		why = "host"
	case from != "" && !public.accepts(parseOrigin(from)):
		why = "origin"
	case from == "" && r.Method == http.MethodPost:
		why = "no origin"
	default:
		return true
	}
	s.logRefused("request refused: foreign host or origin", "remote", remoteIP(r), "why", why, "host", outside(r.Host), "origin", outside(from), "path", outsidePath(r.URL.Path))
	if why == "host" {
		s.writeError(w, errorf("forbidden_origin", "this page is served at %s only: open it there", s.cfg.PublicURL))
	} else {
		s.writeError(w, errorf("forbidden_origin", "this API answers the pages of %s only", s.cfg.PublicURL))
	}
	return false
}

// readJSONBody refuses a POST whose body is not declared JSON (a form or
// text/plain POST is what a cross-site page can send without asking first),
// then reads the whole body, up to one byte past the API's limit, within
// the read timeout: a body trickled in to hold the connection is cut off
// here, and the endpoint, its deadlines stretched if it long-polls, gets
// the body from memory.
func (s *Server) readJSONBody(w http.ResponseWriter, r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		s.writeError(w, errorf("unsupported_media", "send the body as JSON, with the header Content-Type: application/json"))
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodySize+1))
	if err != nil {
		var ne net.Error
		if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			s.logRefused("request refused: body too slow", "remote", remoteIP(r), "path", outsidePath(r.URL.Path))
			s.writeError(w, errorf("bad_request", "the body did not arrive in time; send the whole request at once"))
		} else {
			s.writeError(w, errorf("bad_request", "the body could not be read; send the request again"))
		}
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}

// outside makes a client's header or path fit for a log line: cleaned
// (textsafe) and cut to 200 bytes, as a header may hold up to a megabyte.
func outside(s string) string {
	return textsafe.Truncate(textsafe.Clean(s), 200)
}

// outsidePath is outside for a request's path, with the token of an
// enrollment link (the segment after "enroll" or "enrollments") replaced
// by {token}: the token opens the user's activation code and seed, and a
// log is read by more people, for longer, than the link was meant for.
func outsidePath(p string) string {
	segs := strings.Split(p, "/")
	for i := 1; i < len(segs); i++ {
		if (segs[i-1] == "enroll" || segs[i-1] == "enrollments") && segs[i] != "" {
			segs[i] = "{token}"
		}
	}
	return outside(strings.Join(segs, "/"))
}

func remoteIP(r *http.Request) string {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return ip
}

// The endpoints that hold a request open: the long-polls, answered within
// maxWait, and the device websocket, which lives as long as the device
// stays connected.
const (
	routeWebsocket = "GET /v1/devices/connect"
)

var longPollRoutes = []string{
	"GET /v1/auth-requests/{id}",
	"POST /v1/devices/poll",
	"GET /v1/enrollments/{token}",
	"GET /v1/self-service/requests/{id}",
	"GET /demo/requests/{id}",
}

// longPollSlack is the time a long-poll has, past maxWait, to be answered.
const longPollSlack = 10 * time.Second

// deadlineRoutes matches the requests whose deadlines stretchDeadlines
// changes (the handlers are never called: only the patterns are used).
func deadlineRoutes() *http.ServeMux {
	m := http.NewServeMux()
	for _, p := range append([]string{routeWebsocket}, longPollRoutes...) {
		m.Handle(p, http.NotFoundHandler())
	}
	return m
}

// stretchDeadlines gives a long-poll the time to wait and then answer: its
// write deadline, set by the server's write timeout when the request was
// read, moves to maxWait+longPollSlack from now. Its read deadline needs no
// change: once a request is read, net/http waits for the next one (or for
// the client to go) with no deadline, and the body of POST /v1/devices/poll
// is read already (readJSONBody), within the read timeout. The websocket
// keeps no deadline at all (the hijack clears them too): it has its own
// limits, the hello within helloTimeout, a ping every pingInterval and
// every write within writeTimeout.
func stretchDeadlines(w http.ResponseWriter, pattern string) {
	rc := http.NewResponseController(w)
	// Errors mean the writer cannot (a test's recorder): nothing to stretch.
	if pattern == routeWebsocket {
		rc.SetReadDeadline(time.Time{})
		rc.SetWriteDeadline(time.Time{})
		return
	}
	rc.SetWriteDeadline(time.Now().Add(maxWait + longPollSlack))
}

// HTTPTimeouts bound each phase of an HTTP exchange; zero fields take the
// defaults. The long-polls and the websocket get more (stretchDeadlines).
type HTTPTimeouts struct {
	// ReadHeader bounds reading the request line and headers (10 s; never
	// more than Read).
	ReadHeader time.Duration
	// Read bounds reading the whole request, body included (30 s).
	Read time.Duration
	// Write bounds the answer, from the end of the request headers (30 s).
	Write time.Duration
	// Idle bounds the wait for the next request on a kept-alive
	// connection (2 minutes).
	Idle time.Duration
}

func (t HTTPTimeouts) withDefaults() HTTPTimeouts {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Read, 30*time.Second)
	def(&t.ReadHeader, 10*time.Second)
	t.ReadHeader = min(t.ReadHeader, t.Read)
	def(&t.Write, 30*time.Second)
	def(&t.Idle, 2*time.Minute)
	return t
}

// HTTPServer returns the http.Server of s.Handler() with its timeouts (a
// slow client cannot hold a connection for ever) and its error log going
// through logRefused (failed TLS handshakes come as fast as anyone makes
// them). Serve it on s.LimitListener(ln). The caller adds its TLSConfig and
// BaseContext.
func (s *Server) HTTPServer(t HTTPTimeouts) *http.Server {
	t = t.withDefaults()
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		ErrorLog:          log.New(httpErrorLog{s}, "", 0),
	}
}

// httpErrorLog takes the lines of net/http's error log.
type httpErrorLog struct{ s *Server }

func (l httpErrorLog) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	if strings.Contains(line, "TLS handshake error") {
		l.s.logRefused("TLS handshake refused", "err", line)
	} else {
		l.s.log.Warn("http server", "err", line)
	}
	return len(p), nil
}

// Log lines of refused attempts, per message: at most refusedBurst in a
// refusedInterval; past that they are counted, and one line says how many
// were left out, when the interval ends.
const (
	refusedBurst    = 5
	refusedInterval = time.Minute
)

// refusedLog is the state of logRefused.
type refusedLog struct {
	mu sync.Mutex
	m  map[string]*refusedWindow
}

// refusedWindow counts one message's lines in the current interval.
type refusedWindow struct {
	start      time.Time
	written    int
	suppressed int
}

// logRefused logs a refused attempt (a connection over the limit, a
// foreign origin, a bad signature, a wrong code, an unknown key) at Warn.
// Attackers make as many as they like, so each message (keep it constant;
// details go in args) writes at most refusedBurst lines per
// refusedInterval, then one summary line "N more refused attempts
// suppressed" as the interval ends.
func (s *Server) logRefused(msg string, args ...any) {
	now := s.cfg.Now()
	l := &s.refusedLog
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*refusedWindow{}
	}
	win := l.m[msg]
	if win != nil && now.Sub(win.start) >= refusedInterval {
		s.flushRefusedLocked(msg, win)
		win = nil
	}
	if win == nil {
		win = &refusedWindow{start: now}
		l.m[msg] = win
	}
	if win.written < refusedBurst {
		win.written++
		l.mu.Unlock()
		s.log.Warn(msg, args...)
		return
	}
	win.suppressed++
	first, end := win.suppressed == 1, win.start.Add(refusedInterval)
	l.mu.Unlock()
	if first {
		s.schedule("refused-log:"+msg, end, func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.m[msg] == win {
				s.flushRefusedLocked(msg, win)
				delete(l.m, msg)
			}
		})
	}
}

// flushRefusedLocked writes the summary of win, if it left lines out.
func (s *Server) flushRefusedLocked(msg string, win *refusedWindow) {
	if win.suppressed > 0 {
		s.log.Warn(fmt.Sprintf("%d more refused attempts suppressed", win.suppressed), "refused", msg)
		win.suppressed = 0
	}
}
