package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// FileStore keeps every secret in one file encrypted with a passphrase, for
// machines without an OS keyring. It is chosen explicitly, never as a silent
// fallback.
//
// File format, version 1 (all integers big-endian):
//
//	magic      8 bytes  "CSSECRT1"
//	time       4 bytes  Argon2id passes
//	memory     4 bytes  Argon2id memory, KiB
//	threads    1 byte   Argon2id parallelism
//	salt      16 bytes  random, chosen when the file is created
//	nonce     24 bytes  random, new at every write
//	ciphertext          XChaCha20-Poly1305 of a JSON object {id: base32 secret},
//	                    with the 57 bytes above as associated data
//
// The key is derived once when the store is opened. Every write replaces the
// file atomically.
type FileStore struct {
	path string
	mu   sync.Mutex
	hdr  fileHeader
	key  []byte
	data map[string]string
	// stamp is the version of the file that data reflects.
	stamp fileStamp
}

const fileMagic = "CSSECRT1"

type fileHeader struct {
	Time, Memory uint32
	Threads      uint8
	Salt         [16]byte
}

const fileHeaderLen = len(fileMagic) + 4 + 4 + 1 + 16

// Argon2id parameters of new files: RFC 9106's second recommended option.
var defaultFileKDF = fileHeader{Time: 3, Memory: 64 * 1024, Threads: 4}

// Bounds on parameters read from a file, so a hostile file cannot make
// opening it take minutes or gigabytes.
const (
	maxKDFTime    = 16
	maxKDFMemory  = 1 << 20 // 1 GiB
	maxKDFThreads = 64
	maxFileStore  = 16 << 20
)

// OpenFileStore opens the encrypted secrets file at path with passphrase,
// creating it if it does not exist. A wrong passphrase gives an error
// wrapping ErrWrongPassphrase; a damaged file, a clear error.
func OpenFileStore(path string, passphrase []byte) (*FileStore, error) {
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("the encrypted file store needs a passphrase; an empty one is refused")
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		s := &FileStore{path: path, hdr: defaultFileKDF, data: map[string]string{}}
		if _, err := rand.Read(s.hdr.Salt[:]); err != nil {
			return nil, fmt.Errorf("creating %s: %w", path, err)
		}
		s.key = s.hdr.deriveKey(passphrase)
		if err := s.save(); err != nil {
			return nil, err
		}
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening the secrets file: %w", err)
	}
	hdr, data, key, err := decryptFileStore(raw, passphrase)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &FileStore{path: path, hdr: hdr, key: key, data: data}
	if fi, err := os.Stat(path); err == nil {
		s.stamp = stampOf(fi)
	}
	return s, nil
}

func (h fileHeader) deriveKey(passphrase []byte) []byte {
	return argon2.IDKey(passphrase, h.Salt[:], h.Time, h.Memory, h.Threads, chacha20poly1305.KeySize)
}

func (h fileHeader) marshal() []byte {
	b := append([]byte(nil), fileMagic...)
	b = binary.BigEndian.AppendUint32(b, h.Time)
	b = binary.BigEndian.AppendUint32(b, h.Memory)
	b = append(b, h.Threads)
	return append(b, h.Salt[:]...)
}

// decryptFileStore checks and decrypts the content of a secrets file.
func decryptFileStore(raw, passphrase []byte) (fileHeader, map[string]string, []byte, error) {
	var h fileHeader
	if len(raw) > maxFileStore {
		return h, nil, nil, fmt.Errorf("the secrets file is too large (%d bytes); is it the right file?", len(raw))
	}
	if len(raw) < fileHeaderLen+chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead || !bytes.HasPrefix(raw, []byte(fileMagic)) {
		return h, nil, nil, errors.New("not a Countersign secrets file, or truncated; restore it from a backup")
	}
	p := raw[len(fileMagic):]
	h.Time = binary.BigEndian.Uint32(p)
	h.Memory = binary.BigEndian.Uint32(p[4:])
	h.Threads = p[8]
	copy(h.Salt[:], p[9:25])
	if h.Time < 1 || h.Time > maxKDFTime || h.Memory < 8 || h.Memory > maxKDFMemory || h.Threads < 1 || h.Threads > maxKDFThreads {
		return h, nil, nil, fmt.Errorf("the secrets file has out-of-range key-derivation parameters (t=%d m=%d KiB p=%d); it is damaged or not ours", h.Time, h.Memory, h.Threads)
	}
	key := h.deriveKey(passphrase)
	data, err := openSealed(key, raw[:fileHeaderLen], raw[fileHeaderLen:])
	if err != nil {
		return h, nil, nil, err
	}
	return h, data, key, nil
}

func openSealed(key, header, sealed []byte) (map[string]string, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("opening the secrets file: %w", err)
	}
	nonce, ciphertext := sealed[:aead.NonceSize()], sealed[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, ciphertext, header)
	if err != nil {
		// An AEAD cannot tell a wrong passphrase from a damaged file.
		return nil, fmt.Errorf("%w, or the file is damaged: check the passphrase, or restore the file from a backup", ErrWrongPassphrase)
	}
	defer clear(plain)
	var data map[string]string
	if err := json.Unmarshal(plain, &data); err != nil || data == nil {
		return nil, errors.New("the secrets file decrypts but its content is damaged; restore it from a backup")
	}
	return data, nil
}

// save encrypts the secrets with a fresh nonce and replaces the file.
func (s *FileStore) save() error {
	aead, err := chacha20poly1305.NewX(s.key)
	if err != nil {
		return fmt.Errorf("saving %s: %w", s.path, err)
	}
	plain, err := json.Marshal(s.data)
	if err != nil {
		return fmt.Errorf("saving %s: %w", s.path, err)
	}
	defer clear(plain)
	header := s.hdr.marshal()
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("saving %s: %w", s.path, err)
	}
	out := append(header, nonce...)
	out = aead.Seal(out, nonce, plain, header)
	if err := writeFileAtomic(s.path, out); err != nil {
		return err
	}
	if fi, err := os.Stat(s.path); err == nil {
		s.stamp = stampOf(fi)
	}
	return nil
}

// reload re-reads the file if another process changed it.
func (s *FileStore) reload() error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", s.path, err)
	}
	if stampOf(fi) == s.stamp {
		return nil
	}
	raw, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", s.path, err)
	}
	if len(raw) < fileHeaderLen+chacha20poly1305.NonceSizeX || !bytes.Equal(raw[:fileHeaderLen], s.hdr.marshal()) {
		return fmt.Errorf("%s was replaced by a different secrets file; reopen it", s.path)
	}
	data, err := openSealed(s.key, raw[:fileHeaderLen], raw[fileHeaderLen:])
	if err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	s.data, s.stamp = data, stampOf(fi)
	return nil
}

// Get returns the secret of account id.
func (s *FileStore) Get(id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Another process (the CLI next to the GUI) may have changed the file.
	if err := s.reload(); err != nil {
		return nil, err
	}
	encoded, ok := s.data[id]
	if !ok {
		return nil, fmt.Errorf("reading the secret of %s: %w in %s", id, ErrSecretNotFound, s.path)
	}
	secret, err := secretEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("the secret of %s is damaged in %s; restore it from a backup", id, s.path)
	}
	return secret, nil
}

// Set stores the secret of account id and saves the file.
func (s *FileStore) Set(id string, secret []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reload(); err != nil {
		return err
	}
	s.data[id] = EncodeSecret(secret)
	return s.save()
}

// Delete removes the secret of account id and saves the file.
func (s *FileStore) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reload(); err != nil {
		return err
	}
	if _, ok := s.data[id]; !ok {
		return nil
	}
	delete(s.data, id)
	return s.save()
}
