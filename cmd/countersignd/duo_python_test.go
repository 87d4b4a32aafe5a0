package main

import (
	"path/filepath"
	"testing"
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
	script, _ := filepath.Abs(filepath.Join("testdata", "duo-python", "run_duo_python.py"))
	// The host name, not the address: this client checks the certificate's
	// DNS names only. Its interpreter is Debian's, whose python3-duo-client
	// scripts/deps.sh test installs.
	out := runDuoScript(t, "intranet", "localhost", nil, debianPython, script)
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
