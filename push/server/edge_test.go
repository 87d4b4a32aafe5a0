package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/net/html"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// Attacks on the HTTP edge (security review, issue 7, 9 and 10), each
// made against a real server on loopback.

// short are timeouts short enough for a test to outwait: requests answered
// later than Write (the long-polls below) must have their deadlines
// stretched.
var short = server.HTTPTimeouts{ReadHeader: 200 * time.Millisecond, Read: 300 * time.Millisecond, Write: 500 * time.Millisecond, Idle: time.Second}

// answer is an HTTP answer: status, the API's error code if any, the body.
type answer struct {
	status int
	code   string
	body   []byte
	header http.Header
}

// oneShot opens a connection per request: a request that fails on a
// reused connection would be sent again, hiding the failure.
var oneShot = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// call makes one request with the given headers (Host included) and body.
func call(t *testing.T, method, url string, hdr map[string]string, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := oneShot.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	a.body, _ = io.ReadAll(resp.Body)
	var e struct {
		Error push.ErrorBody `json:"error"`
	}
	if json.Unmarshal(a.body, &e) == nil {
		a.code = e.Error.Code
	}
	return a
}

// rawConn dials the server and fails the test if reading it takes more
// than 10 s (a safety net, not a measure).
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// rawGet sends a keep-alive GET on c and reads its answer.
func rawGet(t *testing.T, c net.Conn, br *bufio.Reader, addr, path string) int {
	t.Helper()
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// closedAtOnce reports whether the server closed c without a byte.
func closedAtOnce(t *testing.T, c net.Conn) bool {
	t.Helper()
	n, err := c.Read(make([]byte, 1))
	return n == 0 && errors.Is(err, io.EOF)
}

// withDevice adds user ada with an activated device and a relying party;
// it returns the device and the relying party's key.
func withDevice(t *testing.T, s *servertest.Server) (device.Activated, string) {
	t.Helper()
	if err := s.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	key, _, err := s.AddRelyingParty("payroll", "")
	if err != nil {
		t.Fatal(err)
	}
	enr, err := s.Enroll("ada")
	if err != nil {
		t.Fatal(err)
	}
	act, err := push.ParseActivationURI(enr.ActivationURI)
	if err != nil {
		t.Fatal(err)
	}
	a, err := device.Activate(context.Background(), http.DefaultClient, act, "phone")
	if err != nil {
		t.Fatal(err)
	}
	return a, key
}

func TestSlowClients(t *testing.T) {
	t.Run("slow headers hold a connection", func(t *testing.T) {
		s := servertest.StartWithTimeouts(t, server.Config{}, short)
		c := rawConn(t, s.Addr)
		io.WriteString(c, "GET /openapi.yaml HTTP/1.1\r\nHost: "+s.Addr+"\r\n") // and never the end of the headers
		if got, err := io.ReadAll(c); len(got) != 0 || err != nil {
			t.Fatalf("the server answered %q %v; want the connection closed without a word", got, err)
		}
	})

	t.Run("slow body holds a connection", func(t *testing.T) {
		s := servertest.StartWithTimeouts(t, server.Config{}, short)
		_, key := withDevice(t, s)
		c := rawConn(t, s.Addr)
		io.WriteString(c, "POST /v1/auth-requests HTTP/1.1\r\nHost: "+s.Addr+"\r\nAuthorization: Bearer "+key+
			"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user\":") // and the rest never
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := `{"error":{"code":"bad_request","message":"the body did not arrive in time; send the whole request at once"}}` + "\n"
		if resp.StatusCode != http.StatusBadRequest || string(body) != want {
			t.Fatalf("answer %d %s, want 400 %s", resp.StatusCode, body, want)
		}
		if rest, err := io.ReadAll(br); len(rest) != 0 || err != nil {
			t.Fatalf("after the answer: %q %v; want the connection closed", rest, err)
		}
	})

	// Each long-poll is answered by an event that comes after the read and
	// write timeouts: an expiry. Without stretched deadlines the read
	// timeout would cancel the wait early (status still pending) and the
	// write timeout would cut the answer off.
	t.Run("relying party's long-poll outlives the timeouts", func(t *testing.T) {
		s := servertest.StartWithTimeouts(t, server.Config{RequestTTL: 2500 * time.Millisecond}, short)
		_, key := withDevice(t, s)
		st, err := s.CreateRequest("payroll", push.AuthRequestBody{User: "ada"})
		if err != nil {
			t.Fatal(err)
		}
		a := call(t, "GET", s.URL+"/v1/auth-requests/"+st.ID+"?wait=20s", map[string]string{"Authorization": "Bearer " + key}, "")
		var got push.AuthRequestState
		json.Unmarshal(a.body, &got)
		if a.status != 200 || got.ID != st.ID || got.Status != push.StatusExpired {
			t.Fatalf("long-poll: %d %s; want 200 and expired", a.status, a.body)
		}
	})

	t.Run("device's long-poll outlives the timeouts", func(t *testing.T) {
		s := servertest.StartWithTimeouts(t, server.Config{RequestTTL: 2500 * time.Millisecond}, short)
		d, _ := withDevice(t, s)
		st, err := s.CreateRequest("payroll", push.AuthRequestBody{User: "ada"})
		if err != nil {
			t.Fatal(err)
		}
		var ch map[string]string
		json.Unmarshal(call(t, "GET", s.URL+"/v1/devices/challenge", nil, "").body, &ch)
		known := []string{st.ID}
		body, _ := json.Marshal(server.PollRequest{DeviceID: d.DeviceID, Nonce: ch["nonce"], Wait: "20s", Known: &known,
			Signature: ed25519.Sign(d.PrivateKey, push.ConnectSigningBytes(ch["nonce"], d.DeviceID))})
		a := call(t, "POST", s.URL+"/v1/devices/poll", map[string]string{"Content-Type": "application/json"}, string(body))
		var got server.PollResponse
		json.Unmarshal(a.body, &got)
		if a.status != 200 || got.Requests == nil || len(got.Requests) != 0 {
			t.Fatalf("poll: %d %s; want 200 and no pending request (it expired)", a.status, a.body)
		}
	})

	t.Run("enrollment page's long-poll outlives the timeouts", func(t *testing.T) {
		s := servertest.StartWithTimeouts(t, server.Config{ActivationTTL: time.Second}, short)
		if err := s.AddUser("ada", true); err != nil {
			t.Fatal(err)
		}
		enr, err := s.Enroll("ada")
		if err != nil {
			t.Fatal(err)
		}
		token := enr.EnrollURL[strings.LastIndex(enr.EnrollURL, "/")+1:]
		a := call(t, "GET", s.URL+"/v1/enrollments/"+token+"?wait=20s", nil, "")
		var got struct{ User, Status string }
		json.Unmarshal(a.body, &got)
		if a.status != 200 || got.User != "ada" || got.Status != "expired" {
			t.Fatalf("enrollment long-poll: %d %s; want 200 and expired", a.status, a.body)
		}
	})

	t.Run("demo page's long-poll outlives the timeouts", func(t *testing.T) {
		s := servertest.StartWithTimeouts(t, server.Config{Demo: true, RequestTTL: 2500 * time.Millisecond}, short)
		withDevice(t, s)
		a := call(t, "POST", s.URL+"/demo/sign-in", map[string]string{"Content-Type": "application/json", "Origin": s.URL}, `{"user":"ada"}`)
		var st push.AuthRequestState
		if json.Unmarshal(a.body, &st); a.status != http.StatusCreated {
			t.Fatalf("demo sign-in: %d %s", a.status, a.body)
		}
		a = call(t, "GET", s.URL+"/demo/requests/"+st.ID+"?wait=20s", nil, "")
		var got push.AuthRequestState
		json.Unmarshal(a.body, &got)
		if a.status != 200 || got.ID != st.ID || got.Status != push.StatusExpired {
			t.Fatalf("demo long-poll: %d %s; want 200 and expired", a.status, a.body)
		}
	})

	t.Run("device websocket outlives the timeouts", func(t *testing.T) {
		s := servertest.StartWithTimeouts(t, server.Config{}, short)
		d, _ := withDevice(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, _, err := websocket.Dial(ctx, d.WebsocketURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()
		read := func() push.Frame { // the next frame but notices
			t.Helper()
			for {
				_, data, err := conn.Read(ctx)
				if err != nil {
					t.Fatalf("device read: %v", err)
				}
				f, err := push.DecodeFrame(data)
				if err != nil {
					t.Fatal(err)
				}
				if f.Type != push.FrameNotice {
					return f
				}
			}
		}
		ch := read()
		hello, _ := json.Marshal(push.Frame{Type: push.FrameHello, DeviceID: d.DeviceID, Signature: ed25519.Sign(d.PrivateKey, push.ConnectSigningBytes(ch.Nonce, d.DeviceID))})
		conn.Write(ctx, websocket.MessageText, hello)
		if f := read(); f.Type != push.FrameWelcome {
			t.Fatalf("after hello: %+v", f)
		}
		time.Sleep(3 * short.Write) // past every timeout of the server
		st, err := s.CreateRequest("payroll", push.AuthRequestBody{User: "ada"})
		if err != nil {
			t.Fatal(err)
		}
		if f := read(); f.Type != push.FrameRequest || f.Request.ID != st.ID {
			t.Fatalf("on the same connection: %+v; want the request %s", f, st.ID)
		}
	})
}

func TestConnectionsPerAddress(t *testing.T) {
	t.Run("a flood of connections from one address is capped", func(t *testing.T) {
		const perIP = 3
		s := servertest.Start(t, server.Config{MaxConnsPerIP: perIP})
		var held []net.Conn
		for range perIP {
			c := rawConn(t, s.Addr)
			if code := rawGet(t, c, bufio.NewReader(c), s.Addr, "/openapi.yaml"); code != 200 {
				t.Fatalf("connection %d: %d", len(held)+1, code)
			}
			held = append(held, c)
		}
		if c := rawConn(t, s.Addr); !closedAtOnce(t, c) {
			t.Fatalf("connection %d from the same address was not closed", perIP+1)
		}
		// The held connections still work.
		if code := rawGet(t, held[0], bufio.NewReader(held[0]), s.Addr, "/openapi.yaml"); code != 200 {
			t.Fatalf("a held connection: %d", code)
		}
		// Once one closes (the server sees it at once), a new one works.
		held[1].Close()
		for try := 0; ; try++ {
			c := rawConn(t, s.Addr)
			if _, err := io.WriteString(c, "GET /openapi.yaml HTTP/1.1\r\nHost: "+s.Addr+"\r\n\r\n"); err == nil {
				if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil && resp.StatusCode == 200 {
					break
				}
			}
			c.Close()
			if try == 100 {
				t.Fatal("no new connection is served after one of the held ones closed")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("refused attempts are logged a few times a minute", func(t *testing.T) {
		var logs syncBuffer
		clock := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
		s := servertest.Start(t, server.Config{MaxConnsPerIP: 1, Logger: logger, Now: clock.Now})
		c := rawConn(t, s.Addr)
		if code := rawGet(t, c, bufio.NewReader(c), s.Addr, "/openapi.yaml"); code != 200 {
			t.Fatal(code)
		}
		refuse := func(n int) {
			t.Helper()
			for range n {
				if !closedAtOnce(t, rawConn(t, s.Addr)) {
					t.Fatal("a connection over the limit was served")
				}
			}
		}
		line := `level=WARN msg="connection refused: too many open from one address" remote=127.0.0.1 limit=1` + "\n"
		summary := func(n string) string {
			return `level=WARN msg="` + n + ` more refused attempts suppressed" refused="connection refused: too many open from one address"` + "\n"
		}
		refuse(5)
		want := strings.Repeat(line, 5)
		if logs.String() != want {
			t.Fatalf("after 5 refusals the log is\n%s\nwant\n%s", logs.String(), want)
		}
		// Near the end of the minute: counted, not written; the summary
		// comes as the minute ends.
		clock.Add(time.Minute - 100*time.Millisecond)
		refuse(3)
		want += summary("3")
		for try := 0; logs.String() != want && try < 250; try++ {
			time.Sleep(20 * time.Millisecond)
		}
		if logs.String() != want {
			t.Fatalf("at the end of the minute the log is\n%s\nwant\n%s", logs.String(), want)
		}
		// A new minute: lines again, up to 5; past them, the summary comes
		// with the first line of the minute after.
		clock.Add(time.Second)
		refuse(7)
		clock.Add(time.Minute)
		refuse(1)
		want += strings.Repeat(line, 5) + summary("2") + line
		if logs.String() != want {
			t.Fatalf("the log is\n%s\nwant\n%s", logs.String(), want)
		}
	})
}

func TestCrossSiteRequests(t *testing.T) {
	s := servertest.Start(t, server.Config{Demo: true, MaxPending: 100, RequestsPerMinute: 100})
	_, key := withDevice(t, s)
	token, port := enrollBob(t, s)
	evil := "http://evil.example" + port
	fromPage := map[string]string{"Content-Type": "application/json", "Origin": s.URL}
	with := func(base map[string]string, kv ...string) map[string]string {
		h := map[string]string{}
		for k, v := range base {
			h[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(h, kv[i])
			} else {
				h[kv[i]] = kv[i+1]
			}
		}
		return h
	}
	expect := func(t *testing.T, a answer, status int, code, message string) {
		t.Helper()
		var e struct {
			Error push.ErrorBody `json:"error"`
		}
		if err := json.Unmarshal(a.body, &e); err != nil || a.status != status || e.Error.Code != code || (message != "" && e.Error.Message != message) {
			t.Fatalf("answer %d %s; want %d %s %q", a.status, a.body, status, code, message)
		}
	}
	const notJSON = "send the body as JSON, with the header Content-Type: application/json"

	t.Run("form POST to the relying-party API", func(t *testing.T) {
		a := call(t, "POST", s.URL+"/v1/auth-requests", map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/x-www-form-urlencoded"}, "user=ada")
		expect(t, a, http.StatusUnsupportedMediaType, "unsupported_media", notJSON)
	})
	t.Run("text/plain POST to a page's API", func(t *testing.T) {
		expect(t, call(t, "POST", s.URL+"/demo/sign-in", with(fromPage, "Content-Type", "text/plain"), `{"user":"ada"}`), 415, "unsupported_media", notJSON)
		expect(t, call(t, "POST", s.URL+"/v1/self-service/sign-in", with(fromPage, "Content-Type", "text/plain;charset=UTF-8"), `{"user":"ada","code":"123456"}`), 415, "unsupported_media", notJSON)
	})
	t.Run("POST without a content type", func(t *testing.T) {
		expect(t, call(t, "POST", s.URL+"/v1/devices/poll", nil, `{}`), 415, "unsupported_media", notJSON)
		expect(t, call(t, "POST", s.URL+"/v1/enrollments/"+token+"/renew", with(fromPage, "Content-Type", ""), ""), 415, "unsupported_media", notJSON)
	})
	t.Run("JSON with a charset is JSON", func(t *testing.T) {
		a := call(t, "POST", s.URL+"/v1/auth-requests", map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json; charset=utf-8"}, `{"user":"ada"}`)
		if a.status != http.StatusCreated {
			t.Fatalf("answer %d %s", a.status, a.body)
		}
	})

	const foreign = "this API answers the pages of "
	t.Run("cross-site POST from another origin", func(t *testing.T) {
		for _, path := range []string{"/demo/sign-in", "/v1/self-service/sign-in", "/v1/enrollments/" + token + "/confirm", "/v1/enrollments/" + token + "/renew"} {
			expect(t, call(t, "POST", s.URL+path, with(fromPage, "Origin", evil), `{"user":"ada","code":"123456"}`), 403, "forbidden_origin", foreign+s.URL+" only")
			expect(t, call(t, "POST", s.URL+path, with(fromPage, "Origin", "null"), `{"user":"ada","code":"123456"}`), 403, "forbidden_origin", foreign+s.URL+" only")
			expect(t, call(t, "POST", s.URL+path, with(fromPage, "Origin", "https://"+s.Addr), `{"user":"ada","code":"123456"}`), 403, "forbidden_origin", foreign+s.URL+" only")
		}
	})
	t.Run("POST without Origin to a page's API", func(t *testing.T) {
		expect(t, call(t, "POST", s.URL+"/demo/sign-in", with(fromPage, "Origin", ""), `{"user":"ada"}`), 403, "forbidden_origin", foreign+s.URL+" only")
	})
	t.Run("DNS rebinding reads a page or its API", func(t *testing.T) {
		rebound := "evil.example" + port
		for _, path := range []string{"/", "/enroll/" + token, "/self-service", "/static/enroll.js", "/v1/enrollments/" + token, "/demo/requests/x"} {
			expect(t, call(t, "GET", s.URL+path, map[string]string{"Host": rebound}, ""), 403, "forbidden_origin", "this page is served at "+s.URL+" only: open it there")
		}
		expect(t, call(t, "POST", s.URL+"/demo/sign-in", with(fromPage, "Host", rebound, "Origin", "http://"+rebound), `{"user":"ada"}`), 403, "forbidden_origin", "")
	})
	t.Run("the pages' own calls pass", func(t *testing.T) {
		if a := call(t, "POST", s.URL+"/demo/sign-in", fromPage, `{"user":"ada"}`); a.status != http.StatusCreated {
			t.Fatalf("demo sign-in: %d %s", a.status, a.body)
		}
		if a := call(t, "GET", s.URL+"/v1/enrollments/"+token, map[string]string{"Origin": s.URL}, ""); a.status != 200 {
			t.Fatalf("enrollment status: %d %s", a.status, a.body)
		}
		// This machine's other loopback names, same port: the page works there too.
		for _, host := range []string{"localhost" + port, "[::1]" + port} {
			if a := call(t, "GET", s.URL+"/enroll/"+token, map[string]string{"Host": host}, ""); a.status != 200 {
				t.Fatalf("page at %s: %d %s", host, a.status, a.body)
			}
			a := call(t, "POST", s.URL+"/v1/self-service/sign-in", with(fromPage, "Host", host, "Origin", "http://"+host), `{"user":"ada","code":"000000"}`)
			expect(t, a, http.StatusUnauthorized, "wrong_code", "")
		}
	})
	t.Run("relying parties and devices may use another host name", func(t *testing.T) {
		a := call(t, "POST", s.URL+"/v1/auth-requests", map[string]string{"Host": "countersign.internal:8080", "Authorization": "Bearer " + key, "Content-Type": "application/json", "Origin": evil}, `{"user":"ada"}`)
		if a.status != http.StatusCreated {
			t.Fatalf("relying party by an internal name: %d %s", a.status, a.body)
		}
		if a := call(t, "GET", s.URL+"/v1/devices/challenge", map[string]string{"Host": "proxy.example"}, ""); a.status != 200 {
			t.Fatalf("challenge through a proxy: %d %s", a.status, a.body)
		}
	})
	t.Run("cross-site page opens the device websocket", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, resp, err := websocket.Dial(ctx, "ws://"+s.Addr+"/v1/devices/connect", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {evil}}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("websocket from %s: %v %v", evil, resp, err)
		}
	})
}

func TestClickjackingAndHeaders(t *testing.T) {
	const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	for _, tls := range []bool{false, true} {
		s := servertest.Start(t, server.Config{Demo: true, TLS: tls})
		s.AddUser("ada", true)
		enr, err := s.Enroll("ada")
		if err != nil {
			t.Fatal(err)
		}
		token := enr.EnrollURL[strings.LastIndex(enr.EnrollURL, "/")+1:]
		hsts := ""
		name := "pages cannot be framed"
		if tls {
			hsts, name = "max-age=31536000", "pages cannot be framed and keep to HTTPS"
		}
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{"/", "/enroll/" + token, "/self-service", "/static/demo.js", "/static/style.css", "/enroll/" + token + "/qr.png",
				"/v1/enrollments/" + token, "/openapi.yaml", "/v1/nothing", "/nothing"} {
				a := call(t, "GET", s.URL+path, nil, "")
				for k, v := range map[string]string{"Content-Security-Policy": csp, "X-Frame-Options": "DENY", "Strict-Transport-Security": hsts,
					"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
					if got := a.header.Get(k); got != v {
						t.Errorf("GET %s (%d): %s: %q, want %q", path, a.status, k, got, v)
					}
				}
			}
		})
	}

	t.Run("pages run only scripts and styles of their own files", func(t *testing.T) {
		s := servertest.Start(t, server.Config{Demo: true})
		s.AddUser("ada", true)
		enr, _ := s.Enroll("ada")
		for _, page := range []string{"/", enr.EnrollURL[len(s.URL):], "/self-service"} {
			a := call(t, "GET", s.URL+page, nil, "")
			if a.status != 200 || a.header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("GET %s: %d %s", page, a.status, a.header.Get("Content-Type"))
			}
			doc, err := html.Parse(bytes.NewReader(a.body))
			if err != nil {
				t.Fatal(err)
			}
			loaded := map[string]string{}
			for n := range doc.Descendants() {
				if n.Type != html.ElementNode {
					continue
				}
				attr := map[string]string{}
				for _, at := range n.Attr {
					attr[at.Key] = at.Val
				}
				switch {
				case n.Data == "script" && n.FirstChild != nil:
					t.Errorf("%s: an inline script", page)
				case n.Data == "style" || attr["style"] != "":
					t.Errorf("%s: an inline style", page)
				case n.Data == "script":
					loaded[attr["src"]] = "text/javascript; charset=utf-8"
				case n.Data == "link" && attr["rel"] == "stylesheet":
					loaded[attr["href"]] = "text/css; charset=utf-8"
				}
			}
			if len(loaded) != 2 {
				t.Errorf("%s loads %v, want one script and one style sheet", page, loaded)
			}
			for ref, typ := range loaded {
				if a := call(t, "GET", s.URL+ref, nil, ""); a.status != 200 || a.header.Get("Content-Type") != typ || len(a.body) == 0 {
					t.Errorf("%s loads %s: %d %q", page, ref, a.status, a.header.Get("Content-Type"))
				}
			}
		}
		if a := call(t, "GET", s.URL+"/static/", nil, ""); a.status != http.StatusNotFound {
			t.Errorf("the static directory is listed: %d %s", a.status, a.body)
		}
	})
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a bytes.Buffer for a logger written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
