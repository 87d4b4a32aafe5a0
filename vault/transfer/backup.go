package transfer

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/countersign/countersign/vault"
)

// The Countersign backup (FORMAT.md): a JSON envelope whose header fields
// are authenticated, around an XChaCha20-Poly1305 ciphertext of the accounts,
// with a key from the passphrase by Argon2id.

const (
	backupFormat  = "countersign-backup"
	backupVersion = 1
)

// kdfParams are the Argon2id parameters, stored in the backup.
type kdfParams struct {
	Name    string `json:"name"`
	Time    uint32 `json:"time"`
	Memory  uint32 `json:"memory_kib"`
	Threads uint8  `json:"threads"`
	Salt    []byte `json:"salt"`
}

// defaultKDF is RFC 9106's second recommended Argon2id setting.
var defaultKDF = kdfParams{Name: "argon2id", Time: 3, Memory: 64 * 1024, Threads: 4}

// Bounds on parameters read from a file: a hostile file must not make the
// import take minutes or gigabytes.
const (
	maxKDFTime   = 16
	maxKDFMemory = 1 << 20 // KiB: 1 GiB
)

type envelope struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	Created    time.Time `json:"created"`
	KDF        kdfParams `json:"kdf"`
	Cipher     string    `json:"cipher"`
	Nonce      []byte    `json:"nonce"`
	Ciphertext []byte    `json:"ciphertext"`
}

// associatedData binds every header field to the ciphertext.
func (e envelope) associatedData() []byte {
	return fmt.Appendf(nil, "%s|%d|%d|%s|%d|%d|%d|%x|%s|%x",
		e.Format, e.Version, e.Created.Unix(), e.KDF.Name, e.KDF.Time, e.KDF.Memory, e.KDF.Threads, e.KDF.Salt, e.Cipher, e.Nonce)
}

// backupAccount is one account inside a backup.
type backupAccount struct {
	vault.Params
	Secret string `json:"secret"` // base32
}

type backupBody struct {
	Version  int             `json:"version"`
	Accounts []backupAccount `json:"accounts"`
}

func encodeBackup(keys []vault.Key, passphrase []byte, kdf kdfParams) ([]byte, error) {
	body := backupBody{Version: backupVersion, Accounts: []backupAccount{}}
	for _, k := range keys {
		body.Accounts = append(body.Accounts, backupAccount{Params: k.Params, Secret: vault.EncodeSecret(k.Secret)})
	}
	plain, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	kdf.Salt = make([]byte, 16)
	e := envelope{Format: backupFormat, Version: backupVersion, Created: time.Now().UTC().Truncate(time.Second), KDF: kdf, Cipher: "xchacha20poly1305", Nonce: make([]byte, chacha20poly1305.NonceSizeX)}
	if _, err := rand.Read(e.KDF.Salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(e.Nonce); err != nil {
		return nil, err
	}
	key := argon2.IDKey(passphrase, e.KDF.Salt, e.KDF.Time, e.KDF.Memory, e.KDF.Threads, chacha20poly1305.KeySize)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	e.Ciphertext = aead.Seal(nil, e.Nonce, plain, e.associatedData())
	return json.MarshalIndent(e, "", "  ")
}

func decodeBackup(data, passphrase []byte) (Result, error) {
	var e envelope
	if err := json.Unmarshal(data, &e); err != nil {
		if !strings.HasPrefix(strings.TrimSpace(string(data)), "{") {
			return Result{}, errors.New("not a Countersign backup (it is not JSON)")
		}
		return Result{}, fmt.Errorf("the backup is damaged or truncated (%v); use another copy", err)
	}
	switch {
	case e.Format != backupFormat:
		return Result{}, fmt.Errorf("not a Countersign backup (format %q)", e.Format)
	case e.Version != backupVersion:
		return Result{}, fmt.Errorf("backup version %d is not supported by this Countersign (it reads %d); update the app", e.Version, backupVersion)
	case e.KDF.Name != "argon2id" || e.Cipher != "xchacha20poly1305":
		return Result{}, fmt.Errorf("the backup uses %s/%s, which this version does not know", e.KDF.Name, e.Cipher)
	case e.KDF.Time < 1 || e.KDF.Time > maxKDFTime || e.KDF.Memory < 8 || e.KDF.Memory > maxKDFMemory || e.KDF.Threads < 1 || len(e.KDF.Salt) < 16:
		return Result{}, fmt.Errorf("the backup's key-derivation parameters are out of range (t=%d m=%d KiB p=%d); it is damaged", e.KDF.Time, e.KDF.Memory, e.KDF.Threads)
	case len(e.Nonce) != chacha20poly1305.NonceSizeX:
		return Result{}, errors.New("the backup's nonce is damaged")
	}
	key := argon2.IDKey(passphrase, e.KDF.Salt, e.KDF.Time, e.KDF.Memory, e.KDF.Threads, chacha20poly1305.KeySize)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return Result{}, err
	}
	plain, err := aead.Open(nil, e.Nonce, e.Ciphertext, e.associatedData())
	if err != nil {
		return Result{}, fmt.Errorf("%w, or the backup was changed: check the passphrase, or use another copy", ErrWrongPassphrase)
	}
	defer clear(plain)
	var body backupBody
	if err := json.Unmarshal(plain, &body); err != nil {
		return Result{}, fmt.Errorf("the backup decrypts but its content is damaged: %w", err)
	}
	var r Result
	for i, a := range body.Accounts {
		secret, err := vault.DecodeSecret(a.Secret)
		if err != nil {
			return Result{}, fmt.Errorf("account %d: %w", i+1, err)
		}
		k := vault.Key{Params: a.Params, Secret: secret}
		if err := k.Validate(); err != nil {
			return Result{}, fmt.Errorf("account %d (%s): %w", i+1, k.Label(), err)
		}
		r.Keys = append(r.Keys, k)
	}
	return r, nil
}
