package vault

import (
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name of Countersign's items in the OS keyring.
const KeyringService = "countersign"

// keyringTimeout bounds one keyring call: a locked keyring with no one to
// answer its unlock prompt would otherwise block forever.
const keyringTimeout = 60 * time.Second

// KeyringStore keeps secrets in the OS keyring (Secret Service on Linux,
// Keychain on macOS, Credential Manager on Windows): one item per account,
// under the store's service name, keyed by account id.
type KeyringStore struct {
	service string
}

// NewKeyringStore returns a store for the items of service (KeyringService
// in the app; tests use their own).
func NewKeyringStore(service string) *KeyringStore {
	return &KeyringStore{service: service}
}

const keyringFix = "start and unlock your desktop keyring (gnome-keyring, KWallet or KeePassXC's Secret Service), or use the encrypted file store (--store file)"

// withTimeout runs one keyring call, giving up after keyringTimeout.
func withTimeout[T any](call func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := call()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-time.After(keyringTimeout):
		var zero T
		return zero, fmt.Errorf("%w: no answer within %s (is it locked, waiting for a password prompt?); %s",
			ErrKeyringUnavailable, keyringTimeout, keyringFix)
	}
}

// mapKeyringError turns go-keyring's errors into the store's.
func mapKeyringError(op, id string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("%s %s: %w in the OS keyring", op, id, ErrSecretNotFound)
	case errors.Is(err, ErrKeyringUnavailable):
		return err
	}
	return fmt.Errorf("%s %s: %w (%v); %s", op, id, ErrKeyringUnavailable, err, keyringFix)
}

// Get returns the secret of account id.
func (s *KeyringStore) Get(id string) ([]byte, error) {
	encoded, err := withTimeout(func() (string, error) { return keyring.Get(s.service, id) })
	if err != nil {
		return nil, mapKeyringError("reading the secret of", id, err)
	}
	secret, err := secretEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("the keyring item of %s is damaged (not base32); restore the account from a backup", id)
	}
	return secret, nil
}

// Set stores the secret of account id.
func (s *KeyringStore) Set(id string, secret []byte) error {
	_, err := withTimeout(func() (struct{}, error) {
		return struct{}{}, keyring.Set(s.service, id, EncodeSecret(secret))
	})
	return mapKeyringError("storing the secret of", id, err)
}

// Delete removes the secret of account id; a missing item is not an error.
func (s *KeyringStore) Delete(id string) error {
	_, err := withTimeout(func() (struct{}, error) {
		return struct{}{}, keyring.Delete(s.service, id)
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return mapKeyringError("deleting the secret of", id, err)
}

// Check probes the keyring by writing, reading back and deleting an item,
// so that a missing or locked keyring is reported before any work is done.
func (s *KeyringStore) Check() error {
	const probeID = "probe"
	probe := []byte("countersign keyring probe")
	if err := s.Set(probeID, probe); err != nil {
		return err
	}
	got, err := s.Get(probeID)
	if err != nil {
		return err
	}
	if string(got) != string(probe) {
		return fmt.Errorf("%w: the keyring returned something else than was stored; %s", ErrKeyringUnavailable, keyringFix)
	}
	return s.Delete(probeID)
}
