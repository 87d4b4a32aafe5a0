package vault

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Account is one entry of the vault: its identity and parameters, never its secret.
type Account struct {
	ID string `json:"id"`
	Params
	Added time.Time `json:"added"`
	// Push is set for accounts activated with a Countersign server.
	Push *PushInfo `json:"push,omitempty"`
}

// PushInfo is what a push account knows of its server: no secret. The
// device's private key is a secret of its own (see Vault.DeviceKey).
type PushInfo struct {
	DeviceID     string `json:"device_id"`
	ServerKey    []byte `json:"server_key"`
	WebsocketURL string `json:"websocket_url"`
}

// deviceKeyID is the secret-store id of a push account's device key.
func deviceKeyID(id string) string { return id + ".device" }

// Code is an account's code at a moment.
type Code struct {
	// Value is the current code (for HOTP, the code of the current counter).
	Value string
	// Next is the code of the following period (TOTP and Steam only).
	Next string
	// Start and End bound the period of Value (zero for HOTP).
	Start, End time.Time
}

// ErrDuplicate is matched (errors.Is) by a *DuplicateError.
var ErrDuplicate = errors.New("duplicate account")

// DuplicateError reports that a key is already in the vault: same type and secret.
type DuplicateError struct {
	Existing Account
}

// Error names the account already in the vault by its label.
func (e *DuplicateError) Error() string {
	return "already in the vault as " + e.Existing.Label()
}

// Is makes errors.Is(err, ErrDuplicate) true.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// ErrNoAccount is wrapped by errors about an unknown account id.
var ErrNoAccount = errors.New("no such account")

// File names inside the vault directory.
const (
	indexFileName = "accounts.json"
	lockFileName  = "vault.lock"
)

// DefaultDir returns the vault directory: $COUNTERSIGN_VAULT, else
// "countersign" in the user's configuration directory.
func DefaultDir() (string, error) {
	if dir := os.Getenv("COUNTERSIGN_VAULT"); dir != "" {
		return dir, nil
	}
	config, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the configuration directory: %w", err)
	}
	return filepath.Join(config, "countersign"), nil
}

// Vault is the set of accounts of one vault directory: metadata in an index
// file written atomically, secrets in a SecretStore. It is safe for use by
// several goroutines, and by several processes on the same directory: every
// change re-reads the index under an exclusive file lock.
//
// Write order keeps index and secrets consistent through a crash at any
// point: an id is first recorded as pending in the index, then its secret is
// written (or deleted), then the index gains (or has lost) the account and
// drops the pending id. Open deletes the secret of every pending id that has
// no account: an orphan left by a crash.
type Vault struct {
	dir     string
	secrets SecretStore

	mu      sync.Mutex
	ix      index
	stamp   fileStamp
	secretC map[string][]byte // secrets read so far, by id
}

// crashHook, when set (by tests only), is called at each step of a change.
var crashHook func(step string)

func step(name string) {
	if crashHook != nil {
		crashHook(name)
	}
}

// Open opens (creating if needed) the vault in dir with the given secret
// store, and removes orphan secrets left by an interrupted change. The
// directory is made private (0700) if it is not; see PrivateDir.
func Open(dir string, secrets SecretStore) (*Vault, error) {
	if err := PrivateDir(dir); err != nil {
		return nil, fmt.Errorf("creating the vault directory: %w", err)
	}
	v := &Vault{dir: dir, secrets: secrets, secretC: map[string][]byte{}}
	err := v.withLock(func() error {
		if len(v.ix.Pending) == 0 {
			return nil
		}
		for _, id := range v.ix.Pending {
			if _, ok := v.find(id); !ok {
				for _, sid := range []string{id, deviceKeyID(id)} {
					if err := v.secrets.Delete(sid); err != nil {
						return fmt.Errorf("removing an orphan secret: %w", err)
					}
				}
			}
		}
		v.ix.Pending = nil
		return v.save()
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// PrivateDir creates the vault directory dir with mode 0700, and makes an
// existing one that the group or others may read, write or enter 0700
// (the directory itself, not what is in it: its files are written 0600).
// A failed chmod is not an error: the directory holds no secret in clear
// (seeds are in the keyring or the encrypted file), and a file system
// without modes (FAT on a USB stick) must not lock the user out.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if runtime.GOOS == "windows" {
		return nil // no Unix modes: the ACLs of the user's profile apply
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		_ = os.Chmod(dir, 0o700)
	}
	return nil
}

// Dir returns the vault directory.
func (v *Vault) Dir() string { return v.dir }

func (v *Vault) indexPath() string { return filepath.Join(v.dir, indexFileName) }

// withLock runs fn holding v.mu and the vault's file lock, with v.ix freshly
// read from disk. fn saves its changes with v.save.
func (v *Vault) withLock(fn func() error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	lock, err := os.OpenFile(filepath.Join(v.dir, lockFileName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("opening the vault lock: %w", err)
	}
	defer lock.Close()
	if err := lockFile(lock); err != nil {
		return fmt.Errorf("locking the vault: %w", err)
	}
	defer unlockFile(lock)
	if v.ix, v.stamp, err = readIndex(v.indexPath()); err != nil {
		return err
	}
	return fn()
}

func (v *Vault) save() error {
	stamp, err := writeIndex(v.indexPath(), v.ix)
	if err != nil {
		return err
	}
	v.stamp = stamp
	return nil
}

// find returns the position of account id in v.ix.
func (v *Vault) find(id string) (int, bool) {
	i := slices.IndexFunc(v.ix.Accounts, func(a Account) bool { return a.ID == id })
	return i, i >= 0
}

func errNoAccount(id string) error {
	return fmt.Errorf("%w with id %q (countersign list shows the ids)", ErrNoAccount, id)
}

// Reload re-reads the index if another process changed it, and reports
// whether it did.
func (v *Vault) Reload() (bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fi, err := os.Stat(v.indexPath())
	if err != nil {
		if os.IsNotExist(err) && v.stamp == (fileStamp{}) {
			return false, nil
		}
		return false, fmt.Errorf("checking the account index: %w", err)
	}
	if stampOf(fi) == v.stamp {
		return false, nil
	}
	ix, stamp, err := readIndex(v.indexPath())
	if err != nil {
		return false, err
	}
	v.ix, v.stamp = ix, stamp
	return true, nil
}

// Accounts returns every account in the user's order.
func (v *Vault) Accounts() []Account {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.ix.Accounts)
}

// Account returns the account with the given id.
func (v *Vault) Account(id string) (Account, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if i, ok := v.find(id); ok {
		return v.ix.Accounts[i], true
	}
	return Account{}, false
}

// Search returns the accounts whose issuer or name contain every word of
// query, ignoring case, in the user's order. An empty query matches all.
func (v *Vault) Search(query string) []Account {
	words := strings.Fields(strings.ToLower(query))
	var out []Account
	for _, a := range v.Accounts() {
		text := strings.ToLower(a.Issuer + " " + a.Name)
		if !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(text, w) }) {
			out = append(out, a)
		}
	}
	return out
}

// secret returns the secret of id, from the cache or the store. v.mu is held.
func (v *Vault) secret(id string) ([]byte, error) {
	if s, ok := v.secretC[id]; ok {
		return s, nil
	}
	s, err := v.secrets.Get(id)
	if err != nil {
		return nil, err
	}
	v.secretC[id] = s
	return s, nil
}

// duplicateOf returns the account that is the same as k (SameAccount). v.mu is held.
func (v *Vault) duplicateOf(k Key) (Account, bool, error) {
	for _, a := range v.ix.Accounts {
		if a.Type != k.Type || a.Issuer != k.Issuer || a.Name != k.Name {
			continue
		}
		s, err := v.secret(a.ID)
		if errors.Is(err, ErrSecretNotFound) {
			continue
		}
		if err != nil {
			return Account{}, false, err
		}
		if subtle.ConstantTimeCompare(s, k.Secret) == 1 { // a secret: constant time
			return a, true, nil
		}
	}
	return Account{}, false, nil
}

// Duplicate returns the account that is the same as k (same type, secret,
// issuer and name), if there is one: importers use it to report
// duplicates and add the rest.
func (v *Vault) Duplicate(k Key) (Account, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.duplicateOf(k)
}

func newID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making an account id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Add adds one account. A key that is already in the vault (the same
// type, secret, issuer and name) is refused with a *DuplicateError.
func (v *Vault) Add(k Key) (Account, error) {
	added, err := v.AddAll([]Key{k})
	if err != nil {
		return Account{}, err
	}
	return added[0], nil
}

// AddAll adds every key or none: an invalid key, a duplicate (of the vault
// or within keys) or a failed write leaves the vault as it was.
func (v *Vault) AddAll(keys []Key) ([]Account, error) {
	entries := make([]newEntry, len(keys))
	for i, k := range keys {
		entries[i] = newEntry{key: k}
	}
	return v.add(entries)
}

// AddPush adds a push account: its TOTP key, what it knows of its server,
// and the device's private key, which is stored as a secret.
func (v *Vault) AddPush(k Key, info PushInfo, deviceKey []byte) (Account, error) {
	if info.DeviceID == "" || len(info.ServerKey) == 0 || info.WebsocketURL == "" || len(deviceKey) == 0 {
		return Account{}, errors.New("adding a push account: the activation is incomplete")
	}
	added, err := v.add([]newEntry{{key: k, push: &info, deviceKey: deviceKey}})
	if err != nil {
		return Account{}, err
	}
	return added[0], nil
}

// newEntry is one account being added, with its secrets.
type newEntry struct {
	key       Key
	push      *PushInfo
	deviceKey []byte
}

// secretsOf lists the secrets an entry stores, by secret-store id.
func (e newEntry) secretsOf(id string) map[string][]byte {
	m := map[string][]byte{id: e.key.Secret}
	if e.push != nil {
		m[deviceKeyID(id)] = e.deviceKey
	}
	return m
}

func (v *Vault) add(entries []newEntry) ([]Account, error) {
	var added []Account
	err := v.withLock(func() error {
		added = make([]Account, 0, len(entries))
		now := time.Now().UTC().Truncate(time.Second)
		for i := range entries {
			k := &entries[i].key
			k.Normalize()
			if err := k.Validate(); err != nil {
				return fmt.Errorf("%s: %w", k.Label(), err)
			}
			if dup, ok, err := v.duplicateOf(*k); err != nil {
				return err
			} else if ok {
				return &DuplicateError{Existing: dup}
			}
			for j := range i {
				if other := entries[j].key; other.SameAccount(*k) {
					return fmt.Errorf("%s and %s are the same account: %w", other.Label(), k.Label(), ErrDuplicate)
				}
			}
			id, err := newID()
			if err != nil {
				return err
			}
			added = append(added, Account{ID: id, Params: k.Params, Added: now, Push: entries[i].push})
		}
		before := v.ix
		for _, a := range added {
			v.ix.Pending = append(v.ix.Pending, a.ID)
		}
		if err := v.save(); err != nil {
			return err
		}
		step("pending-written")
		for i, a := range added {
			for sid, secret := range entries[i].secretsOf(a.ID) {
				if err := v.secrets.Set(sid, secret); err != nil {
					v.undoAdd(before, added[:i+1])
					return err
				}
			}
			step("secret-written")
		}
		v.ix = index{Version: indexVersion, Accounts: append(slices.Clone(before.Accounts), added...), Pending: before.Pending}
		if err := v.save(); err != nil {
			v.undoAdd(before, added)
			return err
		}
		for i, a := range added {
			v.secretC[a.ID] = slices.Clone(entries[i].key.Secret)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("adding accounts: %w", err)
	}
	return added, nil
}

// undoAdd removes the secrets of a failed add and restores the index. If
// that fails too, the ids stay pending and the next Open removes them.
func (v *Vault) undoAdd(before index, added []Account) {
	for _, a := range added {
		if v.secrets.Delete(a.ID) != nil || v.secrets.Delete(deviceKeyID(a.ID)) != nil {
			return
		}
	}
	v.ix = before
	_ = v.save()
}

// DeviceKey returns the device private key of a push account.
func (v *Vault) DeviceKey(id string) ([]byte, error) {
	a, ok := v.Account(id)
	if !ok {
		return nil, errNoAccount(id)
	}
	if a.Push == nil {
		return nil, fmt.Errorf("%s is not a push account", a.Label())
	}
	key, err := v.secrets.Get(deviceKeyID(id))
	if err != nil {
		return nil, fmt.Errorf("the device key of %s: %w", a.Label(), err)
	}
	return key, nil
}

// Delete removes an account and its secret.
func (v *Vault) Delete(id string) error {
	return v.withLock(func() error {
		i, ok := v.find(id)
		if !ok {
			return errNoAccount(id)
		}
		v.ix.Accounts = slices.Delete(v.ix.Accounts, i, i+1)
		v.ix.Pending = append(v.ix.Pending, id)
		if err := v.save(); err != nil {
			return fmt.Errorf("deleting an account: %w", err)
		}
		step("account-removed")
		if s, ok := v.secretC[id]; ok {
			clear(s)
			delete(v.secretC, id)
		}
		for _, sid := range []string{id, deviceKeyID(id)} {
			if err := v.secrets.Delete(sid); err != nil {
				// The id stays pending: the next Open retries.
				return fmt.Errorf("deleting the secret (it will be retried on next start): %w", err)
			}
		}
		step("secret-deleted")
		v.ix.Pending = slices.DeleteFunc(v.ix.Pending, func(p string) bool { return p == id })
		return v.save()
	})
}

// update changes one account's metadata under the lock.
func (v *Vault) update(id string, change func(a *Account) error) error {
	return v.withLock(func() error {
		i, ok := v.find(id)
		if !ok {
			return errNoAccount(id)
		}
		a := v.ix.Accounts[i]
		if err := change(&a); err != nil {
			return err
		}
		v.ix.Accounts[i] = a
		return v.save()
	})
}

// Rename changes an account's issuer and name.
func (v *Vault) Rename(id, issuer, name string) error {
	return v.update(id, func(a *Account) error {
		a.Issuer, a.Name = strings.TrimSpace(issuer), strings.TrimSpace(name)
		return a.Params.Validate()
	})
}

// Move puts account id at position to (0 is first) in the user's order;
// positions past either end mean the end.
func (v *Vault) Move(id string, to int) error {
	return v.withLock(func() error {
		i, ok := v.find(id)
		if !ok {
			return errNoAccount(id)
		}
		a := v.ix.Accounts[i]
		rest := slices.Delete(v.ix.Accounts, i, i+1)
		to = max(0, min(to, len(rest)))
		v.ix.Accounts = slices.Insert(rest, to, a)
		return v.save()
	})
}

// Key returns an account with its secret.
func (v *Vault) Key(id string) (Key, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	i, ok := v.find(id)
	if !ok {
		return Key{}, errNoAccount(id)
	}
	a := v.ix.Accounts[i]
	s, err := v.secret(id)
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", a.Label(), err)
	}
	return Key{Params: a.Params, Secret: slices.Clone(s)}, nil
}

// Code returns the code of account id at time t.
func (v *Vault) Code(id string, t time.Time) (Code, error) {
	k, err := v.Key(id)
	if err != nil {
		return Code{}, err
	}
	defer clear(k.Secret)
	if k.Type == HOTP {
		value, err := k.HOTPCode(k.Counter)
		return Code{Value: value}, err
	}
	var c Code
	c.Start, c.End = k.Window(t)
	if c.Value, err = k.CodeAt(t); err != nil {
		return Code{}, err
	}
	if c.Next, err = k.CodeAt(c.End); err != nil {
		return Code{}, err
	}
	return c, nil
}

// NextHOTP advances an HOTP account's counter, saves it, and returns the new code.
func (v *Vault) NextHOTP(id string) (string, error) {
	err := v.update(id, func(a *Account) error {
		if a.Type != HOTP {
			return fmt.Errorf("%s is not a counter-based (HOTP) account", a.Label())
		}
		a.Counter++
		return nil
	})
	if err != nil {
		return "", err
	}
	c, err := v.Code(id, time.Time{})
	return c.Value, err
}

// Close forgets the secrets read so far.
func (v *Vault) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	for id, s := range v.secretC {
		clear(s)
		delete(v.secretC, id)
	}
	return nil
}
