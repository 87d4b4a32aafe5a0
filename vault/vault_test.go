package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const testPassphrase = "correct horse battery staple"

// openTestVault opens a vault in a fresh directory with a real encrypted file store.
func openTestVault(t *testing.T) *Vault {
	t.Helper()
	dir := t.TempDir()
	store, err := OpenFileStore(filepath.Join(dir, "secrets.cs"), []byte(testPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	v, err := Open(dir, store)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustParse(t testing.TB, uri string) Key {
	t.Helper()
	k, err := ParseURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func labels(accounts []Account) string {
	var s []string
	for _, a := range accounts {
		s = append(s, a.Label())
	}
	return strings.Join(s, ", ")
}

func TestVaultAddListCodeAndReopen(t *testing.T) {
	v := openTestVault(t)
	a, err := v.Add(mustParse(t, "otpauth://totp/RFC:sha1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ID) != 32 {
		t.Errorf("id %q is not 128 random bits in hex", a.ID)
	}
	c, err := v.Code(a.ID, time.Unix(59, 0))
	if err != nil {
		t.Fatal(err)
	}
	// RFC 6238: 94287082 at 59 s; the next period (60..89 s) gives the 8-digit code at 60.
	want := Code{Value: "94287082", Next: "37359152", Start: time.Unix(30, 0), End: time.Unix(60, 0)}
	if c != want {
		t.Errorf("Code = %+v, want %+v", c, want)
	}

	// A second process (or a restart) sees the same account and code.
	store, err := OpenFileStore(filepath.Join(v.Dir(), "secrets.cs"), []byte(testPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	again, err := Open(v.Dir(), store)
	if err != nil {
		t.Fatal(err)
	}
	if got := labels(again.Accounts()); got != "RFC (sha1)" {
		t.Fatalf("after reopening: %q", got)
	}
	c2, err := again.Code(a.ID, time.Unix(59, 0))
	if err != nil || c2.Value != "94287082" {
		t.Fatalf("after reopening: %+v, %v", c2, err)
	}
}

// TestVaultRefusesDuplicates: a duplicate is the same type, secret, issuer
// and name; accounts that only share a secret are kept apart, as Google
// Authenticator keeps them.
func TestVaultRefusesDuplicates(t *testing.T) {
	v := openTestVault(t)
	if _, err := v.Add(mustParse(t, "otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP")); err != nil {
		t.Fatal(err)
	}
	_, err := v.Add(mustParse(t, "otpauth://totp/GitHub:ada?secret=jbsw%20y3dp%20ehpk%203pxp"))
	var dup *DuplicateError
	if !errors.As(err, &dup) || !errors.Is(err, ErrDuplicate) || !strings.Contains(err.Error(), "already in the vault as GitHub (ada)") {
		t.Fatalf("got %v, want a duplicate of GitHub (ada)", err)
	}
	// Same secret, another name or issuer or type: another account.
	for _, uri := range []string{
		"otpauth://totp/Other:name?secret=JBSWY3DPEHPK3PXP",
		"otpauth://totp/GitHub:bob?secret=JBSWY3DPEHPK3PXP",
		"otpauth://hotp/GitHub:ada?secret=JBSWY3DPEHPK3PXP&counter=0",
	} {
		if _, err := v.Add(mustParse(t, uri)); err != nil {
			t.Fatalf("%s refused: %v", uri, err)
		}
	}
	// Duplicates within one batch: nothing is added.
	_, err = v.AddAll([]Key{
		mustParse(t, "otpauth://totp/A:1?secret=GEZDGNBVGY3TQOJQ"),
		mustParse(t, "otpauth://totp/A:2?secret=GEZDGNBVGY3TQOJQ"),
		mustParse(t, "otpauth://totp/A:1?secret=GEZDGNBVGY3TQOJQ"),
	})
	if !errors.Is(err, ErrDuplicate) || !strings.Contains(err.Error(), "A (1) and A (1) are the same account") {
		t.Fatalf("got %v", err)
	}
	if got := labels(v.Accounts()); got != "GitHub (ada), Other (name), GitHub (bob), GitHub (ada)" {
		t.Fatalf("accounts after refused batch: %q", got)
	}
}

func TestVaultAddAllIsAllOrNothing(t *testing.T) {
	v := openTestVault(t)
	bad := mustParse(t, "otpauth://totp/B:2?secret=GEZDGNBVGY3TQOJQ")
	bad.Digits = 4
	_, err := v.AddAll([]Key{mustParse(t, "otpauth://totp/A:1?secret=JBSWY3DPEHPK3PXP"), bad})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "digits" {
		t.Fatalf("got %v, want a digits error", err)
	}
	if n := len(v.Accounts()); n != 0 {
		t.Fatalf("%d accounts added by a failed batch", n)
	}
}

func TestVaultRenameMoveDeleteSearch(t *testing.T) {
	v := openTestVault(t)
	var ids []string
	for _, uri := range []string{
		"otpauth://totp/GitHub:ada?secret=JBSWY3DPEHPK3PXP",
		"otpauth://totp/Google:ada%40gmail.com?secret=GEZDGNBVGY3TQOJQ",
		"otpauth://totp/GitLab:bob?secret=MFRGGZDFMZTWQ2LK",
	} {
		a, err := v.Add(mustParse(t, uri))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	if got := labels(v.Search("git")); got != "GitHub (ada), GitLab (bob)" {
		t.Errorf("Search(git) = %q", got)
	}
	if got := labels(v.Search("ADA git")); got != "GitHub (ada)" {
		t.Errorf("Search(ADA git) = %q", got)
	}
	if got := labels(v.Search("")); got != "GitHub (ada), Google (ada@gmail.com), GitLab (bob)" {
		t.Errorf("Search() = %q", got)
	}
	if err := v.Rename(ids[0], " Microsoft GitHub ", "ada.l"); err != nil {
		t.Fatal(err)
	}
	var fe *FieldError
	if err := v.Rename(ids[0], "", " "); !errors.As(err, &fe) || fe.Field != "name" {
		t.Errorf("empty rename: %v", err)
	}
	if err := v.Move(ids[2], 0); err != nil {
		t.Fatal(err)
	}
	if err := v.Move(ids[1], 99); err != nil {
		t.Fatal(err)
	}
	if got := labels(v.Accounts()); got != "GitLab (bob), Microsoft GitHub (ada.l), Google (ada@gmail.com)" {
		t.Errorf("after rename and moves: %q", got)
	}
	if err := v.Delete(ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := v.Delete(ids[0]); !errors.Is(err, ErrNoAccount) {
		t.Errorf("second delete: %v", err)
	}
	if _, err := v.secrets.Get(ids[0]); !errors.Is(err, ErrSecretNotFound) {
		t.Errorf("secret of a deleted account: %v", err)
	}
	if got := labels(v.Accounts()); got != "GitLab (bob), Google (ada@gmail.com)" {
		t.Errorf("after delete: %q", got)
	}
}

func TestVaultNextHOTP(t *testing.T) {
	v := openTestVault(t)
	a, err := v.Add(mustParse(t, "otpauth://hotp/RFC:4226?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Code(a.ID, time.Now())
	if err != nil || c.Value != "755224" {
		t.Fatalf("code at counter 0: %+v, %v", c, err)
	}
	for _, want := range []string{"287082", "359152"} {
		got, err := v.NextHOTP(a.ID)
		if err != nil || got != want {
			t.Fatalf("NextHOTP = %s, %v; want %s", got, err, want)
		}
	}
	if acc, _ := v.Account(a.ID); acc.Counter != 2 {
		t.Errorf("counter %d, want 2", acc.Counter)
	}
	totp, _ := v.Add(mustParse(t, "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"))
	if _, err := v.NextHOTP(totp.ID); err == nil || !strings.Contains(err.Error(), "is not a counter-based") {
		t.Errorf("NextHOTP on TOTP: %v", err)
	}
}

func TestVaultReloadSeesOtherProcess(t *testing.T) {
	gui := openTestVault(t)
	store, err := OpenFileStore(filepath.Join(gui.Dir(), "secrets.cs"), []byte(testPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := Open(gui.Dir(), store)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := gui.Reload(); changed || err != nil {
		t.Fatalf("Reload with no change: %v, %v", changed, err)
	}
	a, err := cli.Add(mustParse(t, "otpauth://totp/CLI:added?secret=JBSWY3DPEHPK3PXP"))
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := gui.Reload(); !changed || err != nil {
		t.Fatalf("Reload after another process added: %v, %v", changed, err)
	}
	if got := labels(gui.Accounts()); got != "CLI (added)" {
		t.Fatalf("gui sees %q", got)
	}
	// The GUI reads the secret the CLI wrote through its own store instance.
	if c, err := gui.Code(a.ID, time.Unix(0, 0)); err != nil || c.Value != "282760" {
		t.Fatalf("code seen by the other process: %+v, %v", c, err)
	}
	// A change by the GUI keeps the CLI's account (no lost update).
	if _, err := gui.Add(mustParse(t, "otpauth://totp/GUI:added?secret=GEZDGNBVGY3TQOJQ")); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := labels(cli.Accounts()); got != "CLI (added), GUI (added)" {
		t.Fatalf("cli sees %q", got)
	}
}

// TestNoSecretOnDisk checks that with the keyring store no file of the vault
// holds a secret, in base32 or raw. It needs the real keyring.
func TestNoSecretOnDisk(t *testing.T) {
	store := keyringForTest(t)
	dir := t.TempDir()
	v, err := Open(dir, store)
	if err != nil {
		t.Fatal(err)
	}
	k := mustParse(t, "otpauth://totp/Disk:check?secret=MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U")
	a, err := v.Add(k)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Delete(a.ID) })
	entries, _ := os.ReadDir(dir)
	if len(entries) == 0 {
		t.Fatal("the vault directory is empty")
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, needle := range [][]byte{[]byte("MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"), []byte("mfrggzdfmztwq2lk"), k.Secret} {
			if bytes.Contains(bytes.ToLower(data), bytes.ToLower(needle)) {
				t.Errorf("%s contains the secret", e.Name())
			}
		}
	}
	got, err := store.Get(a.ID)
	if err != nil || !bytes.Equal(got, k.Secret) {
		t.Fatalf("keyring holds %x, %v", got, err)
	}
}

func TestOpenRejectsDamagedIndex(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]string{
		`{"version": 1, "accounts": [{"id": "a", "type": "totp", "name": "x", "algorithm": "SHA1", "digits": 6, "period": 30}, {"id": "a", "type": "totp", "name": "y", "algorithm": "SHA1", "digits": 6, "period": 30}]}`: "repeated id",
		`{"version": 2, "accounts": []}`: "version 2",
		`{"version": 1, "accounts": [`:   "not valid JSON",
		`{"version": 1, "accounts": [{"id": "a", "type": "totp", "name": "x", "algorithm": "MD5", "digits": 6, "period": 30}]}`: "algorithm",
	} {
		if err := os.WriteFile(filepath.Join(dir, indexFileName), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, nil)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "restore it from a backup") {
			t.Errorf("index %.40s…: got %v, want …%s…", content, err, want)
		}
	}
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"version":1,"accounts":[{"id":"a","type":"totp","issuer":"I","name":"x","algorithm":"SHA1","digits":6,"period":30,"counter":0,"added":"2026-01-01T00:00:00Z"}],"pending":["b"]}`))
	f.Add([]byte(`{"version":1,"accounts":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := parseIndex(data)
		if err != nil {
			return
		}
		for _, a := range ix.Accounts {
			if err := a.Params.Validate(); err != nil {
				t.Fatalf("accepted an invalid account: %v", err)
			}
		}
	})
}

func TestPushAccountKeepsItsDeviceKey(t *testing.T) {
	v := openTestVault(t)
	info := PushInfo{DeviceID: "dev-1", ServerKey: bytes.Repeat([]byte{1}, 32), WebsocketURL: "ws://127.0.0.1:8080/v1/devices/connect"}
	deviceKey := bytes.Repeat([]byte{9}, 64)
	a, err := v.AddPush(mustParse(t, "otpauth://totp/Countersign:ada?secret=JBSWY3DPEHPK3PXP"), info, deviceKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := v.Account(a.ID); got.Push == nil || got.Push.DeviceID != "dev-1" || got.Push.WebsocketURL != info.WebsocketURL {
		t.Fatalf("push info %+v", got.Push)
	}
	if got, err := v.DeviceKey(a.ID); err != nil || !bytes.Equal(got, deviceKey) {
		t.Fatalf("device key %x, %v", got, err)
	}
	raw, _ := os.ReadFile(filepath.Join(v.Dir(), indexFileName))
	if bytes.Contains(raw, deviceKey) || strings.Contains(string(raw), "CQkJCQkJ") {
		t.Fatal("the index holds the device key")
	}
	if err := v.Delete(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := v.secrets.Get(deviceKeyID(a.ID)); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("device key left after delete: %v", err)
	}
	if _, err := v.AddPush(mustParse(t, "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ"), PushInfo{}, nil); err == nil {
		t.Fatal("an incomplete activation was added")
	}
}

// TestOpenMakesTheDirectoryPrivate: a vault directory that others may read
// (0755, as mkdir makes it under the usual umask) is made 0700 when the
// vault is opened; what is in it keeps its mode.
func TestOpenMakesTheDirectoryPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	dir := filepath.Join(t.TempDir(), "vault")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	notes, sub := filepath.Join(dir, "notes.txt"), filepath.Join(dir, "sub")
	if err := os.WriteFile(notes, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(notes, 0o644)
	os.Chmod(sub, 0o755)
	mode := func(path string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	if got := mode(dir); got != 0o755 {
		t.Fatalf("before: mode %04o, want 0755", got)
	}
	store, err := OpenFileStore(filepath.Join(t.TempDir(), "secrets.cs"), []byte(testPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	v, err := Open(dir, store)
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	if got := mode(dir); got != 0o700 {
		t.Errorf("after Open: the vault directory has mode %04o, want 0700", got)
	}
	if got := mode(notes); got != 0o644 {
		t.Errorf("a file in it has mode %04o, want 0644 (only the directory itself changes)", got)
	}
	if got := mode(sub); got != 0o755 {
		t.Errorf("a directory in it has mode %04o, want 0755 (only the directory itself changes)", got)
	}

	// A new directory is made 0700, whatever the umask.
	fresh := filepath.Join(t.TempDir(), "a", "vault")
	if err := PrivateDir(fresh); err != nil {
		t.Fatal(err)
	}
	if got := mode(fresh); got != 0o700 {
		t.Errorf("a new vault directory has mode %04o, want 0700", got)
	}
}
