package transfer

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/countersign/countersign/vault"
)

// AndOTP is andOTP's backup (github.com/andOTP/andOTP): a JSON array of
// entries, plain or encrypted.
//
//   - Plain: [{"secret": base32, "issuer", "label", "digits", "type":
//     TOTP|HOTP|STEAM|MOTP, "algorithm", "period", "counter", "tags", ...}].
//   - Encrypted (andOTP 0.6.3 and later, the "new" format): a 4-byte
//     big-endian PBKDF2 iteration count, a 12-byte salt, a 12-byte nonce,
//     then the AES-256-GCM encryption of the JSON (tag last). The key is
//     PBKDF2-HMAC-SHA1(password, salt, iterations, 32 bytes); andOTP picks
//     the count at random between 140000 and 160000.
//   - Encrypted, old format (before 0.6.3): a 12-byte nonce and the AES-GCM
//     encryption of the JSON with SHA-256(password) as the key.
//
// Neither encrypted layout has a magic number. The sniffer claims a binary
// file when (1) it does not start with a known magic number or with 16
// printable characters (a text header), (2) its bytes pass a chi-square
// test for uniform randomness (an AEAD ciphertext does; images, databases
// and protobufs do not; compressed files are excluded by their magic
// numbers), and (3) either its first four bytes are an iteration count
// andOTP writes (140000–160000: one random file in 200000 matches) or it
// is at least 128 bytes long (an old-format backup of one account is
// longer). A smaller or unusual file is still read with --from andotp.
const AndOTP Format = "andotp"

func init() {
	register(importer{format: AndOTP, app: "andOTP", sniff: sniffAndOTP, decode: decodeAndOTP})
}

// Layout and bounds of andOTP's encrypted backups.
const (
	andotpIterLen  = 4
	andotpSaltLen  = 12
	andotpNonceLen = 12
	andotpTagLen   = 16
	// andOTP writes 140000 to 160000 iterations; the reader accepts up to
	// andotpMaxIterations (about two seconds) so a hostile count cannot
	// make it run for minutes.
	andotpMinWritten     = 140000
	andotpMaxWritten     = 160000
	andotpMaxIterations  = 1000000
	andotpMinOldSniffLen = 128
)

// andotpPBKDF2 derives andOTP's key; a variable so the fuzz test can make
// it cheap.
var andotpPBKDF2 = func(password, salt []byte, iterations int) ([]byte, error) {
	return pbkdf2.Key(sha1.New, string(password), salt, iterations, 32)
}

type andotpEntry struct {
	Secret    string   `json:"secret"`
	Issuer    *string  `json:"issuer"`
	Label     string   `json:"label"`
	Digits    int      `json:"digits"`
	Type      string   `json:"type"`
	Algorithm string   `json:"algorithm"`
	Period    int      `json:"period"`
	Counter   uint64   `json:"counter"`
	Tags      []string `json:"tags"`
}

// sniffAndOTP recognises a plain andOTP backup by its first entry, and an
// encrypted one by the heuristic above. It reports encrypted for any data
// that is not a JSON array even when it does not claim it: Encrypted uses
// that when the user names the format.
func sniffAndOTP(data []byte) (ok, encrypted bool) {
	if andotpPlainText(data) {
		return andotpSniffPlain(bytes.TrimSpace(data)), false
	}
	return andotpSniffEncrypted(data), true
}

// andotpPlainText reports whether data is an unencrypted backup (a JSON
// array), damaged or not, rather than an encrypted one. An old encrypted
// backup (no iteration count before its nonce) is random bytes from the
// first: one in about 250 starts with '[' (or white space and '['), so
// that alone does not make it text. Random bytes are almost never valid
// JSON, and text is never random.
func andotpPlainText(data []byte) bool {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return false
	}
	return json.Valid(trimmed) || len(data) < andotpMinOldSniffLen || !andotpLooksRandom(data)
}

func andotpSniffPlain(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') || !dec.More() {
		return false
	}
	var first map[string]json.RawMessage
	if dec.Decode(&first) != nil {
		return false
	}
	for _, field := range []string{"secret", "label", "type", "digits"} {
		if _, ok := first[field]; !ok {
			return false
		}
	}
	var typ string
	if json.Unmarshal(first["type"], &typ) != nil {
		return false
	}
	switch typ {
	case "TOTP", "HOTP", "STEAM", "MOTP":
	default:
		return false
	}
	return json.Valid(data)
}

func andotpSniffEncrypted(data []byte) bool {
	if len(data) < andotpIterLen+andotpSaltLen+andotpNonceLen+andotpTagLen+2 || andotpHasKnownMagic(data) || andotpTextHeader(data) {
		return false
	}
	iter := binary.BigEndian.Uint32(data)
	if iter >= andotpMinWritten && iter <= andotpMaxWritten {
		return andotpLooksRandom(data[andotpIterLen:])
	}
	return len(data) >= andotpMinOldSniffLen && andotpLooksRandom(data)
}

// andotpKnownMagics start files that are not ciphertexts (or are other apps').
var andotpKnownMagics = [][]byte{
	[]byte("PK\x03\x04"), []byte("PK\x05\x06"), []byte("\x1f\x8b"), []byte("BZh"), []byte("\xfd7zXZ\x00"),
	[]byte("7z\xbc\xaf\x27\x1c"), []byte("\x28\xb5\x2f\xfd"), []byte("Rar!"), []byte("\xac\xed\x00\x05"),
	[]byte("\x89PNG"), []byte("\xff\xd8\xff"), []byte("GIF8"), []byte("RIFF"), []byte("%PDF"),
	[]byte("SQLite format 3\x00"), []byte("\xef\xbb\xbf"), []byte("\x7fELF"),
}

func andotpHasKnownMagic(data []byte) bool {
	for _, m := range andotpKnownMagics {
		if bytes.HasPrefix(data, m) {
			return true
		}
	}
	return false
}

// andotpTextHeader reports whether data starts with 16 printable ASCII
// characters: a text header such as Authenticator Pro's. Random data does
// so once in ten million.
func andotpTextHeader(data []byte) bool {
	if len(data) < 16 {
		return false
	}
	for _, c := range data[:16] {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// andotpLooksRandom applies a chi-square test of uniformity to the byte values.
// For uniformly random bytes the statistic has mean 255 and standard
// deviation about 22.6 whatever the length; 400 is more than six standard
// deviations above the mean, while text and structured binary data score
// in the thousands.
func andotpLooksRandom(data []byte) bool {
	if len(data) == 0 {
		return false
	}
	var counts [256]int
	for _, c := range data {
		counts[c]++
	}
	expected := float64(len(data)) / 256
	chi := 0.0
	for _, n := range counts {
		d := float64(n) - expected
		chi += d * d / expected
	}
	return chi < 400
}

func decodeAndOTP(data, password []byte) (Result, error) {
	plain := bytes.TrimSpace(data)
	if !andotpPlainText(data) {
		if len(password) == 0 {
			return Result{}, errors.New("this andOTP backup is encrypted (or is not an andOTP backup): give its password")
		}
		var err error
		if plain, err = andotpDecrypt(data, password); err != nil {
			return Result{}, err
		}
	}
	var entries []andotpEntry
	if err := json.Unmarshal(plain, &entries); err != nil {
		return Result{}, fmt.Errorf("the andOTP backup's entries are damaged (%v); nothing was imported", err)
	}
	var r Result
	tagged := false
	for i, e := range entries {
		issuer, name := andotpLabel(e)
		label := vault.Params{Issuer: issuer, Name: name}.Label()
		if label == "" {
			label = fmt.Sprintf("entry %d", i+1)
		}
		var t vault.Type
		switch strings.ToUpper(e.Type) {
		case "TOTP":
			t = vault.TOTP
		case "HOTP":
			t = vault.HOTP
		case "STEAM":
			t = vault.Steam
		case "MOTP":
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: "mOTP accounts are not supported"})
			continue
		default:
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: fmt.Sprintf("%q accounts are not supported", e.Type)})
			continue
		}
		secret, err := vault.DecodeSecret(e.Secret)
		if err != nil {
			return Result{}, fmt.Errorf("andOTP entry %d (%s): %w; nothing was imported", i+1, label, err)
		}
		alg, err := vault.ParseAlgorithm(e.Algorithm)
		if err != nil {
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: err.Error()})
			continue
		}
		k := vault.Key{Params: vault.Params{Type: t, Issuer: issuer, Name: name, Algorithm: alg, Digits: e.Digits, Period: e.Period, Counter: e.Counter}, Secret: secret}
		k.Normalize()
		if err := k.Validate(); err != nil {
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: err.Error()})
			continue
		}
		r.Keys = append(r.Keys, k)
		tagged = tagged || len(e.Tags) > 0
	}
	if tagged {
		r.Skipped = append(r.Skipped, Skipped{Label: "andOTP tags", Reason: "Countersign does not keep them; the accounts are imported without them"})
	}
	return r, nil
}

// andotpLabel returns an entry's issuer and name. Backups of andOTP before
// 0.6 have no issuer and write "Issuer - Name" as the label; some of that
// time wrote the whole otpauth label as the name ("Issuer - Issuer:Name"),
// whose issuer prefix is removed.
func andotpLabel(e andotpEntry) (issuer, name string) {
	name = strings.TrimSpace(e.Label)
	if e.Issuer != nil {
		issuer = strings.TrimSpace(*e.Issuer)
	} else if i, n, ok := strings.Cut(name, " - "); ok {
		issuer, name = strings.TrimSpace(i), strings.TrimSpace(n)
	}
	if issuer != "" {
		if rest, ok := strings.CutPrefix(name, issuer+":"); ok && strings.TrimSpace(rest) != "" {
			name = strings.TrimSpace(rest)
		}
	}
	return issuer, name
}

// andotpDecrypt opens a backup in the new layout if its iteration count is
// in bounds, else (or if that fails) in the old one.
func andotpDecrypt(data, password []byte) ([]byte, error) {
	if len(data) < andotpNonceLen+andotpTagLen {
		return nil, errors.New("the file is too short to be an andOTP backup")
	}
	const header = andotpIterLen + andotpSaltLen + andotpNonceLen
	if len(data) >= header+andotpTagLen {
		iter := binary.BigEndian.Uint32(data)
		if iter >= 1 && iter <= andotpMaxIterations {
			key, err := andotpPBKDF2(password, data[andotpIterLen:andotpIterLen+andotpSaltLen], int(iter))
			if err != nil {
				return nil, fmt.Errorf("deriving the andOTP key: %w", err)
			}
			plain, err := andotpOpen(key, data[andotpIterLen+andotpSaltLen:header], data[header:])
			clear(key)
			if err == nil {
				return plain, nil
			}
		}
	}
	key := sha256.Sum256(password)
	plain, err := andotpOpen(key[:], data[:andotpNonceLen], data[andotpNonceLen:])
	clear(key[:])
	if err == nil {
		return plain, nil
	}
	return nil, fmt.Errorf("%w for this andOTP backup (or the file is damaged or not an andOTP backup): check the password and try again", ErrWrongPassphrase)
}

func andotpOpen(key, nonce, sealed []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return gcm.Open(nil, nonce, sealed, nil)
}
