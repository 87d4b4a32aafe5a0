package main

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/term"

	"github.com/countersign/countersign/vault"
)

// secretsFileName is the encrypted file of the file store, inside the vault directory.
const secretsFileName = "secrets.cs"

// vaultDir returns the vault directory from --vault, else vault.DefaultDir
// (which reads COUNTERSIGN_VAULT).
func (c *cli) vaultDir() (string, error) {
	if c.g.vaultDir != "" {
		return c.g.vaultDir, nil
	}
	dir, err := vault.DefaultDir()
	if err != nil {
		return "", fmt.Errorf("finding the vault directory: %w (give one with --vault DIR)", err)
	}
	return dir, nil
}

// openVault opens the vault with the secret store chosen by --store.
func (c *cli) openVault() (*vault.Vault, error) {
	dir, err := c.vaultDir()
	if err != nil {
		return nil, err
	}
	store, err := c.openStore(dir)
	if err != nil {
		return nil, err
	}
	v, err := vault.Open(dir, store)
	if err != nil {
		return nil, fmt.Errorf("opening the vault in %s: %w", dir, err)
	}
	return v, nil
}

// storeEnv names the environment variable that sets --store's default,
// so that a headless user of the file store says so once (in a shell
// profile), as with COUNTERSIGN_VAULT and COUNTERSIGN_PASSPHRASE_FILE.
const storeEnv = "COUNTERSIGN_STORE"

// checkStore validates --store (or COUNTERSIGN_STORE) before any work is
// done.
func (c *cli) checkStore() error {
	for _, given := range []struct{ from, value string }{{"--store", c.g.store}, {storeEnv, os.Getenv(storeEnv)}} {
		switch given.value {
		case "", "keyring", "file":
		default:
			return usageErrorf("%s: %q is not a store; use keyring or file", given.from, given.value)
		}
	}
	return nil
}

// storeAsked is the store asked for: --store, else COUNTERSIGN_STORE;
// "" when neither says.
func (c *cli) storeAsked() string {
	if c.g.store != "" {
		return c.g.store
	}
	return os.Getenv(storeEnv)
}

// storeFor is the secret store to use: --store if given, else
// COUNTERSIGN_STORE, else the OS keyring. It is never guessed from the
// vault's files: a file store made once by mistake (--store file on a
// keyring vault) must not move every later command, and the secrets it
// adds, away from the keyring.
func (c *cli) storeFor() string {
	if asked := c.storeAsked(); asked != "" {
		return asked
	}
	return "keyring"
}

// openStore opens the secret store of the vault in dir.
func (c *cli) openStore(dir string) (vault.SecretStore, error) {
	if c.storeFor() == "keyring" {
		s := vault.NewKeyringStore(vault.KeyringService)
		if err := s.Check(); err != nil {
			return nil, err // it names the fix, --store file among them
		}
		if c.storeAsked() == "" {
			if _, err := os.Stat(filepath.Join(dir, secretsFileName)); err == nil {
				fmt.Fprintf(c.stderr, "countersign: note: this vault also has an encrypted file store (%s), not used: give --store file (or set %s=file) if its secrets are there\n",
					filepath.Join(dir, secretsFileName), storeEnv)
			}
		}
		return s, nil
	}
	if err := vault.PrivateDir(dir); err != nil {
		return nil, fmt.Errorf("creating the vault directory: %w", err)
	}
	path := filepath.Join(dir, secretsFileName)
	pass, err := c.passphrase(path)
	if err != nil {
		return nil, err
	}
	s, err := vault.OpenFileStore(path, pass)
	if err != nil {
		return nil, err // it names the file and what to do
	}
	return s, nil
}

// passphrase returns the passphrase of the file store at path: from
// --passphrase-file or COUNTERSIGN_PASSPHRASE_FILE, else asked on the terminal.
func (c *cli) passphrase(path string) ([]byte, error) {
	file := c.g.passphraseFile
	if file == "" {
		file = os.Getenv("COUNTERSIGN_PASSPHRASE_FILE")
	}
	if file != "" {
		c.warnIfShared("passphrase file", file)
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading the passphrase file: %w", err)
		}
		b = bytes.TrimSuffix(b, []byte("\n"))
		b = bytes.TrimSuffix(b, []byte("\r"))
		if len(b) == 0 {
			return nil, fmt.Errorf("the passphrase file %s is empty; write the passphrase in it", file)
		}
		return b, nil
	}
	tty, closeTTY, ok := c.terminal()
	if !ok {
		return nil, errors.New("the file store needs a passphrase: give --passphrase-file FILE (or set COUNTERSIGN_PASSPHRASE_FILE), or run countersign on a terminal to be asked")
	}
	defer closeTTY()
	_, statErr := os.Stat(path)
	creating := errors.Is(statErr, os.ErrNotExist)
	pass, err := c.prompt(tty, fmt.Sprintf("Passphrase for %s: ", path))
	if err != nil {
		return nil, err
	}
	if len(pass) == 0 {
		return nil, errors.New("the passphrase is empty; type one, or give --passphrase-file FILE")
	}
	if creating {
		again, err := c.prompt(tty, "The same passphrase again: ")
		if err != nil {
			return nil, err
		}
		if subtle.ConstantTimeCompare(pass, again) != 1 { // a secret: constant time
			return nil, errors.New("the two passphrases differ; nothing was created, try again")
		}
	}
	return pass, nil
}

// warnIfShared warns, once, on standard error when the passphrase file can
// be read or written by the group or others: anyone who reads it can
// decrypt the vault's secrets. The file still works. Only regular files are
// checked (a terminal or a pipe given as the file has no mode to fix).
func (c *cli) warnIfShared(what, file string) {
	if c.warnedPassFile[file] || runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(file)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 == 0 {
		return // a read error is reported by the caller
	}
	if c.warnedPassFile == nil {
		c.warnedPassFile = map[string]bool{}
	}
	c.warnedPassFile[file] = true
	fmt.Fprintf(c.stderr, "countersign: warning: the %s %s can be read or written by other users (mode %04o); run chmod 600 %s\n",
		what, file, fi.Mode().Perm(), file)
}

// filePassword returns the password of an exported file (path): from
// passwordFile if given, else asked on the terminal, naming the file so
// that it is not taken for the vault's passphrase. creating asks twice.
func (c *cli) filePassword(path, passwordFile string, creating bool) ([]byte, error) {
	if passwordFile != "" {
		c.warnIfShared("password file", passwordFile)
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			return nil, fmt.Errorf("reading the password file: %w", err)
		}
		b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
		if len(b) == 0 {
			return nil, fmt.Errorf("the password file %s is empty; write the password of %s in it", passwordFile, path)
		}
		return b, nil
	}
	tty, closeTTY, ok := c.terminal()
	if !ok {
		return nil, fmt.Errorf("%s is encrypted: give its password with --password-file FILE (the vault's --passphrase-file is not used for it), or run countersign on a terminal to be asked", path)
	}
	defer closeTTY()
	pass, err := c.prompt(tty, fmt.Sprintf("Password of the file %s (not your vault's passphrase): ", path))
	if err != nil {
		return nil, err
	}
	if len(pass) == 0 {
		return nil, errors.New("the password is empty; type it, or give --password-file FILE")
	}
	if creating {
		again, err := c.prompt(tty, "The same password again: ")
		if err != nil {
			return nil, err
		}
		if subtle.ConstantTimeCompare(pass, again) != 1 { // a secret: constant time
			return nil, errors.New("the two passwords differ; nothing was written, try again")
		}
	}
	return pass, nil
}

// storeStep is how the GUI opens the vault's secret store.
type storeStep int

const (
	// storeOpen: as the CLI does (the keyring works, or the file store's
	// passphrase comes from a file or the terminal).
	storeOpen storeStep = iota
	// storeAskFile: the file store, its passphrase asked in a window.
	storeAskFile
	// storeNoKeyring: the keyring cannot be used; a window says so and
	// offers the file store.
	storeNoKeyring
)

// prefStoreFor is the preference remembering the store chosen in the
// GUI for the vault in dir.
func prefStoreFor(dir string) string { return "store:" + dir }

// decideStore picks the GUI's step from the store asked for (--store or
// COUNTERSIGN_STORE; "" when neither), the store remembered for the vault
// ("file" or ""), whether a passphrase can come from a file or a
// terminal, and the keyring's check (asked only when the keyring is used).
// A store asked for wins over the one remembered, as on the command line.
func decideStore(asked, remembered string, passphraseSource bool, keyringCheck func() error) (storeStep, string, error) {
	store := asked
	if store == "" {
		store = "keyring"
		if remembered == "file" {
			store = "file"
		}
	}
	if store == "file" {
		if passphraseSource {
			return storeOpen, store, nil
		}
		return storeAskFile, store, nil
	}
	if err := keyringCheck(); err != nil {
		return storeNoKeyring, store, err
	}
	return storeOpen, store, nil
}

// hasPassphraseSource tells whether the file store's passphrase can come
// from --passphrase-file, COUNTERSIGN_PASSPHRASE_FILE or a terminal.
func (c *cli) hasPassphraseSource() bool {
	// Standard input only, not the controlling terminal: the app started
	// from a terminal without its standard input (nohup, an editor) asks
	// in a window rather than on a terminal nobody may be watching.
	return c.g.passphraseFile != "" || os.Getenv("COUNTERSIGN_PASSPHRASE_FILE") != "" ||
		(c.stdin != nil && term.IsTerminal(int(c.stdin.Fd())))
}

// terminal returns the terminal to ask a passphrase on: standard input
// when it is one; else the process's controlling terminal (/dev/tty), as
// ssh and gpg ask, so that `countersign activate - < uri.txt` typed at a
// terminal still asks there, but only while this process is in the
// terminal's foreground (a background job would be stopped by the
// terminal, and a program run by another with pipes is not being typed
// at). ok is false otherwise (a desktop launcher, a service, a job in the
// background). closeTTY releases it.
func (c *cli) terminal() (tty *os.File, closeTTY func(), ok bool) {
	if c.stdin != nil && term.IsTerminal(int(c.stdin.Fd())) {
		return c.stdin, func() {}, true
	}
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, nil, false
	}
	if !term.IsTerminal(int(f.Fd())) || !inForeground(f) {
		f.Close()
		return nil, nil, false
	}
	return f, func() { f.Close() }, true
}

// prompt asks for a line on tty without echoing it. The question goes to
// standard error when tty is standard input, else to tty itself (standard
// error may be a file or a pipe then).
func (c *cli) prompt(tty *os.File, question string) ([]byte, error) {
	var out io.Writer = c.stderr
	if tty != c.stdin {
		out = tty
	}
	fmt.Fprint(out, question)
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(out)
	if err != nil {
		return nil, fmt.Errorf("reading the passphrase from the terminal: %w", err)
	}
	return b, nil
}
