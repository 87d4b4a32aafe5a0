// Package pgtest runs a private PostgreSQL cluster for tests: initdb in a
// temporary directory, the server on a free loopback port with a random
// password, one fresh database per test, and the cluster stopped and
// removed when the test binary ends (Main), or killed with it if it dies.
// PostgreSQL refuses to run as root, so as root the cluster runs as the
// "postgres" system user (the Debian package's); otherwise as the current
// user. When PostgreSQL cannot
// be started, the tests that asked for a database fail with the reason:
// they are never skipped.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running private PostgreSQL cluster.
type Cluster struct {
	dir      string              // data directory (and the socket's)
	bin      string              // directory of initdb, pg_ctl
	cred     *syscall.Credential // the postgres user's, as root; nil otherwise
	server   *exec.Cmd           // the postmaster, our child
	exited   chan struct{}       // closed when it exits
	log      lockedBuffer        // its output
	port     int
	password string

	mu     sync.Mutex
	admin  *pgx.Conn // creates the databases
	shared *pgx.Conn // creates the schemas, in database "shared"
	n      int       // databases and schemas made
}

// binDir finds PostgreSQL's server programs: on PATH, else Debian's
// /usr/lib/postgresql/<version>/bin (the newest).
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL's initdb is neither on PATH nor in /usr/lib/postgresql/*/bin: install it (make test does: scripts/deps.sh test; or apt-get install postgresql)")
}

// freePort returns a loopback TCP port nobody listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lockedBuffer is the server's output, written and read at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start initialises and starts a new cluster. Stop it with Stop.
func Start() (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	var uid, gid = -1, -1
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL refuses to run as root and there is no postgres user to run it as (%w): install the postgresql package, or run the tests as another user", err)
		}
		uid, _ = strconv.Atoi(pg.Uid)
		gid, _ = strconv.Atoi(pg.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if c.dir, err = os.MkdirTemp("", "countersign-pg-"); err != nil {
		return nil, fmt.Errorf("making the cluster's directory: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			c.Stop()
		}
	}()
	if uid >= 0 {
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return nil, fmt.Errorf("giving %s to the postgres user: %w", c.dir, err)
		}
	}
	pw := make([]byte, 16)
	rand.Read(pw)
	c.password = hex.EncodeToString(pw)
	data := filepath.Join(c.dir, "data")
	pwfile := filepath.Join(c.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if uid >= 0 {
		if err := os.Chown(pwfile, uid, gid); err != nil {
			return nil, err
		}
	}
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--pwfile", pwfile, "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	os.Remove(pwfile)
	if c.port, err = freePort(); err != nil {
		return nil, fmt.Errorf("finding a free port: %w", err)
	}
	if err := c.startServer(data); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c.admin, err = c.connectWhenReady(ctx); err != nil {
		return nil, err
	}
	if _, err := c.admin.Exec(ctx, `CREATE DATABASE shared TEMPLATE template0`); err != nil {
		return nil, fmt.Errorf("creating the database of the schemas: %w", err)
	}
	if c.shared, err = pgx.Connect(ctx, c.url("shared")); err != nil {
		return nil, fmt.Errorf("connecting to the test cluster: %w", err)
	}
	ok = true
	return c, nil
}

// command prepares one of PostgreSQL's programs, to run as the postgres
// user if we are root.
func (c *Cluster) command(prog string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, prog), args...)
	cmd.Dir = c.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	return cmd
}

// run runs one of PostgreSQL's programs to its end.
func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	return c.command(prog, args...).CombinedOutput()
}

// startServer starts the postmaster as a child that dies with this
// process (a killed or timed-out test binary leaves no cluster behind).
func (c *Cluster) startServer(data string) error {
	var err error
	if c.port, err = freePort(); err != nil {
		return fmt.Errorf("finding a free port: %w", err)
	}
	// Durability off: a test cluster is thrown away, and fsync would make
	// every commit wait for the disk.
	c.server = c.command("postgres", "-D", data, "-p", strconv.Itoa(c.port), "-k", c.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "wal_level=minimal", "-c", "max_wal_senders=0")
	c.server.SysProcAttr.Pdeathsig = syscall.SIGQUIT // PostgreSQL's immediate shutdown
	c.server.Stdout, c.server.Stderr = &c.log, &c.log
	// The parent-death signal comes when the thread that started the
	// child ends, not the process: the goroutine that starts it keeps its
	// thread, and lives, until the server exits.
	c.exited = make(chan struct{})
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer close(c.exited)
		if err := c.server.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.server.Wait()
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	return nil
}

// connectWhenReady connects to the new server once it accepts connections.
func (c *Cluster) connectWhenReady(ctx context.Context) (*pgx.Conn, error) {
	for {
		conn, err := pgx.Connect(ctx, c.url("postgres"))
		if err == nil {
			return conn, nil
		}
		select {
		case <-c.exited:
			return nil, fmt.Errorf("postgres exited at start: %v\n%s", c.server.ProcessState, c.log.String())
		case <-ctx.Done():
			return nil, fmt.Errorf("postgres accepted no connection in 30 s: %w\n%s", err, c.log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Cluster) url(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword("postgres", c.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// NewDatabase creates an empty database and returns its URL.
func (c *Cluster) NewDatabase() (string, error) {
	// FILE_COPY: with fsync off, copying template0's files is faster than
	// writing them through the WAL.
	name, err := c.do(c.admin, "", `CREATE DATABASE %s TEMPLATE template0 STRATEGY FILE_COPY`)
	return c.url(name), err
}

// NewSchema creates an empty schema in the cluster's database "shared" and
// returns a URL whose connections use it (search_path): as separate as a
// database for tables, functions and their data, made in a millisecond
// where a database takes a second. What is per database (LISTEN/NOTIFY
// channels, advisory locks) is shared: use NewDatabase for that.
func (c *Cluster) NewSchema() (string, error) {
	name, err := c.do(c.shared, "", `CREATE SCHEMA %s`)
	return c.url("shared") + "&search_path=" + name, err
}

// DropDatabase drops a database NewDatabase made, closing its connections.
func (c *Cluster) DropDatabase(dbURL string) error {
	u, err := url.Parse(dbURL)
	if err != nil {
		return err
	}
	_, err = c.do(c.admin, strings.TrimPrefix(u.Path, "/"), `DROP DATABASE IF EXISTS %s WITH (FORCE)`)
	return err
}

// DropSchema drops a schema NewSchema made, with everything in it.
func (c *Cluster) DropSchema(schemaURL string) error {
	u, err := url.Parse(schemaURL)
	if err != nil {
		return err
	}
	_, err = c.do(c.shared, u.Query().Get("search_path"), `DROP SCHEMA IF EXISTS %s CASCADE`)
	return err
}

// do runs statement on conn with the name given, or a new one if name is
// "", and returns the name.
func (c *Cluster) do(conn *pgx.Conn, name, statement string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name == "" {
		c.n++
		name = fmt.Sprintf("test_%d", c.n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q := fmt.Sprintf(statement, pgx.Identifier{name}.Sanitize())
	if _, err := conn.Exec(ctx, q); err != nil {
		return name, fmt.Errorf("%s: %w", q, err)
	}
	return name, nil
}

// Stop stops the cluster at once and removes its directory.
func (c *Cluster) Stop() error {
	for _, conn := range []*pgx.Conn{c.shared, c.admin} {
		if conn != nil {
			conn.Close(context.Background())
		}
	}
	var err error
	if c.server != nil && c.server.Process != nil {
		c.server.Process.Signal(syscall.SIGQUIT)
		select {
		case <-c.exited:
		case <-time.After(30 * time.Second):
			c.server.Process.Kill()
			err = errors.New("postgres did not stop within 30 s of SIGQUIT: killed")
		}
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
	return err
}
