package main

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/internal/pgtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/store"
)

// TestServeOnPostgreSQL runs serve with --db on a private PostgreSQL
// cluster, and the admin commands beside it with the same --db and
// --data: one push sign-in end to end, its state in PostgreSQL (no SQLite
// file in --data), the keys in --data, and the password in no log.
func TestServeOnPostgreSQL(t *testing.T) {
	db := pgtest.URL(t)
	dir := t.TempDir()
	srv := serve(t, "--addr", "127.0.0.1:0", "--data", dir, "--db", db)
	base := "http://" + srv.addr
	client := &http.Client{Timeout: 30 * time.Second}

	must(t, "user", "add", "ada", "--data", dir, "--db", db)
	rpOut := strings.Split(strings.TrimSpace(must(t, "rp", "add", "shop", "--data", dir, "--db", db)), "\n")
	key := rpOut[len(rpOut)-1]
	var enr struct {
		ActivationURI string `json:"activation_uri"`
	}
	if err := json.Unmarshal([]byte(must(t, "enroll", "ada", "--json", "--data", dir, "--db", db)), &enr); err != nil {
		t.Fatal(err)
	}
	d := activateDevice(t, client, enr.ActivationURI)

	st := pushApproved(t, client, base, key, d, "ada")
	var devices []deviceJSON
	json.Unmarshal([]byte(must(t, "devices", "ada", "--json", "--data", dir, "--db", db)), &devices)
	if len(devices) != 1 || devices[0].ID != d.id || !devices[0].Active {
		t.Fatalf("devices through --db: %+v", devices)
	}
	srv.stop(t)

	// The state is in PostgreSQL; --data holds the keys and no database.
	if _, err := os.Stat(filepath.Join(dir, server.DatabaseFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a SQLite database in --data beside --db: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) == 0 {
		t.Fatal("no key files in --data")
	}
	s, err := store.OpenURL(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.AuthRequest(st.ID)
	if err != nil || r.Status != push.StatusApproved || r.DecidedBy != d.id || r.User != "ada" {
		t.Fatalf("the request in PostgreSQL: %+v, %v", r, err)
	}

	// A second instance needs the first one's key files: with a --data of
	// its own keys it is refused; with copies of the files it works.
	other := t.TempDir()
	if status, _, stderr := countersignd("user", "list", "--data", other, "--db", db); status != 1 ||
		!strings.Contains(stderr, "are not those of this database, which other instances use: copy both files from the --data of a working instance into "+other) {
		t.Fatalf("an instance with other keys: exit %d, %q", status, stderr)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(other, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if out := must(t, "user", "list", "--data", other, "--db", db); !strings.Contains(out, "ada") {
		t.Fatalf("user list on the second instance's --data: %q", out)
	}

	// The password may stay out of the command line (where ps shows it):
	// PGPASSWORD, or a PGPASSFILE, as for psql.
	u, _ := url.Parse(db)
	password, _ := u.User.Password()
	if strings.Contains(srv.logs(), password) {
		t.Fatal("serve logged the database password")
	}
	u.User = url.User(u.User.Username())
	t.Setenv("PGPASSWORD", "")
	t.Setenv("PGPASSFILE", filepath.Join(other, "no-such-pgpass"))
	if status, _, stderr := countersignd("user", "list", "--data", other, "--db", u.String()); status != 1 || !strings.Contains(stderr, "password authentication failed") {
		t.Fatalf("without a password: exit %d, %q", status, stderr)
	}
	t.Setenv("PGPASSWORD", password)
	if out := must(t, "user", "list", "--data", other, "--db", u.String()); !strings.Contains(out, "ada") {
		t.Fatalf("user list with PGPASSWORD: %q", out)
	}
}

// TestDBFlagRefusals: --db takes a PostgreSQL URL only, and an unreachable
// database is an error that names it without its password.
func TestDBFlagRefusals(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"user", "list", "--data", dir, "--db", "mysql://u:secret@h/db"}, 2, `countersignd: --db "mysql://u:xxxxx@h/db" is not a PostgreSQL URL: give postgres://USER@HOST:5432/DB (its password from PGPASSWORD or ~/.pgpass), or leave --db out for the SQLite file in --data`},
		{[]string{"user", "add", "ada", "--data", dir, "--db", "postgres://u:secret@127.0.0.1:1/db?connect_timeout=5"}, 1, "countersignd: opening " + dir + ": preparing the PostgreSQL database postgres://u:xxxxx@127.0.0.1:1/db?connect_timeout=5: "},
	} {
		status, _, stderr := countersignd(c.args...)
		if status != c.status || !strings.HasPrefix(stderr, c.want) || strings.Contains(stderr, "secret") {
			t.Errorf("countersignd %s: exit %d, %q; want %d, %q...", strings.Join(c.args, " "), status, stderr, c.status, c.want)
		}
	}
}

// pushApproved makes a sign-in request for user through the API at base,
// has device d approve it with the number, and checks that the relying
// party sees it approved; it returns the request.
func pushApproved(t *testing.T, client *http.Client, base, key string, d *testDevice, user string) push.AuthRequestState {
	t.Helper()
	var st push.AuthRequestState
	if code := api(t, client, key, "POST", base+"/v1/auth-requests", push.AuthRequestBody{User: user, Context: push.Context{App: "Shop"}}, &st); code != 201 {
		t.Fatalf("auth request: %d %+v", code, st)
	}
	f := d.read(t)
	if f.Type != push.FrameRequest || f.Request.ID != st.ID {
		t.Fatalf("device got %+v", f)
	}
	answer := push.Answer{RequestID: st.ID, DeviceID: d.id, Decision: push.Approve, Number: st.Number, Nonce: f.Request.Nonce}
	d.write(t, push.Frame{Type: push.FrameAnswer, Answer: &answer, Signature: ed25519.Sign(d.key, answer.SigningBytes())})
	if r := d.read(t); r.Type != push.FrameResult || r.Status != push.StatusApproved {
		t.Fatalf("result %+v", r)
	}
	var final push.AuthRequestState
	if api(t, client, key, "GET", base+"/v1/auth-requests/"+st.ID+"?wait=5s", nil, &final); final.Status != push.StatusApproved {
		t.Fatalf("relying party sees %+v", final)
	}
	return st
}

// TestEveryCommandTakesDB: serve and every admin command read --db (a
// mistyped URL is refused by each, before anything is opened).
func TestEveryCommandTakesDB(t *testing.T) {
	dir := t.TempDir()
	want := `countersignd: --db "mysql://u:xxxxx@h/db" is not a PostgreSQL URL: give postgres://USER@HOST:5432/DB (its password from PGPASSWORD or ~/.pgpass), or leave --db out for the SQLite file in --data` + "\n"
	for _, args := range [][]string{
		{"serve"}, {"user", "add", "ada"}, {"user", "list"}, {"user", "block", "ada"}, {"user", "unblock", "ada"},
		{"user", "recovery-codes", "ada"}, {"user", "phone", "ada", "+14155550123"}, {"enroll", "ada"},
		{"rp", "add", "shop"}, {"rp", "duo-keys", "shop"}, {"devices", "ada"}, {"device", "revoke", "d"},
		{"device", "approve", "d"}, {"admin", "add", "ada", "--password-file", "pw"}, {"admin", "list"},
		{"admin", "remove", "ada"}, {"usage"}, {"copy-db"},
	} {
		args = append(args, "--data", dir, "--db", "mysql://u:secret@h/db")
		if status, _, stderr := countersignd(args...); status != 2 || stderr != want {
			t.Errorf("countersignd %s: exit %d, %q", strings.Join(args, " "), status, stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused command wrote in --data: %v", entries)
	}
}

// TestCopyDBMovesADeploymentToPostgreSQL: a device activated while serve
// ran on SQLite signs in through serve on PostgreSQL after copy-db, with
// the same --data (the key files), and the application's key still works.
func TestCopyDBMovesADeploymentToPostgreSQL(t *testing.T) {
	dir := t.TempDir()
	client := &http.Client{Timeout: 30 * time.Second}
	srv := serve(t, "--addr", "127.0.0.1:0", "--data", dir)
	must(t, "user", "add", "ada", "--data", dir)
	rpOut := strings.Split(strings.TrimSpace(must(t, "rp", "add", "shop", "--data", dir)), "\n")
	key := rpOut[len(rpOut)-1]
	var enr struct {
		ActivationURI string `json:"activation_uri"`
	}
	json.Unmarshal([]byte(must(t, "enroll", "ada", "--json", "--data", dir)), &enr)
	d := activateDevice(t, client, enr.ActivationURI)
	pushApproved(t, client, "http://"+srv.addr, key, d, "ada")
	srv.stop(t)

	db := pgtest.URL(t)
	if status, _, stderr := countersignd("copy-db", "--data", dir); status != 2 || !strings.Contains(stderr, "copy-db needs --db") {
		t.Fatalf("copy-db without --db: %d %q", status, stderr)
	}
	out := must(t, "copy-db", "--data", dir, "--db", db)
	if !regexp.MustCompile(`^copied \d+ rows from ` + regexp.QuoteMeta(filepath.Join(dir, server.DatabaseFile)) + ` into postgres://postgres:xxxxx@`).MatchString(out) {
		t.Fatalf("copy-db: %q", out)
	}
	if status, _, stderr := countersignd("copy-db", "--data", dir, "--db", db); status != 1 || !strings.Contains(stderr, "copy into an empty one") {
		t.Fatalf("a second copy-db: %d %q", status, stderr)
	}

	srv = serve(t, "--addr", "127.0.0.1:0", "--data", dir, "--db", db)
	d.connect(t, client, "ws://"+srv.addr+"/v1/devices/connect")
	pushApproved(t, client, "http://"+srv.addr, key, d, "ada")
	srv.stop(t)
}

// TestTwoInstancesOnPostgreSQL: two serve processes on one PostgreSQL
// database, given --db and no --shared (--db implies it): a request made
// through the instance the device is not connected to reaches the device,
// and its approval wakes that instance's long-poll.
func TestTwoInstancesOnPostgreSQL(t *testing.T) {
	db := pgtest.URL(t)
	dir := t.TempDir()
	client := &http.Client{Timeout: 30 * time.Second}
	a := serve(t, "--addr", "127.0.0.1:0", "--data", dir, "--db", db)
	b := serve(t, "--addr", "127.0.0.1:0", "--data", dir, "--db", db)
	must(t, "user", "add", "ada", "--data", dir, "--db", db)
	rpOut := strings.Split(strings.TrimSpace(must(t, "rp", "add", "shop", "--data", dir, "--db", db)), "\n")
	key := rpOut[len(rpOut)-1]
	var enr struct {
		ActivationURI string `json:"activation_uri"`
	}
	json.Unmarshal([]byte(must(t, "enroll", "ada", "--json", "--public-url", "http://"+a.addr, "--data", dir, "--db", db)), &enr)
	d := activateDevice(t, client, enr.ActivationURI) // connected to a
	pushApproved(t, client, "http://"+b.addr, key, d, "ada")
	pushApproved(t, client, "http://"+a.addr, key, d, "ada")
	a.stop(t)
	b.stop(t)
}
