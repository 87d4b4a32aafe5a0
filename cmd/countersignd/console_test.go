package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConsoleAdminCommands: an administrator is added from a password file (and
// becomes a user), listed, refused a second time, and removed; short or
// missing passwords are refused.
func TestConsoleAdminCommands(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(t.TempDir(), "short")
	good := filepath.Join(t.TempDir(), "good")
	os.WriteFile(short, []byte("elevenchars\n"), 0o600)
	os.WriteFile(good, []byte("correct horse battery\nsecond line ignored\n"), 0o600)

	cases := []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"admin"}, 2, "countersignd: admin needs a subcommand: add, list or remove\n"},
		{[]string{"admin", "grant"}, 2, "countersignd: unknown command admin \"grant\": use add, list or remove\n"},
		{[]string{"admin", "add", "root", "--data", dir}, 2, "countersignd: admin add needs --password-file FILE (its first line is the password, at least 12 characters)\n"},
		{[]string{"admin", "add", "root", "--password-file", short, "--data", dir}, 1, "countersignd: adding administrator: the password has 11 characters; use at least 12\n"},
		{[]string{"admin", "add", "root", "--password-file", filepath.Join(dir, "none"), "--data", dir}, 1, "countersignd: reading the password file: open " + filepath.Join(dir, "none") + ": no such file or directory\n"},
	}
	for _, c := range cases {
		code, _, errOut := countersignd(c.args...)
		if code != c.status || errOut != c.stderr {
			t.Errorf("countersignd %s: exit %d %q, want %d %q", strings.Join(c.args, " "), code, errOut, c.status, c.stderr)
		}
	}

	out := must(t, "admin", "add", "root", "--password-file", good, "--data", dir)
	if want := "added administrator root: they sign in at /admin with the password and a push to their own device; they have none yet: countersignd enroll root\n"; out != want {
		t.Errorf("admin add says %q, want %q", out, want)
	}
	var users []userJSON
	json.Unmarshal([]byte(must(t, "user", "list", "--json", "--data", dir)), &users)
	if len(users) != 1 || users[0].Name != "root" || !users[0].RequireMFA {
		t.Errorf("the administrator as a user: %+v", users)
	}
	code, _, errOut := countersignd("admin", "add", "root", "--password-file", good, "--data", dir)
	if want := "countersignd: adding administrator: root is an administrator already (countersignd admin remove root, then add them again, sets a new password)\n"; code != 1 || errOut != want {
		t.Errorf("adding twice: %d %q", code, errOut)
	}
	var admins []adminJSON
	if err := json.Unmarshal([]byte(must(t, "admin", "list", "--json", "--data", dir)), &admins); err != nil || len(admins) != 1 || admins[0].Name != "root" {
		t.Errorf("admin list --json: %+v %v", admins, err)
	}
	if out := must(t, "admin", "list", "--data", dir); !strings.HasPrefix(out, "NAME  ADDED\nroot  ") {
		t.Errorf("admin list: %q", out)
	}
	if out := must(t, "admin", "remove", "root", "--data", dir); out != "root is no longer an administrator (still a user); their console sessions ended\n" {
		t.Errorf("admin remove: %q", out)
	}
	if out := must(t, "admin", "list", "--data", dir); out != "no administrators; add one with countersignd admin add NAME --password-file FILE\n" {
		t.Errorf("admin list after the removal: %q", out)
	}
	code, _, errOut = countersignd("admin", "remove", "root", "--data", dir)
	if want := "countersignd: removing administrator: root is not an administrator (countersignd admin list shows them)\n"; code != 1 || errOut != want {
		t.Errorf("removing twice: %d %q", code, errOut)
	}
}
