package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/countersign/countersign/internal/pgtest"
	"github.com/countersign/countersign/push"
)

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(pgtest.Done(code)) // stops the PostgreSQL cluster, if a test started one
}

// binary builds countersignd once, on first use (serve needs a process of
// its own, to be stopped by a signal).
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "countersignd-test-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "countersignd")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = &buildError{out: string(out), err: err}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return "building countersignd: " + e.err.Error() + "\n" + e.out }

// served is a running `countersignd serve`.
type served struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	log  bytes.Buffer // everything it wrote on stderr
	done chan error
}

var servingLine = regexp.MustCompile(`msg=serving addr=(\S+) public_url=(\S+)`)

// serve starts the binary and waits for its "serving" log line.
func serve(t *testing.T, args ...string) *served {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, done: make(chan error, 1)}
	ready := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.log.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m
			}
		}
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case m := <-ready:
		s.addr = m[1]
		return s
	case err := <-s.done:
		t.Fatalf("serve exited: %v\n%s", err, s.logs())
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not start within 20 s:\n%s", s.logs())
	}
	return nil
}

func (s *served) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (s *served) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("serve exited with %v:\n%s", err, s.logs())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not stop within 15 s of SIGTERM:\n%s", s.logs())
	}
	if !strings.Contains(s.logs(), "msg=stopped") {
		t.Fatalf("no clean stop in the log:\n%s", s.logs())
	}
}

// api calls the relying-party API; any failure to get a JSON answer ends
// the test.
func api(t *testing.T, client *http.Client, key, method, url string, body, out any) int {
	t.Helper()
	status, err := apiQuiet(client, key, method, url, body, out)
	if err != nil {
		t.Fatal(err)
	}
	return status
}

// apiQuiet is api for goroutines and for calls that may fail (through a
// load balancer whose instance restarts): errors are returned.
func apiQuiet(client *http.Client, key, method, url string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, data)
		}
	}
	return resp.StatusCode, nil
}

// testDevice activates with the code and connects by websocket, as the app does.
type testDevice struct {
	id   string
	key  ed25519.PrivateKey
	conn *websocket.Conn
	totp push.TOTPParams
}

func activateDevice(t *testing.T, client *http.Client, uri string) *testDevice {
	t.Helper()
	act, err := push.ParseActivationURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	body, _ := json.Marshal(push.ActivateRequest{Code: act.Code, DevicePublicKey: pub, DeviceName: "test phone"})
	resp, err := client.Post(act.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ar push.ActivateResponse
	if err := json.NewDecoder(resp.Body).Decode(&ar); err != nil || resp.StatusCode != 200 {
		t.Fatalf("activate: %d %v", resp.StatusCode, err)
	}
	if !push.MatchFingerprint(ar.ServerPublicKey, act.Fingerprint) {
		t.Fatal("the server key does not match the code's fingerprint")
	}
	d := &testDevice{id: ar.DeviceID, key: priv, totp: ar.TOTP}
	d.connect(t, client, ar.WebsocketURL)
	return d
}

// connect opens the device's websocket and says hello, as the app does.
func (d *testDevice) connect(t *testing.T, client *http.Client, wsURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	d.conn, _, err = websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatalf("dial %s: %v", wsURL, err)
	}
	conn := d.conn
	t.Cleanup(func() { conn.CloseNow() })
	ch := d.read(t)
	hello := push.Frame{Type: push.FrameHello, DeviceID: d.id, Signature: ed25519.Sign(d.key, push.ConnectSigningBytes(ch.Nonce, d.id))}
	d.write(t, hello)
	if f := d.read(t); f.Type != push.FrameWelcome {
		t.Fatalf("after hello: %+v", f)
	}
}

func (d *testDevice) read(t *testing.T) push.Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := d.conn.Read(ctx)
	if err != nil {
		t.Fatalf("device read: %v", err)
	}
	f, err := push.DecodeFrame(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (d *testDevice) write(t *testing.T, f push.Frame) {
	t.Helper()
	data, _ := json.Marshal(f)
	if err := d.conn.Write(context.Background(), websocket.MessageText, data); err != nil {
		t.Fatal(err)
	}
}

// TestServeWithAdminCommandsBeside runs the server process and, beside it
// on the same data, the admin commands: the code made by enroll points at
// the running server, a device activates and approves a sign-in, a device
// revoked by the command line is cut off, and SIGTERM stops the server
// gracefully even with a long-poll in flight. No secret reaches the log.
func TestServeWithAdminCommandsBeside(t *testing.T) {
	dir := t.TempDir()
	srv := serve(t, "--addr", "127.0.0.1:0", "--data", dir)
	base := "http://" + srv.addr
	client := &http.Client{Timeout: 30 * time.Second}

	must(t, "user", "add", "ada", "--data", dir)
	rpOut := strings.Split(strings.TrimSpace(must(t, "rp", "add", "shop", "--data", dir)), "\n")
	key := rpOut[len(rpOut)-1]
	var enr struct {
		ActivationURI string `json:"activation_uri"`
		EnrollURL     string `json:"enroll_url"`
	}
	json.Unmarshal([]byte(must(t, "enroll", "ada", "--json", "--data", dir)), &enr)
	if !strings.HasPrefix(enr.EnrollURL, base+"/enroll/") {
		t.Fatalf("enroll beside serve made %q, want a link to %s", enr.EnrollURL, base)
	}
	resp, err := client.Get(enr.EnrollURL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("enrollment page: %v %v", resp, err)
	}
	resp.Body.Close()
	d := activateDevice(t, client, enr.ActivationURI)

	// The demo page is off unless asked for, even on loopback.
	resp, err = client.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("demo page without --demo: %d", resp.StatusCode)
	}

	st := pushApproved(t, client, base, key, d, "ada")

	// Revoked by the command line, in another process: the next sign-in
	// needs an enrollment, and the device's connection is closed.
	if out := must(t, "device", "revoke", d.id, "--data", dir); out != "revoked device "+d.id+": it can no longer connect, answer or sign in with its codes; the user's other devices are told\n" {
		t.Fatalf("revoke: %q", out)
	}
	var ae struct {
		Error push.ErrorBody `json:"error"`
	}
	if code := api(t, client, key, "POST", base+"/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &ae); code != 409 || ae.Error.Code != "enrollment_required" || !strings.HasPrefix(ae.Error.EnrollURL, base+"/enroll/") {
		t.Fatalf("after revoking: %d %+v", code, ae)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, data, err := d.conn.Read(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the revoked device's connection is still open: %q %v", data, err)
	}
	var devices []deviceJSON
	json.Unmarshal([]byte(must(t, "devices", "ada", "--json", "--data", dir)), &devices)
	if len(devices) != 1 || devices[0].ID != d.id || devices[0].Active || devices[0].Name != "test phone" || devices[0].Revoked.IsZero() {
		t.Fatalf("devices: %+v", devices)
	}

	// A second device; a request waits; the relying party long-polls; SIGTERM.
	json.Unmarshal([]byte(must(t, "enroll", "ada", "--json", "--data", dir)), &enr)
	activateDevice(t, client, enr.ActivationURI)
	if code := api(t, client, key, "POST", base+"/v1/auth-requests", push.AuthRequestBody{User: "ada"}, &st); code != 201 {
		t.Fatalf("auth request: %d", code)
	}
	// The long-poll goes on a new connection of its own. Once its request
	// is written, a request answered on another new connection shows the
	// server has accepted the long-poll's (it accepts them in order), and
	// the server serves an accepted connection to the end at shutdown.
	newConns := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	written := make(chan struct{})
	var writtenOnce sync.Once
	type pollResult struct {
		state push.AuthRequestState
		err   error
	}
	polled := make(chan pollResult, 1)
	go func() {
		req, _ := http.NewRequest("GET", base+"/v1/auth-requests/"+st.ID+"?wait=60s", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { writtenOnce.Do(func() { close(written) }) },
		}))
		var r pollResult
		resp, err := newConns.Do(req)
		if err == nil {
			r.err = json.NewDecoder(resp.Body).Decode(&r.state)
			resp.Body.Close()
		} else {
			r.err = err
		}
		polled <- r
	}()
	select {
	case <-written:
	case r := <-polled:
		t.Fatalf("the long-poll ended before the shutdown: %+v", r)
	case <-time.After(10 * time.Second):
		t.Fatal("the long-poll's request was not written within 10 s")
	}
	var now push.AuthRequestState
	if code := api(t, newConns, key, "GET", base+"/v1/auth-requests/"+st.ID, nil, &now); code != 200 || now.Status != push.StatusPending {
		t.Fatalf("status read beside the long-poll: %d %+v", code, now)
	}
	stopped := time.Now()
	srv.stop(t)
	select {
	case r := <-polled:
		if r.err != nil || r.state.Status != push.StatusPending || r.state.ID != st.ID {
			t.Fatalf("long-poll at shutdown: %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the long-poll was not answered at shutdown")
	}
	if took := time.Since(stopped); took > 5*time.Second {
		t.Fatalf("shutdown took %v", took)
	}
	logs := srv.logs()
	for name, secret := range map[string]string{"API key": key, "activation code": codeOf(t, enr.ActivationURI), "TOTP seed": d.totp.Secret} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s", name)
		}
	}
	for _, want := range []string{"msg=\"device activated\"", "msg=\"request decided\"", "msg=\"shutting down\""} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s:\n%s", want, logs)
		}
	}
}

func codeOf(t *testing.T, uri string) string {
	act, err := push.ParseActivationURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	return act.Code
}

// TestServeTLS serves HTTPS with a certificate from files; the public URL
// and the websocket URL are https/wss.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, pool := selfSigned(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, certPEM, 0o600)
	os.WriteFile(keyFile, keyPEM, 0o600)
	srv := serve(t, "--addr", "127.0.0.1:0", "--data", dir, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.Contains(srv.logs(), "public_url=https://"+srv.addr) {
		t.Fatalf("log: %s", srv.logs())
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + srv.addr + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(spec, []byte("openapi: 3")) {
		t.Fatalf("openapi over TLS: %d %.40q", resp.StatusCode, spec)
	}
	// Plain HTTP on the TLS port gets nowhere.
	if resp, err := http.Get("http://" + srv.addr + "/openapi.yaml"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP served on the TLS port")
		}
	}
	must(t, "user", "add", "ada", "--data", dir)
	var enr struct {
		ActivationURI string `json:"activation_uri"`
	}
	json.Unmarshal([]byte(must(t, "enroll", "ada", "--json", "--data", dir)), &enr)
	if act, _ := push.ParseActivationURI(enr.ActivationURI); act.URL != "https://"+srv.addr+"/v1/activate" {
		t.Fatalf("activation URL %q", act.URL)
	}
	activateDevice(t, client, enr.ActivationURI) // over https and wss
	srv.stop(t)
}

// selfSigned makes a certificate for 127.0.0.1 and localhost and a pool
// that trusts it.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "countersignd test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"}, // Duo's Python client checks DNS names only
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), pool
}

// TestServeDemo: --demo serves the demo page on loopback; behind a public
// URL it needs --demo-public as well, and says so in the log.
func TestServeDemo(t *testing.T) {
	client := &http.Client{Timeout: 10 * time.Second}
	for _, c := range []struct {
		args []string
		warn bool
	}{
		{[]string{"--demo"}, false},
		{[]string{"--demo", "--demo-public", "--public-url", "https://cs.example.com"}, true},
	} {
		srv := serve(t, append([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir()}, c.args...)...)
		req, _ := http.NewRequest("GET", "http://"+srv.addr+"/", nil)
		if c.warn {
			req.Host = "cs.example.com" // as the TLS proxy in front passes it on
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(page, []byte("Sign in (demo)")) {
			t.Fatalf("%v: demo page: %d", c.args, resp.StatusCode)
		}
		srv.stop(t)
		if warned := strings.Contains(srv.logs(), "the demo page is public (--demo-public)"); warned != c.warn {
			t.Fatalf("%v: warning %t in the log:\n%s", c.args, warned, srv.logs())
		}
	}
}
