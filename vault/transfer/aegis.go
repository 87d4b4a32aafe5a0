package transfer

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"

	"github.com/countersign/countersign/vault"
)

// The Aegis vault format (Aegis's docs/vault.md): a JSON file whose "db"
// holds the entries, either as an object (plain) or as base64 of the
// AES-256-GCM encryption of that object with a master key; the master key
// is stored in "slots", each wrapping it with AES-256-GCM under a key
// derived from the password by scrypt.

type aegisFile struct {
	Version int             `json:"version"`
	Header  aegisHeader     `json:"header"`
	DB      json.RawMessage `json:"db"`
}

type aegisHeader struct {
	Slots  []aegisSlot  `json:"slots"`
	Params *aegisParams `json:"params"`
}

type aegisParams struct {
	Nonce string `json:"nonce"` // hex
	Tag   string `json:"tag"`   // hex
}

type aegisSlot struct {
	Type      int          `json:"type"`
	UUID      string       `json:"uuid"`
	Key       string       `json:"key"` // hex, the wrapped master key
	KeyParams *aegisParams `json:"key_params"`
	N         int          `json:"n,omitempty"`
	R         int          `json:"r,omitempty"`
	P         int          `json:"p,omitempty"`
	Salt      string       `json:"salt,omitempty"` // hex
	Repaired  bool         `json:"repaired,omitempty"`
}

type aegisDB struct {
	Version int          `json:"version"`
	Entries []aegisEntry `json:"entries"`
}

type aegisEntry struct {
	Type     string    `json:"type"`
	UUID     string    `json:"uuid"`
	Name     string    `json:"name"`
	Issuer   string    `json:"issuer"`
	Note     string    `json:"note"`
	Favorite bool      `json:"favorite"`
	Icon     *string   `json:"icon"`
	Info     aegisInfo `json:"info"`
	Groups   []string  `json:"groups"`
}

type aegisInfo struct {
	Secret  string `json:"secret"`
	Algo    string `json:"algo"`
	Digits  int    `json:"digits"`
	Period  int    `json:"period,omitempty"`
	Counter uint64 `json:"counter"`
}

// Bounds on scrypt parameters read from a file.
const (
	maxScryptN  = 1 << 20
	maxScryptRP = 64
)

// aegisPasswordSlot is the slot type of a password-derived key.
const aegisPasswordSlot = 1

func decodeAegis(data, password []byte) (Result, error) {
	var f aegisFile
	if err := json.Unmarshal(data, &f); err != nil {
		return Result{}, fmt.Errorf("not an Aegis vault file (%v)", err)
	}
	if f.Version != 1 {
		return Result{}, fmt.Errorf("Aegis vault version %d is not supported", f.Version)
	}
	dbJSON := []byte(f.DB)
	if len(f.Header.Slots) > 0 {
		if len(password) == 0 {
			return Result{}, errors.New("this Aegis vault is encrypted: give its password")
		}
		var err error
		if dbJSON, err = openAegis(f, password); err != nil {
			return Result{}, err
		}
	}
	var db aegisDB
	if err := json.Unmarshal(dbJSON, &db); err != nil {
		return Result{}, fmt.Errorf("the Aegis vault's entries are damaged (%v)", err)
	}
	var r Result
	dropped := map[string]bool{}
	for i, e := range db.Entries {
		label := vault.Params{Issuer: e.Issuer, Name: e.Name}.Label()
		var t vault.Type
		switch e.Type {
		case "totp":
			t = vault.TOTP
		case "hotp":
			t = vault.HOTP
		case "steam":
			t = vault.Steam
		default:
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: fmt.Sprintf("%s codes are not supported", e.Type)})
			continue
		}
		secret, err := vault.DecodeSecret(e.Info.Secret)
		if err != nil {
			return Result{}, fmt.Errorf("entry %d (%s): %w", i+1, label, err)
		}
		alg, err := vault.ParseAlgorithm(e.Info.Algo)
		if err != nil {
			return Result{}, fmt.Errorf("entry %d (%s): %w", i+1, label, err)
		}
		k := vault.Key{Params: vault.Params{Type: t, Issuer: e.Issuer, Name: e.Name, Algorithm: alg, Digits: e.Info.Digits, Period: e.Info.Period, Counter: e.Info.Counter}, Secret: secret}
		k.Normalize()
		if err := k.Validate(); err != nil {
			return Result{}, fmt.Errorf("entry %d (%s): %w", i+1, label, err)
		}
		r.Keys = append(r.Keys, k)
		if e.Icon != nil && *e.Icon != "" {
			dropped["icons"] = true
		}
		if e.Note != "" {
			dropped["notes"] = true
		}
		if len(e.Groups) > 0 {
			dropped["groups"] = true
		}
		if e.Favorite {
			dropped["favourites"] = true
		}
	}
	for _, what := range []string{"icons", "notes", "groups", "favourites"} {
		if dropped[what] {
			r.Skipped = append(r.Skipped, Skipped{Label: "Aegis " + what, Reason: "Countersign does not keep them; the accounts are imported without them"})
		}
	}
	return r, nil
}

// openAegis finds the password slot that opens the master key and decrypts the db.
func openAegis(f aegisFile, password []byte) ([]byte, error) {
	var encoded string
	if err := json.Unmarshal(f.DB, &encoded); err != nil {
		return nil, errors.New("the Aegis vault has slots but its db is not encrypted text")
	}
	if f.Header.Params == nil {
		return nil, errors.New("the Aegis vault lacks the db's nonce and tag")
	}
	sawPasswordSlot := false
	for _, s := range f.Header.Slots {
		if s.Type != aegisPasswordSlot || s.KeyParams == nil {
			continue
		}
		sawPasswordSlot = true
		if s.N < 2 || s.N > maxScryptN || s.N&(s.N-1) != 0 || s.R < 1 || s.R > maxScryptRP || s.P < 1 || s.P > maxScryptRP {
			return nil, fmt.Errorf("the Aegis slot's scrypt parameters are out of range (n=%d r=%d p=%d)", s.N, s.R, s.P)
		}
		salt, err := hex.DecodeString(s.Salt)
		if err != nil {
			return nil, errors.New("the Aegis slot's salt is damaged")
		}
		kek, err := scrypt.Key(password, salt, s.N, s.R, s.P, 32)
		if err != nil {
			return nil, err
		}
		master, err := gcmOpen(kek, s.KeyParams, s.Key)
		if err != nil {
			continue // another slot may open with this password
		}
		defer clear(master)
		db, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			return nil, errors.New("the Aegis vault's db is not base64")
		}
		plain, err := gcmOpen(master, f.Header.Params, hex.EncodeToString(db))
		if err != nil {
			return nil, errors.New("the Aegis vault's entries do not decrypt: the file is damaged")
		}
		return plain, nil
	}
	if !sawPasswordSlot {
		return nil, errors.New("the Aegis vault has no password slot (biometric slots cannot be opened here); export it again with a password")
	}
	return nil, fmt.Errorf("%w for this Aegis vault", ErrWrongPassphrase)
}

// gcmOpen decrypts hex ciphertext whose tag is kept apart, as Aegis does.
func gcmOpen(key []byte, p *aegisParams, ciphertextHex string) ([]byte, error) {
	nonce, err1 := hex.DecodeString(p.Nonce)
	tag, err2 := hex.DecodeString(p.Tag)
	ct, err3 := hex.DecodeString(ciphertextHex)
	if err := errors.Join(err1, err2, err3); err != nil || len(nonce) != 12 || len(tag) != 16 {
		return nil, errors.New("damaged nonce, tag or ciphertext")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return gcm.Open(nil, nonce, append(ct, tag...), nil)
}

// gcmSeal encrypts with a fresh nonce and returns ciphertext and params apart.
func gcmSeal(key, plain []byte) ([]byte, *aegisParams, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, err
	}
	sealed := gcm.Seal(nil, nonce, plain, nil)
	ct, tag := sealed[:len(sealed)-16], sealed[len(sealed)-16:]
	return ct, &aegisParams{Nonce: hex.EncodeToString(nonce), Tag: hex.EncodeToString(tag)}, nil
}

// aegisScryptN is the scrypt cost of exported slots (Aegis's own).
var aegisScryptN = 1 << 15

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return strings.Join([]string{h[:8], h[8:12], h[12:16], h[16:20], h[20:]}, "-")
}

// encodeAegis writes keys as an Aegis vault, encrypted with password if
// one is given.
func encodeAegis(keys []vault.Key, password []byte) ([]byte, error) {
	db := aegisDB{Version: 2, Entries: []aegisEntry{}}
	for _, k := range keys {
		e := aegisEntry{Type: string(k.Type), UUID: newUUID(), Name: k.Name, Issuer: k.Issuer, Groups: []string{},
			Info: aegisInfo{Secret: vault.EncodeSecret(k.Secret), Algo: string(k.Algorithm), Digits: k.Digits, Period: k.Period, Counter: k.Counter}}
		if k.Type == vault.HOTP {
			e.Info.Period = 0
		}
		db.Entries = append(db.Entries, e)
	}
	dbJSON, err := json.Marshal(db)
	if err != nil {
		return nil, err
	}
	f := aegisFile{Version: 1, DB: dbJSON}
	if password != nil {
		master := make([]byte, 32)
		salt := make([]byte, 32)
		rand.Read(master)
		rand.Read(salt)
		defer clear(master)
		kek, err := scrypt.Key(password, salt, aegisScryptN, 8, 1, 32)
		if err != nil {
			return nil, err
		}
		wrapped, keyParams, err := gcmSeal(kek, master)
		if err != nil {
			return nil, err
		}
		ct, params, err := gcmSeal(master, dbJSON)
		if err != nil {
			return nil, err
		}
		f.Header = aegisHeader{Params: params, Slots: []aegisSlot{{
			Type: aegisPasswordSlot, UUID: newUUID(), Key: hex.EncodeToString(wrapped), KeyParams: keyParams,
			N: aegisScryptN, R: 8, P: 1, Salt: hex.EncodeToString(salt), Repaired: true,
		}}}
		f.DB, _ = json.Marshal(base64.StdEncoding.EncodeToString(ct))
	}
	return json.MarshalIndent(f, "", "    ")
}
