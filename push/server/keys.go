package server

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/chacha20poly1305"
)

// Key files in the data directory, outside the database: a copy of the
// database alone reveals no seed and cannot sign.
const (
	signKeyFile = "server_ed25519.key"
	sealKeyFile = "seal.key"
)

// keys are the server's secrets.
type keys struct {
	sign ed25519.PrivateKey
	seal []byte // XChaCha20-Poly1305 key for seeds at rest
}

// loadOrCreateKeys reads the key files in dir, creating them (mode 0600) on
// first use.
func loadOrCreateKeys(dir string) (keys, error) {
	seed, err := loadOrCreate(filepath.Join(dir, signKeyFile), ed25519.SeedSize)
	if err != nil {
		return keys{}, err
	}
	seal, err := loadOrCreate(filepath.Join(dir, sealKeyFile), chacha20poly1305.KeySize)
	if err != nil {
		return keys{}, err
	}
	return keys{sign: ed25519.NewKeyFromSeed(seed), seal: seal}, nil
}

func loadOrCreate(path string, size int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) != size {
			return nil, fmt.Errorf("%s holds %d bytes, not %d: it is damaged; restore it from a backup", path, len(b), size)
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	b = make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreate(path, size) // another process made it first
	}
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return b, f.Close()
}

// Associated data of sealed values: a value sealed for one purpose and
// owner never opens as another (a device's seed as another device's, say).
func deviceSeedAD(deviceID string) string { return "device:" + deviceID }
func webhookAD(rp string) string          { return "webhook:" + rp }
func enrollTokenAD(user string) string    { return "enroll-token:" + user }
func activationAD(token string) string    { return "activation:" + token }

// sealSeed encrypts a secret for the database, bound to ad (see the *AD
// functions; a user's name for the former shared seeds).
func (k keys) sealSeed(ad string, seed []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k.seal)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(seed)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, seed, []byte(ad)), nil
}

// openSeed decrypts a secret sealed for ad.
func (k keys) openSeed(ad string, sealed []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k.seal)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("sealed seed is truncated")
	}
	seed, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(ad))
	if err != nil {
		return nil, fmt.Errorf("the sealed secret of %s does not open with %s: was the key file replaced?", ad, sealKeyFile)
	}
	return seed, nil
}
