package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
	"github.com/countersign/countersign/scanner"
)

// countersignd runs a command in this process and returns its exit status
// and outputs.
func countersignd(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// must runs a command that has to succeed.
func must(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := countersignd(args...)
	if code != 0 {
		t.Fatalf("countersignd %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func TestUsageAndRefusals(t *testing.T) {
	dir := t.TempDir()
	empty := t.TempDir()
	cases := []struct {
		args   []string
		status int
		stderr string
	}{
		{nil, 2, "countersignd: no command given; try: countersignd serve (countersignd help lists the commands)"},
		{[]string{"bogus"}, 2, `countersignd: unknown command "bogus" (countersignd help lists the commands)`},
		{[]string{"user"}, 2, "countersignd: user needs a subcommand: add, list, block, unblock, phone or recovery-codes"},
		{[]string{"user", "add", "--data", dir}, 2, "countersignd: user add needs a user name: countersignd user add NAME"},
		{[]string{"user", "add", "a", "b", "--data", dir}, 2, "countersignd: user add needs a user name: countersignd user add NAME"},
		{[]string{"user", "list", "extra", "--data", dir}, 2, `countersignd: user list takes no arguments (got "extra")`},
		{[]string{"user", "list", "--jsn"}, 2, "countersignd: user list: flag provided but not defined: -jsn"},
		{[]string{"user", "list", "--data", empty}, 1, "countersignd: no Countersign data in " + empty + " (countersign.db is missing): give --data DIR, or start with countersignd user add NAME"},
		{[]string{"user", "add", " ada", "--data", dir}, 1, `countersignd: adding user: user name " ada": use 1 to 128 characters, no spaces at the ends`},
		{[]string{"rp"}, 2, "countersignd: rp needs a subcommand: rp add NAME [--webhook URL] [--approve-only] [--json], or rp duo-keys NAME [--json]"},
		{[]string{"rp", "remove", "x"}, 2, "countersignd: rp needs a subcommand: rp add NAME [--webhook URL] [--approve-only] [--json], or rp duo-keys NAME [--json]"},
		{[]string{"rp", "add", "shop", "--webhook", "http://203.0.113.9/hook", "--data", dir}, 1, "countersignd: adding relying party: webhook URL 203.0.113.9 uses plain http off this machine; the server must use https"},
		{[]string{"serve", "--addr", "0.0.0.0:0", "--data", dir}, 1, "countersignd: refusing plain HTTP on 0.0.0.0:0, which is not a loopback address: give --tls-cert and --tls-key (or --insecure-allow-http behind a TLS proxy)"},
		{[]string{"serve", "--addr", "0.0.0.0:0", "--insecure-allow-http", "--data", dir}, 2, "countersignd: --addr listens on every interface: give --public-url, the URL devices reach the server at"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--public-url", "http://203.0.113.5:8080", "--data", dir}, 1, "countersignd: --public-url http://203.0.113.5:8080: 203.0.113.5:8080 uses plain http off this machine; the server must use https; the app refuses such activation codes"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--public-url", "ftp://x", "--data", dir}, 2, `countersignd: --public-url "ftp://x" is not an http(s) URL such as https://cs.example.com`},
		{[]string{"serve", "--tls-cert", "c.pem"}, 2, "countersignd: --tls-cert and --tls-key go together: give both"},
		{[]string{"serve", "--tls-cert", filepath.Join(dir, "none.pem"), "--tls-key", filepath.Join(dir, "none.key")}, 1, "countersignd: loading the TLS certificate: open " + filepath.Join(dir, "none.pem") + ": no such file or directory"},
		{[]string{"serve", "--number-digits", "7"}, 2, "countersignd: --number-digits 7: use 1 to 6 (2 by default, 6 for NIST SP 800-63B-4)"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--public-url", "https://cs.example.com", "--demo", "--data", dir}, 1, "countersignd: refusing --demo: the public URL https://cs.example.com is not on this machine, and the demo page lets anyone who reaches it push sign-in requests to any user; add --demo-public if that is what you want"},
		{[]string{"serve", "--demo-public"}, 2, "countersignd: --demo-public goes with --demo"},
		{[]string{"serve", "--addr", "8080"}, 2, `countersignd: --addr "8080" is not HOST:PORT: address 8080: missing port in address`},
	}
	for _, c := range cases {
		status, stdout, stderr := countersignd(c.args...)
		if status != c.status || stderr != c.stderr+"\n" || stdout != "" {
			t.Errorf("countersignd %q: exit %d, stdout %q, stderr %q; want exit %d, stderr %q", c.args, status, stdout, stderr, c.status, c.stderr)
		}
	}
	if status, stdout, _ := countersignd("help"); status != 0 || !strings.HasPrefix(stdout, "usage:\n  countersignd serve") {
		t.Fatalf("help: %d %q", status, stdout)
	}
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	if out := must(t, "user", "add", "ada", "--data", dir); out != "added user ada (require MFA: true); enroll a device with: countersignd enroll ada\n" {
		t.Fatalf("user add: %q", out)
	}
	if code, _, stderr := countersignd("user", "add", "--data", dir, "ada"); code != 1 || stderr != "countersignd: adding user: user \"ada\": already exists\n" {
		t.Fatalf("duplicate: %d %q", code, stderr)
	}
	// Flags after the name count too.
	if out := must(t, "user", "add", "bob", "--require-mfa=false", "--data", dir); out != "added user bob (require MFA: false); enroll a device with: countersignd enroll bob\n" {
		t.Fatalf("user add bob: %q", out)
	}
	// The keys live beside the database, readable by the owner only, as is the database.
	for file, size := range map[string]int{"server_ed25519.key": ed25519.SeedSize, "seal.key": 32, "countersign.db": -1} {
		fi, err := os.Stat(filepath.Join(dir, file))
		if err != nil || fi.Mode().Perm() != 0o600 || (size >= 0 && fi.Size() != int64(size)) {
			t.Fatalf("%s: %v %v", file, fi, err)
		}
	}
	if out := must(t, "user", "block", "ada", "--data", dir); out != "blocked ada: sign-ins and one-time codes are refused until countersignd user unblock ada\n" {
		t.Fatalf("block: %q", out)
	}
	var users []userJSON
	if err := json.Unmarshal([]byte(must(t, "user", "list", "--json", "--data", dir)), &users); err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].Name != "ada" || !users[0].Blocked || !users[0].RequireMFA || users[1].Name != "bob" || users[1].Blocked || users[1].RequireMFA || time.Since(users[0].Created) > time.Minute {
		t.Fatalf("user list: %+v", users)
	}
	if out := must(t, "user", "unblock", "ada", "--data", dir); out != "unblocked ada\n" {
		t.Fatalf("unblock: %q", out)
	}
	lines := strings.Split(must(t, "user", "list", "--data", dir), "\n")
	if len(lines) != 4 || !regexp.MustCompile(`^NAME +BLOCKED +REQUIRE MFA +DEVICES +CREATED$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^ada +no +yes +0 +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^bob +no +no +0 `).MatchString(lines[2]) {
		t.Fatalf("user list:\n%s", strings.Join(lines, "\n"))
	}
	if code, _, stderr := countersignd("user", "block", "carol", "--data", dir); code != 1 || stderr != "countersignd: user block: user \"carol\": not found\n" {
		t.Fatalf("block unknown: %d %q", code, stderr)
	}

	// enroll --json: the fields DESIGN.md names; the code points at serve's default address.
	var enr struct {
		ActivationURI string    `json:"activation_uri"`
		EnrollURL     string    `json:"enroll_url"`
		ExpiresAt     time.Time `json:"expires_at"`
	}
	raw := must(t, "enroll", "ada", "--json", "--data", dir)
	if err := json.Unmarshal([]byte(raw), &enr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(raw, `"activation_uri": "countersign://activate?account=ada&code=`) || !regexp.MustCompile(`"expires_at": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"`).MatchString(raw) {
		t.Fatalf("enroll --json:\n%s", raw)
	}
	act, err := push.ParseActivationURI(enr.ActivationURI)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := os.ReadFile(filepath.Join(dir, "server_ed25519.key"))
	serverKey := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if act.URL != "http://127.0.0.1:8080/v1/activate" || act.Account != "ada" || act.Issuer != "Countersign" || !push.MatchFingerprint(serverKey, act.Fingerprint) ||
		!strings.HasPrefix(enr.EnrollURL, "http://127.0.0.1:8080/enroll/") || time.Until(enr.ExpiresAt) < 9*time.Minute || time.Until(enr.ExpiresAt) > 10*time.Minute {
		t.Fatalf("enroll: %+v %+v", enr, act)
	}
	// Text: the same fields, and a terminal QR code that decodes to the URI.
	text := must(t, "enroll", "ada", "--public-url", "https://cs.example.com", "--data", dir)
	m := regexp.MustCompile(`^activation_uri: (\S+)\nenroll_url: https://cs\.example\.com/enroll/\S+\nexpires_at: \S+Z\n\n`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("enroll:\n%s", text)
	}
	if got := decodeTerminalQR(t, text[len(m[0]):]); got != m[1] {
		t.Fatalf("the terminal QR code reads %q, want %q", got, m[1])
	}
	if code, _, stderr := countersignd("enroll", "carol", "--data", dir); code != 1 || stderr != "countersignd: enrolling: user \"carol\": not found (add the user first: countersignd user add carol)\n" {
		t.Fatalf("enroll unknown: %d %q", code, stderr)
	}

	// rp add: the API key alone on the last line; only its hash is stored.
	out := must(t, "rp", "add", "shop", "--webhook", "https://shop.example/countersign", "--data", dir)
	outLines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	key := outLines[len(outLines)-1]
	if len(outLines) != 6 || outLines[0] != "added relying party shop" || outLines[1] != "webhook: https://shop.example/countersign" ||
		!regexp.MustCompile(`^webhook secret \(HMAC-SHA256 key of the X-Countersign-Signature header\): [A-Za-z0-9_-]{43}$`).MatchString(outLines[2]) ||
		!regexp.MustCompile(`^Duo Auth API \(for Duo's client libraries\): integration key DI[A-Z0-9]{18}, secret key [A-Za-z0-9]{40}, API hostname 127\.0\.0\.1:8080$`).MatchString(outLines[3]) ||
		!regexp.MustCompile(`^cs_[A-Za-z0-9_-]{43}$`).MatchString(key) {
		t.Fatalf("rp add:\n%s", out)
	}
	st, err := store.Open(filepath.Join(dir, "countersign.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	hash := sha256.Sum256([]byte(key))
	if rp, err := st.RelyingPartyByKeyHash(hash[:]); err != nil || rp.Name != "shop" {
		t.Fatalf("stored relying party: %+v %v", rp, err)
	}
	if db, _ := os.ReadFile(filepath.Join(dir, "countersign.db")); bytes.Contains(db, []byte(key)) {
		t.Fatal("the API key itself is in the database")
	}
	if code, _, stderr := countersignd("rp", "add", "shop", "--data", dir); code != 1 || stderr != "countersignd: adding relying party: relying party \"shop\": already exists\n" {
		t.Fatalf("duplicate rp: %d %q", code, stderr)
	}

	if out := must(t, "devices", "ada", "--data", dir); out != "ada has no device; enroll one with: countersignd enroll ada\n" {
		t.Fatalf("devices: %q", out)
	}
	if out := must(t, "devices", "ada", "--json", "--data", dir); out != "[]\n" {
		t.Fatalf("devices --json: %q", out)
	}
	if code, _, stderr := countersignd("devices", "carol", "--data", dir); code != 1 || stderr != "countersignd: listing devices: user \"carol\": not found\n" {
		t.Fatalf("devices of unknown: %d %q", code, stderr)
	}
	if code, _, stderr := countersignd("device", "revoke", "nope", "--data", dir); code != 1 || stderr != "countersignd: revoking: device \"nope\": not found (countersignd devices NAME lists the ids)\n" {
		t.Fatalf("revoke unknown: %d %q", code, stderr)
	}
}

// decodeTerminalQR turns half-block text back into an image and decodes it.
func decodeTerminalQR(t *testing.T, text string) string {
	t.Helper()
	var rows [][]bool // true = light
	for _, line := range strings.Split(text, "\n") {
		if !strings.ContainsAny(line, "█▀▄") {
			if len(rows) > 0 {
				break
			}
			continue
		}
		var top, bottom []bool
		for _, r := range line {
			top = append(top, r == '█' || r == '▀')
			bottom = append(bottom, r == '█' || r == '▄')
		}
		rows = append(rows, top, bottom)
	}
	if len(rows) == 0 {
		t.Fatal("no QR code in the output")
	}
	const scale = 4
	img := image.NewGray(image.Rect(0, 0, len(rows[0])*scale, len(rows)*scale))
	for y, row := range rows {
		for x, light := range row {
			c := color.Gray{0}
			if light {
				c = color.Gray{255}
			}
			for dy := range scale {
				for dx := range scale {
					img.SetGray(x*scale+dx, y*scale+dy, c)
				}
			}
		}
	}
	// The app's scanner, as a user's app reads it (gozxing's bare reader
	// misses about one code in 170 that other readers and ours read).
	texts, err := scanner.Decode(img)
	if err != nil || len(texts) != 1 {
		t.Fatalf("decoding the terminal QR code: %v %v", texts, err)
	}
	return texts[0]
}
