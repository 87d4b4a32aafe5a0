package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/telephony"
)

// defaultAddr is where serve listens without --addr: this machine only.
const defaultAddr = "127.0.0.1:8080"

// shutdownTimeout bounds the graceful shutdown.
const shutdownTimeout = 10 * time.Second

func cmdServe(args []string, stderr io.Writer) error {
	fs, data := newFlags("serve")
	addr := fs.String("addr", defaultAddr, "address to listen on")
	publicURL := fs.String("public-url", "", "URL devices and browsers reach the server at (default: http(s)://ADDR)")
	certFile := fs.String("tls-cert", "", "TLS certificate file (PEM)")
	keyFile := fs.String("tls-key", "", "TLS private key file (PEM)")
	insecure := fs.Bool("insecure-allow-http", false, "allow plain HTTP on an address that is not loopback (behind a TLS proxy)")
	demo := fs.Bool("demo", false, "serve the demo sign-in page at /: anyone who reaches it can push sign-in requests to any user (loopback public URL only)")
	demoPublic := fs.Bool("demo-public", false, "allow --demo although the public URL is not loopback")
	digits := fs.Int("number-digits", 2, "length of the number to match, 1 to 6")
	issuer := fs.String("issuer", "Countersign", "name of the service in authenticator apps")
	blockOnFraud := fs.Bool("block-on-fraud", true, "block users who report a sign-in as fraud")
	logJSON := fs.Bool("log-json", false, "write logs as JSON lines")
	telephonySpec := fs.String("telephony", "", "telephony gateway for text messages and calls: file:PATH, webhook:CONFIG.json or exec:PROGRAM (none: the phone methods are off)")
	countries := fs.String("telephony-countries", "", "countries phone numbers may be in, e.g. US,GB,DE (default: those of the users' stored numbers)")
	dailyCap := fs.Int("telephony-daily-cap", 1000, "most text messages and calls in 24 hours, to everyone")
	proxies := fs.String("trusted-proxy", "", "load balancers or reverse proxies whose X-Forwarded-For names the client, e.g. 127.0.0.1,10.0.0.0/8")
	shared := fs.Bool("shared", false, "other countersignd instances serve the same SQLite database (behind a load balancer): tell them about requests, decisions and notices (always on with --db)")
	usageModel := fs.String("usage-model", "", "how usage is billed: per-user or per-authentication (chosen at the first start, default per-authentication)")
	maxConns := fs.Int("max-conns-per-ip", server.DefaultMaxConnsPerIP, "most connections one client address may hold open; 0: no limit (behind a reverse proxy, whose address every connection comes from)")
	if _, err := parse(fs, args, 0, ""); err != nil {
		return err
	}

	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return usagef("--addr %q is not HOST:PORT: %v", *addr, err)
	}
	loopback := push.IsLoopback(host)
	useTLS := *certFile != "" || *keyFile != ""
	switch {
	case useTLS && (*certFile == "" || *keyFile == ""):
		return usagef("--tls-cert and --tls-key go together: give both")
	case !useTLS && !loopback && !*insecure:
		return fmt.Errorf("refusing plain HTTP on %s, which is not a loopback address: give --tls-cert and --tls-key (or --insecure-allow-http behind a TLS proxy)", *addr)
	case *digits < 1 || *digits > 6:
		return usagef("--number-digits %d: use 1 to 6 (2 by default, 6 for NIST SP 800-63B-4)", *digits)
	case *demoPublic && !*demo:
		return usagef("--demo-public goes with --demo")
	case *maxConns < 0:
		return usagef("--max-conns-per-ip %d: give a number of connections (%d by default), or 0 for no limit", *maxConns, server.DefaultMaxConnsPerIP)
	}
	trustedProxies, err := parsePrefixes(*proxies)
	if err != nil {
		return usagef("--trusted-proxy: %v", err)
	}
	var gateway telephony.Gateway
	var callbackSecret []byte
	if *telephonySpec != "" {
		if gateway, err = telephony.Parse(*telephonySpec); err != nil {
			return usagef("--telephony %s: %v", *telephonySpec, err)
		}
	}
	var allowed []string
	if *countries != "" {
		if allowed, err = telephony.ParseCountries(*countries); err != nil {
			return usagef("--telephony-countries: %v", err)
		}
	}
	if *dailyCap < 1 {
		return usagef("--telephony-daily-cap %d: give at least 1", *dailyCap)
	}
	var tlsConfig *tls.Config
	if useTLS {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fmt.Errorf("loading the TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logJSON {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	logger := slog.New(handler)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is another server running there? pick another --addr)", *addr, err)
	}
	defer ln.Close()
	pub, err := resolvePublicURL(*publicURL, ln.Addr().(*net.TCPAddr), host, useTLS)
	if err != nil {
		return err
	}
	if *demo && !*demoPublic && !publicIsLoopback(pub) {
		return fmt.Errorf("refusing --demo: the public URL %s is not on this machine, and the demo page lets anyone who reaches it push sign-in requests to any user; add --demo-public if that is what you want", pub)
	}
	if err := push.CheckEndpoint(pub + "/v1/activate"); err != nil {
		if !*insecure {
			return fmt.Errorf("--public-url %s: %v; the app refuses such activation codes", pub, err)
		}
		logger.Warn("the public URL is plain http off this machine: the app will refuse its activation codes unless a TLS proxy serves it as https", "public_url", pub)
	}

	dir, err := filepath.Abs(*data)
	if err != nil {
		return fmt.Errorf("data directory %s: %w", *data, err)
	}
	if gateway != nil {
		if callbackSecret, err = telephonyCallbackSecret(dir); err != nil {
			return err
		}
	}
	srv, err := server.Open(dir, server.Config{
		Telephony:               gateway,
		TelephonyCountries:      allowed,
		TelephonyDailyCap:       *dailyCap,
		TelephonyCallbackSecret: callbackSecret,
		UsageModel:              *usageModel,
		DatabaseURL:             databaseURL(*data),
		// A PostgreSQL database is there to be shared: its instances
		// always tell each other what changed.
		Shared:               *shared || databaseURL(*data) != "",
		TrustedProxies:       trustedProxies,
		PublicURL:            pub,
		Issuer:               *issuer,
		NumberDigits:         *digits,
		KeepUnblockedOnFraud: !*blockOnFraud,
		Demo:                 *demo,
		Logger:               logger,
		// Browsers are told to keep to HTTPS (HSTS) when they reach the
		// server over it: served with TLS here, or by a TLS proxy.
		TLS:           useTLS || strings.HasPrefix(pub, "https://"),
		MaxConnsPerIP: connLimit(*maxConns),
	})
	if err != nil {
		return fmt.Errorf("opening %s: %w", dir, err)
	}
	closeServer := sync.OnceValue(srv.Close)
	defer closeServer()
	previousURL, err := srv.RememberPublicURL()
	if err != nil {
		return err
	}
	// Compared as recorded (the server keeps it without a trailing slash).
	if previousURL != "" && previousURL != srv.PublicURL() {
		// A changed --public-url, or instances of one database given
		// different ones: links already sent out, and the other
		// instances' devices, may still use the old one.
		logger.Warn("the public URL differs from the one recorded by the last server on this database; admin commands (enroll) now make links with this one, and every instance sharing the database should be given the same --public-url",
			"public_url", srv.PublicURL(), "previous", previousURL)
	}
	if gateway != nil {
		logTelephony(logger, gateway, filepath.Join(dir, callbackSecretFile), allowed)
	}
	if *demo && !publicIsLoopback(pub) {
		logger.Warn("the demo page is public (--demo-public): anyone who reaches it can push sign-in requests to any user")
	}

	// SIGTERM and Ctrl+C stop the server gracefully from the moment it
	// says it is serving (a signal before would kill it outright).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Requests' contexts derive from base: cancelling it at shutdown answers
	// long-polls at once and closes device websockets.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	// The timeouts, the long-polls' deadlines and the error log are the
	// server package's (the same as in tests); connections over the limit
	// per address are closed before TLS or HTTP.
	hs := srv.HTTPServer(server.HTTPTimeouts{})
	hs.TLSConfig = tlsConfig
	hs.BaseContext = func(net.Listener) context.Context { return base }
	limited := srv.LimitListener(ln)
	errc := make(chan error, 1)
	go func() {
		if useTLS {
			errc <- hs.ServeTLS(limited, "", "")
		} else {
			errc <- hs.Serve(limited)
		}
	}()
	logger.Info("serving", "addr", ln.Addr().String(), "public_url", pub, "tls", useTLS, "demo", *demo, "data", dir)

	select {
	case err := <-errc:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	stop()
	logger.Info("shutting down")
	cancelBase()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := closeServer(); err != nil {
		return fmt.Errorf("closing the database: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// connLimit turns --max-conns-per-ip (0: no limit) into
// Config.MaxConnsPerIP (0: the default; negative: no limit).
func connLimit(flagValue int) int {
	if flagValue == 0 {
		return -1
	}
	return flagValue
}

// publicIsLoopback reports whether a public URL points at this machine.
func publicIsLoopback(pub string) bool {
	u, err := url.Parse(pub)
	return err == nil && push.IsLoopback(u.Hostname())
}

// resolvePublicURL checks --public-url, or derives it from the address
// actually listened on (so --addr 127.0.0.1:0 works).
func resolvePublicURL(flagValue string, listened *net.TCPAddr, host string, useTLS bool) (string, error) {
	if flagValue != "" {
		u, err := url.Parse(flagValue)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return "", usagef("--public-url %q is not an http(s) URL such as https://cs.example.com", flagValue)
		}
		return flagValue, nil
	}
	if host == "" || listened.IP.IsUnspecified() {
		return "", usagef("--addr listens on every interface: give --public-url, the URL devices reach the server at")
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	if host == "localhost" {
		return fmt.Sprintf("%s://localhost:%d", scheme, listened.Port), nil
	}
	return scheme + "://" + listened.String(), nil
}

// parsePrefixes reads a comma-separated list of addresses and CIDR
// prefixes (an address alone is a prefix of its full length).
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix such as 10.0.0.0/8", item)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
