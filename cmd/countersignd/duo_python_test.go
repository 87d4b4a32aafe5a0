package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// debianPython is the interpreter of Debian's python3-duo-client
// (scripts/deps.sh installs it), whatever python3 comes first on PATH.
const debianPython = "/usr/bin/python3"

// TestDuoPythonClient runs Duo's Python client (duo_client, as Debian's
// python3-duo-client installs it) against countersignd over HTTPS: ping,
// check with signatures v2 and v4 and with a wrong secret key, preauth of
// a known and an unknown user, auth with the device's passcode and its
// replay.
func TestDuoPythonClient(t *testing.T) {
	e := startDuoServer(t)
	rp := e.addRP(t, "intranet")
	// The host name, not the address: this client checks the certificate's
	// DNS names only.
	_, port, _ := net.SplitHostPort(rp.APIHostname)
	host := "localhost"
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, e.certPEM, 0o600)
	code, err := totp.GenerateCodeCustom(e.dev.totp.Secret, time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs(filepath.Join("testdata", "duo-python", "run_duo_python.py"))
	cmd := exec.Command(debianPython, script)
	cmd.Env = append(os.Environ(), "DUO_IKEY="+rp.IKey, "DUO_SKEY="+rp.SKey, "DUO_HOST="+host, "DUO_PORT="+port,
		"DUO_CA="+caFile, "DUO_USER=ada", "DUO_UNKNOWN_USER=nobody", "DUO_PASSCODE="+code)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s (Duo's client is Debian's python3-duo-client: scripts/deps.sh test): %v\n%s", debianPython, script, err, stderr.String())
	}
	checkDuoAnswers(t, "python", out, map[string]duoWant{
		"ping":             {"OK", 0, "", ""},
		"check_v2":         {"OK", 0, "", ""},
		"check_v4":         {"OK", 0, "", ""},
		"check_wrong_skey": {"FAIL", 40103, "", ""},
		"preauth":          {"OK", 0, "auth", ""},
		"preauth_unknown":  {"OK", 0, "enroll", ""},
		"auth_passcode":    {"OK", 0, "allow", "allow"},
		"auth_replay":      {"OK", 0, "deny", "deny"},
	})
}
