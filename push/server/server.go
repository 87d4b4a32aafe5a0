// Package server is the Countersign push server: enrollment of devices by
// activation code, sign-in requests pushed to devices over websockets and
// decided by their signed answers, one-time-code verification, and the HTTP
// API for relying parties. It never imports the app or the keyring.
package server

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/countersign/countersign/push/store"
	"github.com/countersign/countersign/push/telephony"
)

// Config are the server's settings; zero values take the defaults.
type Config struct {
	// PublicURL is how devices and browsers reach the server, e.g.
	// https://cs.example.com; it goes into activation codes. Empty: the
	// URL that the last serving process recorded (RememberPublicURL), so
	// admin commands run beside it make codes that point at it.
	PublicURL string
	// Issuer names the service in authenticator apps.
	Issuer string
	// NumberDigits is the length of the number to match (2 by default, up to 6).
	NumberDigits int
	// RequestTTL is how long a sign-in request waits for an answer.
	RequestTTL time.Duration
	// ActivationTTL is how long an activation code stays valid (10 minutes).
	ActivationTTL time.Duration
	// KeepUnblockedOnFraud turns off blocking users who report fraud.
	KeepUnblockedOnFraud bool
	// MaxPending is how many requests a user may have waiting (1).
	MaxPending int
	// RequestsPerMinute bounds the requests per user per minute (10).
	RequestsPerMinute int
	// OTPThrottleAfter failures in a row slow one-time-code checks down (5);
	// OTPBlockAfter block the user (20; at most 100).
	OTPThrottleAfter, OTPBlockAfter int
	// Demo serves the demo sign-in page at /: anyone who reaches it can push
	// sign-in requests to any user, so keep it to loopback.
	Demo bool
	// TLS says the server is reached over HTTPS (directly or through a TLS
	// proxy): browsers are then told to keep to HTTPS (HSTS).
	TLS bool
	// MaxConnsPerIP bounds the open connections from one client address
	// (see LimitListener); 0 takes the default.
	MaxConnsPerIP int
	// Telephony sends text messages and calls for the phone methods; nil:
	// the phone methods are unavailable.
	Telephony telephony.Gateway
	// TelephonyCountries are the ISO country codes that phone numbers may
	// be in; empty: the countries of the users' stored numbers.
	TelephonyCountries []string
	// TelephonyDailyCap bounds the messages sent in a day, to everyone
	// (1000 by default): a stop to SMS pumping and toll fraud.
	TelephonyDailyCap int
	// TelephonyCallbackSecret is the HMAC key the gateway signs its
	// callbacks (keys pressed during a call) with.
	TelephonyCallbackSecret []byte
	// TrustedProxies are the load balancers and reverse proxies whose
	// X-Forwarded-For names the client (proxy.go); from anyone else the
	// header is ignored.
	TrustedProxies []netip.Prefix
	// Shared says that other processes may serve the same database
	// (instances behind a load balancer): changes they must act on are
	// written to the event log (bus.go). Admin commands always share.
	Shared bool
	// DatabaseURL is a PostgreSQL database (postgres://user:password@host/db)
	// to keep the state in, shared by every instance given it; empty: the
	// SQLite file DatabaseFile in the data directory. The key files stay in
	// the data directory either way (see the README's PostgreSQL section).
	DatabaseURL string
	// UsageModel is how usage is billed, "per-user" (enabled users) or
	// "per-authentication"; chosen at the first start and kept in the
	// database. Empty: the stored model, or per-authentication at first.
	UsageModel string
	// Now tells the time; tests move it.
	Now func() time.Time
	// Logger receives structured logs; never secrets.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Issuer == "" {
		c.Issuer = "Countersign"
	}
	if c.NumberDigits == 0 {
		c.NumberDigits = 2
	}
	c.NumberDigits = max(1, min(c.NumberDigits, 6))
	if c.RequestTTL == 0 {
		c.RequestTTL = 2 * time.Minute
	}
	if c.ActivationTTL == 0 {
		c.ActivationTTL = 10 * time.Minute
	}
	if c.TelephonyDailyCap == 0 {
		c.TelephonyDailyCap = 1000
	}
	if c.MaxPending == 0 {
		c.MaxPending = 1
	}
	if c.RequestsPerMinute == 0 {
		c.RequestsPerMinute = 10
	}
	if c.OTPThrottleAfter == 0 {
		c.OTPThrottleAfter = 5
	}
	if c.OTPBlockAfter == 0 {
		c.OTPBlockAfter = 20
	}
	c.OTPBlockAfter = min(c.OTPBlockAfter, 100)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
}

// Server is an open Countersign server: its database and keys. The admin
// commands use it without serving HTTP.
type Server struct {
	cfg   Config
	store *store.Store
	keys  keys
	log   *slog.Logger
	hub   *hub
	rps   rpCache
	polls challenges
	// selfSessions are the self-service sign-ins.
	selfSessions sessions
	// attempts counts wrong codes per client address on pages without a key.
	attempts attemptLimiter
	// refusedLog rate-limits the log lines of refused attempts (edge.go).
	refusedLog refusedLog

	timersMu   sync.Mutex
	timers     map[string]*time.Timer
	closed     bool
	stopPinger context.CancelFunc
	// background counts the goroutines Close waits for: the pinger, the
	// event follower and the workers.
	background sync.WaitGroup
	// work and workCtx: the workers of the connected devices (workers.go).
	work    chan func()
	workCtx context.Context
	// origin names this process in the event log.
	origin string
}

// DatabaseFile is the SQLite file inside the data directory.
const DatabaseFile = "countersign.db"

// Open opens the server's data directory (database and key files), creating
// what is missing.
func Open(dataDir string, cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	k, err := loadOrCreateKeys(dataDir)
	if err != nil {
		return nil, err
	}
	st, err := openStore(dataDir, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkKeysMatchDatabase(st, k, dataDir); err != nil { // keycheck.go
		st.Close()
		return nil, err
	}
	if cfg.PublicURL == "" {
		u, err := st.Setting(settingPublicURL)
		if err != nil {
			st.Close()
			return nil, err
		}
		cfg.PublicURL = u
	}
	s := &Server{cfg: cfg, store: st, keys: k, log: cfg.Logger, timers: map[string]*time.Timer{}, origin: randomID()}
	s.selfSessions = sessions{st: st, log: cfg.Logger}
	s.attempts = attemptLimiter{st: st, scope: "code-by-address", log: cfg.Logger}
	if err := s.migrateSecrets(); err != nil {
		st.Close()
		return nil, fmt.Errorf("moving to per-device seeds: %w", err)
	}
	if err := s.settleUsageModel(); err != nil { // usage.go
		st.Close()
		return nil, err
	}
	if err := s.migrateDuoKeys(); err != nil {
		st.Close()
		return nil, fmt.Errorf("giving relying parties Duo keys: %w", err)
	}
	s.hub = newHub(s)
	var ctx context.Context
	ctx, s.stopPinger = context.WithCancel(context.Background())
	s.startWorkers(ctx)
	s.background.Go(func() { s.hub.pinger(ctx) })
	s.background.Go(func() { s.followEvents(ctx) })
	return s, nil
}

// openStore opens the PostgreSQL database of dbURL, or without one the
// SQLite file in the data directory.
func openStore(dataDir, dbURL string) (*store.Store, error) {
	if dbURL != "" {
		return store.OpenURL(dbURL)
	}
	return store.Open(filepath.Join(dataDir, DatabaseFile))
}

// Close stops the timers, closes device connections and the database.
func (s *Server) Close() error {
	s.timersMu.Lock()
	s.closed = true
	for _, t := range s.timers {
		t.Stop()
	}
	s.timersMu.Unlock()
	s.stopPinger()
	s.background.Wait()
	s.hub.closeAll()
	return s.store.Close()
}

// settingPublicURL is the setting that holds the serving process's public URL.
const settingPublicURL = "public_url"

// PublicURL returns the URL that activation codes and enrollment links use.
func (s *Server) PublicURL() string { return s.cfg.PublicURL }

// RememberPublicURL records the server's public URL in the database, for
// admin commands run beside the serving process (see Config.PublicURL),
// and returns the one recorded before ("" if none): when it differs,
// enrollment links made by admin commands change with it, and instances
// sharing the database disagree on where devices reach them.
func (s *Server) RememberPublicURL() (previous string, err error) {
	previous, err = s.store.Setting(settingPublicURL)
	if err != nil {
		return "", err
	}
	return previous, s.store.SetSetting(settingPublicURL, s.cfg.PublicURL)
}

// PublicKey returns the server's Ed25519 public key.
func (s *Server) PublicKey() ed25519.PublicKey { return s.keys.sign.Public().(ed25519.PublicKey) }

// Store gives access to the database (for admin listings and tests).
func (s *Server) Store() *store.Store { return s.store }

// Handler returns the HTTP handler of every endpoint.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/activate", s.handleActivate)
	mux.HandleFunc("GET /v1/devices/connect", s.handleConnect)
	mux.HandleFunc("GET /v1/devices/challenge", s.handleChallenge)
	mux.HandleFunc("POST /v1/devices/poll", s.handlePoll)
	mux.HandleFunc("POST /v1/devices/answer", s.handleDeviceAnswer)
	mux.HandleFunc("POST /v1/auth-requests", s.withRP(s.handleCreateRequest))
	mux.HandleFunc("GET /v1/auth-requests/{id}", s.withRP(s.handleGetRequest))
	mux.HandleFunc("POST /v1/otp/verify", s.withRP(s.handleVerifyOTP))
	// Anything else under /v1/ answers in the API's JSON, not plain text.
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, errorf("not_found", "no endpoint %s %s; the API is described at /openapi.yaml", r.Method, r.URL.Path))
	})
	s.routePages(mux)
	s.routeTelephony(mux)
	s.routeDuo(mux)
	s.routeConsole(mux)
	return s.edge(mux)
}

// randomID returns 16 random bytes in hex.
func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// randomToken returns n random bytes in unpadded base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// randomNumber returns a uniformly random number of the configured length,
// with leading zeros.
func (s *Server) randomNumber() string {
	limit := big.NewInt(1)
	for range s.cfg.NumberDigits {
		limit.Mul(limit, big.NewInt(10))
	}
	n, _ := rand.Int(rand.Reader, limit)
	return fmt.Sprintf("%0*d", s.cfg.NumberDigits, n)
}

// unschedule cancels what schedule arranged for key.
func (s *Server) unschedule(key string) {
	s.timersMu.Lock()
	defer s.timersMu.Unlock()
	if t := s.timers[key]; t != nil {
		t.Stop()
		delete(s.timers, key)
	}
}

// schedule runs f at t (once); a later schedule for the same key replaces it.
func (s *Server) schedule(key string, at time.Time, f func()) {
	s.timersMu.Lock()
	defer s.timersMu.Unlock()
	if s.closed {
		return
	}
	if old := s.timers[key]; old != nil {
		old.Stop()
	}
	s.timers[key] = time.AfterFunc(max(0, at.Sub(s.cfg.Now())), func() {
		s.timersMu.Lock()
		delete(s.timers, key)
		s.timersMu.Unlock()
		f()
	})
}
