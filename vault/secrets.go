package vault

import "errors"

// SecretStore keeps the secret of each account, by account id.
type SecretStore interface {
	// Get returns the secret of id, or an error wrapping ErrSecretNotFound.
	Get(id string) ([]byte, error)
	// Set stores (or replaces) the secret of id.
	Set(id string, secret []byte) error
	// Delete removes the secret of id; it is not an error if there is none.
	Delete(id string) error
}

var (
	// ErrSecretNotFound means the store holds no secret for an account.
	ErrSecretNotFound = errors.New("secret not found")
	// ErrKeyringUnavailable means the OS keyring cannot be reached or is locked.
	ErrKeyringUnavailable = errors.New("the OS keyring is not available")
	// ErrWrongPassphrase means the passphrase does not open an encrypted file.
	ErrWrongPassphrase = errors.New("wrong passphrase")
)
