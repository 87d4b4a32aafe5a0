package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// duoNodeDir is where the Node client's package.json, package-lock.json
// and the script that drives it are kept.
const duoNodeDir = "testdata/duo-node"

// installDuoNode installs the pinned @duosecurity/duo_api with npm ci into
// a folder of the user's cache named after the lock file's hash (once per
// lock file, outside the repository), and returns its node_modules.
func installDuoNode(t *testing.T) string {
	t.Helper()
	lock, err := os.ReadFile(filepath.Join(duoNodeDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(duoNodeDir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("no cache folder for npm packages: %v", err)
	}
	sum := sha256.Sum256(append(manifest, lock...))
	dir := filepath.Join(cache, "countersign-npm", "duo-node-"+hex.EncodeToString(sum[:6]))
	modules := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "@duosecurity", "duo_api", "package.json")); err == nil {
		return modules
	}
	// Installed beside, then renamed into place: a run cut short leaves
	// no half-installed folder behind.
	tmp := fmt.Sprintf("%s.tmp-%d", dir, os.Getpid())
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	os.WriteFile(filepath.Join(tmp, "package.json"), manifest, 0o644)
	os.WriteFile(filepath.Join(tmp, "package-lock.json"), lock, 0o644)
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci of Duo's Node client (npm and node come from scripts/deps.sh): %v\n%s", err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(modules); statErr != nil { // not another run's install
			t.Fatal(err)
		}
	}
	return modules
}

// duoAnswer is one answer of Duo's API as the Node client returns it.
type duoAnswer struct {
	Stat     string `json:"stat"`
	Code     int    `json:"code"`
	Message  string `json:"message"`
	Response struct {
		Time   int64  `json:"time"`
		Result string `json:"result"`
		Status string `json:"status"`
	} `json:"response"`
}

// duoWant is what one call of a client's script must answer.
type duoWant struct {
	stat           string
	code           int
	result, status string
}

// checkDuoAnswers compares the JSON object a client's script printed, one
// answer per call, with want.
func checkDuoAnswers(t *testing.T, client string, out []byte, want map[string]duoWant) map[string]duoAnswer {
	t.Helper()
	var got map[string]duoAnswer
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s printed %q: %v", client, out, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s answered %d calls, want %d: %s", client, len(got), len(want), out)
	}
	for name, w := range want {
		g := got[name]
		if g.Stat != w.stat || g.Code != w.code || g.Response.Result != w.result || g.Response.Status != w.status {
			t.Errorf("%s, %s: %+v, want %+v", client, name, g, w)
		}
	}
	return got
}

// runDuoScript starts countersignd over HTTPS with ada's device, adds the
// integration rpName, and runs a client's script (command) with what it
// needs in its environment: DUO_IKEY, DUO_SKEY, DUO_HOST (host, the name
// the client connects to), DUO_PORT, DUO_CA (the server's certificate),
// DUO_USER, DUO_UNKNOWN_USER and DUO_PASSCODE (the device's code now),
// and env. It returns what the script printed.
func runDuoScript(t *testing.T, rpName, host string, env []string, command ...string) []byte {
	t.Helper()
	e := startDuoServer(t)
	rp := e.addRP(t, rpName)
	_, port, _ := net.SplitHostPort(rp.APIHostname)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, e.certPEM, 0o600)
	code, err := totp.GenerateCodeCustom(e.dev.totp.Secret, time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = append(os.Environ(), append(env, "DUO_IKEY="+rp.IKey, "DUO_SKEY="+rp.SKey, "DUO_HOST="+host, "DUO_PORT="+port,
		"DUO_CA="+caFile, "DUO_USER=ada", "DUO_UNKNOWN_USER=nobody", "DUO_PASSCODE="+code)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(command, " "), err, stderr.String())
	}
	return out
}

// TestDuoNodeClient runs Duo's Node client (@duosecurity/duo_api, as npm
// installs it) with node against countersignd over HTTPS: check with
// signatures v2 and v5 and with a wrong secret key, preauth of a known and
// an unknown user, auth with the device's passcode and its replay.
func TestDuoNodeClient(t *testing.T) {
	modules := installDuoNode(t)
	script, _ := filepath.Abs(filepath.Join(duoNodeDir, "duo_client.js"))
	out := runDuoScript(t, "wiki", "127.0.0.1", []string{"NODE_PATH=" + modules}, "node", script)
	got := checkDuoAnswers(t, "node", out, map[string]duoWant{
		"check_v2":         {"OK", 0, "", ""},
		"check_v5":         {"OK", 0, "", ""},
		"check_wrong_skey": {"FAIL", 40103, "", ""},
		"preauth":          {"OK", 0, "auth", ""},
		"preauth_unknown":  {"OK", 0, "enroll", ""},
		"auth_passcode":    {"OK", 0, "allow", "allow"},
		"auth_replay":      {"OK", 0, "deny", "deny"},
	})
	if t0 := time.Unix(got["check_v5"].Response.Time, 0); time.Since(t0).Abs() > time.Minute {
		t.Errorf("check's time %v", t0)
	}
}
