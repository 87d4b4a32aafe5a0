package vault

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// AppLockID is the secret-store id of the app lock's verifier. Account ids
// are 32 hex digits, so it never names an account's secret.
const AppLockID = "app-lock"

// ErrLockNotSet means no app lock passphrase is set.
var ErrLockNotSet = errors.New("no app lock passphrase is set")

// LockVerifier checks the app lock's passphrase without holding it: the
// Argon2id parameters, a random salt and the hash of the passphrase. It is
// kept as a secret in the vault's secret store (the OS keyring item, or the
// encrypted file), encoded as a PHC string:
//
//	$argon2id$v=19$m=65536,t=3,p=4$<salt, base64>$<hash, base64>
type LockVerifier struct {
	Time, Memory uint32
	Threads      uint8
	Salt, Hash   []byte
}

// Argon2id parameters of new verifiers: RFC 9106's second recommended option,
// as the encrypted file store.
var lockKDF = LockVerifier{Time: defaultFileKDF.Time, Memory: defaultFileKDF.Memory, Threads: defaultFileKDF.Threads}

const (
	lockSaltLen = 16
	lockHashLen = 32
)

// NewLockVerifier makes the verifier of passphrase with a new random salt.
func NewLockVerifier(passphrase []byte) (LockVerifier, error) {
	if len(passphrase) == 0 {
		return LockVerifier{}, errors.New("the app lock needs a passphrase; an empty one is refused")
	}
	l := lockKDF
	l.Salt = make([]byte, lockSaltLen)
	if _, err := rand.Read(l.Salt); err != nil {
		return LockVerifier{}, fmt.Errorf("making the app lock's salt: %w", err)
	}
	l.Hash = l.derive(passphrase, lockHashLen)
	return l, nil
}

func (l LockVerifier) derive(passphrase []byte, n int) []byte {
	return argon2.IDKey(passphrase, l.Salt, l.Time, l.Memory, l.Threads, uint32(n))
}

// Matches tells whether passphrase is the one of the verifier; the hashes
// are compared in constant time.
func (l LockVerifier) Matches(passphrase []byte) bool {
	if len(l.Hash) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(l.derive(passphrase, len(l.Hash)), l.Hash) == 1
}

var b64 = base64.RawStdEncoding

// String is the verifier as a PHC string (no passphrase in it).
func (l LockVerifier) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, l.Memory, l.Time, l.Threads,
		b64.EncodeToString(l.Salt), b64.EncodeToString(l.Hash))
}

// ParseLockVerifier reads a verifier written by String, refusing parameters
// that would make checking a passphrase take minutes or gigabytes.
func ParseLockVerifier(s string) (LockVerifier, error) {
	bad := fmt.Errorf("the app lock's verifier is damaged; remove the %q item of the keyring (or restore the secrets file) to remove the lock", AppLockID)
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return LockVerifier{}, bad
	}
	var l LockVerifier
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &l.Memory, &l.Time, &threads); err != nil || n != 3 {
		return LockVerifier{}, bad
	}
	if l.Time == 0 || l.Time > maxKDFTime || l.Memory < 8 || l.Memory > maxKDFMemory || threads == 0 || threads > maxKDFThreads {
		return LockVerifier{}, bad
	}
	l.Threads = uint8(threads)
	var err1, err2 error
	l.Salt, err1 = b64.DecodeString(parts[4])
	l.Hash, err2 = b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(l.Salt) < 8 || len(l.Hash) < 16 || len(l.Hash) > 64 {
		return LockVerifier{}, bad
	}
	return l, nil
}

// LockVerifier returns the app lock's verifier, or an error wrapping
// ErrLockNotSet when there is none.
func (v *Vault) LockVerifier() (LockVerifier, error) {
	raw, err := v.secrets.Get(AppLockID)
	if errors.Is(err, ErrSecretNotFound) {
		return LockVerifier{}, ErrLockNotSet
	}
	if err != nil {
		return LockVerifier{}, err
	}
	return ParseLockVerifier(string(raw))
}

// HasLock tells whether an app lock passphrase is set.
func (v *Vault) HasLock() (bool, error) {
	_, err := v.LockVerifier()
	if errors.Is(err, ErrLockNotSet) {
		return false, nil
	}
	return err == nil, err
}

// CheckLock tells whether passphrase is the app lock's.
func (v *Vault) CheckLock(passphrase []byte) (bool, error) {
	l, err := v.LockVerifier()
	if err != nil {
		return false, err
	}
	return l.Matches(passphrase), nil
}

// SetLock sets the app lock's passphrase to next, or removes the lock when
// next is empty. When a lock is set, current must be its passphrase (else
// an error wrapping ErrWrongPassphrase). Only the verifier is stored.
func (v *Vault) SetLock(current, next []byte) error {
	l, err := v.LockVerifier()
	switch {
	case errors.Is(err, ErrLockNotSet):
		if len(next) == 0 {
			return nil
		}
	case err != nil:
		return err
	case !l.Matches(current):
		return fmt.Errorf("the current app lock passphrase: %w", ErrWrongPassphrase)
	}
	if len(next) == 0 {
		return v.secrets.Delete(AppLockID)
	}
	nl, err := NewLockVerifier(next)
	if err != nil {
		return err
	}
	return v.secrets.Set(AppLockID, []byte(nl.String()))
}
