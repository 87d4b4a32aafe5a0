package transfer

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/countersign/countersign/vault"
)

// Bitwarden's vault exports (bitwarden.com/help/export-your-data, and the
// open-source clients' export code):
//
// The JSON export is {"encrypted": false, "folders": [...], "items": [...]};
// a login item is {"type": 1, "name", "login": {"username", "password",
// "uris", "totp"}, ...}. The CSV export has a header line naming its
// columns (folder, favorite, type, name, notes, fields, reprompt,
// login_uri, login_username, login_password, login_totp; an organisation's
// starts with collections) and one line per item.
//
// The authenticator key ("totp") is an otpauth:// URI, a bare base32
// secret (TOTP, 6 digits, 30 s, SHA1), or steam://SECRET (a Steam Guard
// key). The URI names the account; otherwise the item's name is the
// issuer and its username the account name.
//
// A password-protected JSON export is {"encrypted": true,
// "passwordProtected": true, "salt", "kdfType", "kdfIterations",
// "kdfMemory", "kdfParallelism", "encKeyValidation_DO_NOT_EDIT", "data"}:
// the key is PBKDF2-HMAC-SHA256(password, salt as written, iterations, 32)
// (kdfType 0), or Argon2id(password, SHA-256(salt), iterations, memory MiB,
// parallelism, 32) (kdfType 1), stretched by HKDF-Expand-SHA256 into an
// encryption key (info "enc") and a MAC key (info "mac"). "data" is the
// plain JSON export and "encKeyValidation_DO_NOT_EDIT" a random text, each
// an "encrypted string" 2.base64(iv)|base64(ciphertext)|base64(mac):
// AES-256-CBC with PKCS#7 padding, and HMAC-SHA256 of iv‖ciphertext.
// An "account restricted" export (encrypted with the Bitwarden account's
// own key) cannot be opened outside Bitwarden.

// The Bitwarden formats.
const (
	Bitwarden    Format = "bitwarden"     // JSON export, plain or password-protected
	BitwardenCSV Format = "bitwarden-csv" // CSV export
)

func init() {
	register(importer{format: Bitwarden, app: "Bitwarden", sniff: sniffBitwarden, decode: decodeBitwarden, encode: encodeBitwarden})
	register(importer{format: BitwardenCSV, app: "Bitwarden", sniff: sniffBitwardenCSV, decode: decodeBitwardenCSV})
}

const (
	// bitwardenMaxItems bounds the items of one export.
	bitwardenMaxItems = 200_000
	// Bounds on the key derivation of a password-protected export (those
	// Bitwarden's clients allow).
	bitwardenMaxPBKDF2    = 2_000_000
	bitwardenMaxArgonTime = 10
	bitwardenMaxArgonMiB  = 1024
	bitwardenMaxArgonPar  = 16
	bitwardenMaxSalt      = 1024
)

// bitwardenMinPBKDF2 is the least PBKDF2 cost read (Bitwarden's; a
// variable for the fuzz test, where instrumented PBKDF2 is slow).
var bitwardenMinPBKDF2 = 5_000

// bitwardenExportIterations is the PBKDF2 cost of the exports Countersign
// writes (Bitwarden's default).
var bitwardenExportIterations = 600_000

// bitwardenIn is what the decoder reads of a JSON export, plain or
// password-protected.
type bitwardenIn struct {
	Encrypted         *bool             `json:"encrypted"`
	PasswordProtected bool              `json:"passwordProtected"`
	Salt              string            `json:"salt"`
	KdfType           int               `json:"kdfType"`
	KdfIterations     int               `json:"kdfIterations"`
	KdfMemory         *int              `json:"kdfMemory"`
	KdfParallelism    *int              `json:"kdfParallelism"`
	EncKeyValidation  string            `json:"encKeyValidation_DO_NOT_EDIT"`
	Data              string            `json:"data"`
	Items             []bitwardenItemIn `json:"items"`
}

type bitwardenItemIn struct {
	Name  string `json:"name"`
	Login *struct {
		Username *string `json:"username"`
		TOTP     *string `json:"totp"`
	} `json:"login"`
}

// bitwardenExport is the plain JSON export Countersign writes.
type bitwardenExport struct {
	Encrypted bool               `json:"encrypted"`
	Folders   []struct{}         `json:"folders"`
	Items     []bitwardenItemOut `json:"items"`
}

type bitwardenItemOut struct {
	ID             string            `json:"id"`
	OrganizationID *string           `json:"organizationId"`
	FolderID       *string           `json:"folderId"`
	Type           int               `json:"type"`
	Reprompt       int               `json:"reprompt"`
	Name           string            `json:"name"`
	Notes          *string           `json:"notes"`
	Favorite       bool              `json:"favorite"`
	Login          bitwardenLoginOut `json:"login"`
	CollectionIDs  *[]string         `json:"collectionIds"`
}

type bitwardenLoginOut struct {
	URIs     []struct{} `json:"uris"`
	Username *string    `json:"username"`
	Password *string    `json:"password"`
	TOTP     string     `json:"totp"`
}

// bitwardenProtected is a password-protected export as Countersign writes it.
type bitwardenProtected struct {
	Encrypted         bool   `json:"encrypted"`
	PasswordProtected bool   `json:"passwordProtected"`
	Salt              string `json:"salt"`
	KdfType           int    `json:"kdfType"`
	KdfIterations     int    `json:"kdfIterations"`
	KdfMemory         *int   `json:"kdfMemory"`
	KdfParallelism    *int   `json:"kdfParallelism"`
	EncKeyValidation  string `json:"encKeyValidation_DO_NOT_EDIT"`
	Data              string `json:"data"`
}

const bitwardenLoginItem = 1

var bitwardenBOM = []byte("\xef\xbb\xbf")

// sniffBitwarden: a JSON object that says whether it is encrypted and holds
// items, or password-protected data.
func sniffBitwarden(data []byte) (ok, encrypted bool) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, bitwardenBOM))
	if len(trimmed) == 0 || trimmed[0] != '{' || !bytes.Contains(trimmed, []byte(`"encrypted"`)) {
		return false, false
	}
	var e struct {
		Encrypted         *bool           `json:"encrypted"`
		PasswordProtected bool            `json:"passwordProtected"`
		Data              string          `json:"data"`
		Items             json.RawMessage `json:"items"`
	}
	if json.Unmarshal(trimmed, &e) != nil || e.Encrypted == nil {
		return false, false
	}
	if *e.Encrypted && e.PasswordProtected && e.Data != "" {
		return true, true
	}
	return bytes.HasPrefix(bytes.TrimSpace(e.Items), []byte("[")), false
}

// sniffBitwardenCSV: a header line that names Bitwarden's columns.
func sniffBitwardenCSV(data []byte) (ok, encrypted bool) {
	data = bytes.TrimPrefix(data, bitwardenBOM)
	header, _, _ := bytes.Cut(data[:min(len(data), 4096)], []byte("\n"))
	if !isText(header) {
		return false, false
	}
	cols := map[string]bool{}
	for _, c := range strings.Split(string(header), ",") {
		cols[strings.ToLower(strings.Trim(c, " \t\r\""))] = true
	}
	return cols["name"] && cols["login_totp"] && cols["login_username"], false
}

// bitwardenAgain ends the errors of an export that does not read.
const bitwardenAgain = "export the vault again from Bitwarden (Tools, Export vault)"

func decodeBitwarden(data, password []byte) (Result, error) {
	data = bytes.TrimPrefix(data, bitwardenBOM)
	var e bitwardenIn
	if err := json.Unmarshal(data, &e); err != nil {
		return Result{}, fmt.Errorf("not a Bitwarden JSON export (%v): %s", err, bitwardenAgain)
	}
	if e.Encrypted == nil {
		return Result{}, fmt.Errorf("not a Bitwarden JSON export (it does not say whether it is encrypted): %s", bitwardenAgain)
	}
	if *e.Encrypted {
		if !e.PasswordProtected {
			return Result{}, errors.New("this Bitwarden export is encrypted with your Bitwarden account's own key (\"account restricted\"), which only Bitwarden can open: export the vault again choosing the .json format, unencrypted or \"password protected\"")
		}
		if len(password) == 0 {
			return Result{}, errors.New("this Bitwarden export is password-protected: give its password")
		}
		plain, err := openBitwarden(e, password)
		if err != nil {
			return Result{}, err
		}
		e = bitwardenIn{}
		err = json.Unmarshal(plain, &e)
		clear(plain)
		if err != nil || e.Encrypted == nil || *e.Encrypted {
			return Result{}, fmt.Errorf("the Bitwarden export's data is not a vault export; the file is damaged: %s", bitwardenAgain)
		}
	}
	if len(e.Items) > bitwardenMaxItems {
		return Result{}, fmt.Errorf("this Bitwarden export holds %d items, more than Countersign reads at once (%d)", len(e.Items), bitwardenMaxItems)
	}
	var r Result
	found := false
	for _, it := range e.Items {
		if it.Login == nil || it.Login.TOTP == nil || strings.TrimSpace(*it.Login.TOTP) == "" {
			continue // not an authenticator account
		}
		found = true
		username := ""
		if it.Login.Username != nil {
			username = *it.Login.Username
		}
		bitwardenAdd(&r, it.Name, username, *it.Login.TOTP)
	}
	if !found {
		return Result{}, errors.New("this Bitwarden export holds no authenticator key (no login item has a TOTP key)")
	}
	return r, nil
}

func decodeBitwardenCSV(data, _ []byte) (Result, error) {
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, bitwardenBOM)))
	header, err := rd.Read()
	if err != nil {
		return Result{}, fmt.Errorf("not a Bitwarden CSV export (%v): %s", err, bitwardenAgain)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	nameCol, ok1 := col["name"]
	totpCol, ok2 := col["login_totp"]
	userCol, ok3 := col["login_username"]
	if !ok1 || !ok2 || !ok3 {
		return Result{}, fmt.Errorf("not a Bitwarden CSV export (its first line does not name the columns name, login_username and login_totp): %s", bitwardenAgain)
	}
	var r Result
	found := false
	for n := 0; ; n++ {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A csv.ParseError names the line and column, not the content.
			return Result{}, fmt.Errorf("the Bitwarden CSV export is damaged (%v); nothing was imported: %s", err, bitwardenAgain)
		}
		if n >= bitwardenMaxItems {
			return Result{}, fmt.Errorf("this Bitwarden export holds more than %d items, more than Countersign reads at once", bitwardenMaxItems)
		}
		if strings.TrimSpace(rec[totpCol]) == "" {
			continue
		}
		found = true
		bitwardenAdd(&r, rec[nameCol], rec[userCol], rec[totpCol])
	}
	if !found {
		return Result{}, errors.New("this Bitwarden export holds no authenticator key (no login has a TOTP key)")
	}
	return r, nil
}

// bitwardenAdd adds an item's account to r, or names it among the skipped
// (an authenticator key typed by hand that does not read is the item's
// problem, not the file's).
func bitwardenAdd(r *Result, itemName, username, totp string) {
	k, err := bitwardenKey(itemName, username, totp)
	if err != nil {
		label := strings.TrimSpace(itemName)
		if label == "" {
			label = strings.TrimSpace(username)
		}
		r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: fmt.Sprintf("its authenticator key does not read (%v)", err)})
		return
	}
	r.Keys = append(r.Keys, k)
}

// bitwardenKey reads an item's authenticator key. Its errors never hold
// the key.
func bitwardenKey(itemName, username, totp string) (vault.Key, error) {
	itemName, username, totp = strings.TrimSpace(itemName), strings.TrimSpace(username), strings.TrimSpace(totp)
	var k vault.Key
	switch lower := strings.ToLower(totp); {
	case strings.HasPrefix(lower, "otpauth://"):
		var err error
		if k, err = vault.ParseURI(totp); err != nil {
			var fe *vault.FieldError
			if !errors.As(err, &fe) || fe.Field != "name" {
				return vault.Key{}, err
			}
			// A URI without a label: name the account after the item.
			if k, err = vault.ParseURI(bitwardenLabelled(totp, itemName, username)); err != nil {
				return vault.Key{}, err
			}
		}
		if k.Issuer == "" && itemName != k.Name {
			k.Issuer = itemName
		}
		if k.Name == "" && username != k.Issuer {
			k.Name = username
		}
	case strings.HasPrefix(lower, "steam://"):
		secret, err := vault.DecodeSecret(totp[len("steam://"):])
		if err != nil {
			return vault.Key{}, err
		}
		k = vault.Key{Params: vault.Params{Type: vault.Steam}, Secret: secret}
		k.Issuer, k.Name = bitwardenNames(itemName, username)
	case strings.Contains(totp, "://"):
		return vault.Key{}, errors.New("it is neither otpauth://, steam:// nor a base32 secret")
	default:
		secret, err := vault.DecodeSecret(totp)
		if err != nil {
			return vault.Key{}, err
		}
		k = vault.Key{Params: vault.Params{Type: vault.TOTP}, Secret: secret}
		k.Issuer, k.Name = bitwardenNames(itemName, username)
	}
	k.Normalize()
	if err := k.Validate(); err != nil {
		return vault.Key{}, err
	}
	return k, nil
}

// bitwardenNames: the item is named after the service, the username is the
// account; an item named after its username has no issuer (that is how an
// account without one is exported).
func bitwardenNames(itemName, username string) (issuer, name string) {
	if itemName == username {
		return "", username
	}
	return itemName, username
}

// bitwardenLabelled puts the item's name and username in an otpauth URI
// that has no label, as its issuer and account name.
func bitwardenLabelled(uri, itemName, username string) string {
	esc := func(s string) string { return strings.ReplaceAll(url.PathEscape(s), ":", "%3A") }
	label := esc(username)
	if itemName != "" {
		label = esc(itemName) + ":" + label
	}
	scheme, rest, _ := strings.Cut(uri, "://")
	typ, rest, _ := strings.Cut(rest, "/")
	_, query, _ := strings.Cut(rest, "?")
	return scheme + "://" + typ + "/" + label + "?" + query
}

// bitwardenKeys are the stretched keys of a password-protected export.
type bitwardenKeys struct{ enc, mac []byte }

func (k bitwardenKeys) clear() { clear(k.enc); clear(k.mac) }

// bitwardenDeriveKeys derives the keys of a password-protected export,
// refusing parameters out of bounds before any work.
func bitwardenDeriveKeys(e bitwardenIn, password []byte) (bitwardenKeys, error) {
	if e.Salt == "" || len(e.Salt) > bitwardenMaxSalt {
		return bitwardenKeys{}, fmt.Errorf("the Bitwarden export's salt is missing or too long; the file is damaged: %s", bitwardenAgain)
	}
	var master []byte
	switch e.KdfType {
	case 0:
		if e.KdfIterations < bitwardenMinPBKDF2 || e.KdfIterations > bitwardenMaxPBKDF2 {
			return bitwardenKeys{}, fmt.Errorf("the Bitwarden export's PBKDF2 iterations (%d) are out of range (%d to %d)", e.KdfIterations, bitwardenMinPBKDF2, bitwardenMaxPBKDF2)
		}
		var err error
		if master, err = pbkdf2.Key(sha256.New, string(password), []byte(e.Salt), e.KdfIterations, 32); err != nil {
			return bitwardenKeys{}, err
		}
	case 1:
		if e.KdfMemory == nil || e.KdfParallelism == nil {
			return bitwardenKeys{}, fmt.Errorf("the Bitwarden export's Argon2id memory or parallelism is missing; the file is damaged: %s", bitwardenAgain)
		}
		t, m, p := e.KdfIterations, *e.KdfMemory, *e.KdfParallelism
		if t < 1 || t > bitwardenMaxArgonTime || m < 1 || m > bitwardenMaxArgonMiB || p < 1 || p > bitwardenMaxArgonPar {
			return bitwardenKeys{}, fmt.Errorf("the Bitwarden export's Argon2id parameters are out of range (iterations %d, memory %d MiB, parallelism %d)", t, m, p)
		}
		salt := sha256.Sum256([]byte(e.Salt))
		master = argon2.IDKey(password, salt[:], uint32(t), uint32(m)*1024, uint8(p), 32)
	default:
		return bitwardenKeys{}, fmt.Errorf("the Bitwarden export uses key derivation %d, which Countersign does not know (0 PBKDF2, 1 Argon2id)", e.KdfType)
	}
	defer clear(master)
	enc, err1 := hkdf.Expand(sha256.New, master, "enc", 32)
	mac, err2 := hkdf.Expand(sha256.New, master, "mac", 32)
	if err := errors.Join(err1, err2); err != nil {
		return bitwardenKeys{}, err
	}
	return bitwardenKeys{enc: enc, mac: mac}, nil
}

// openBitwarden checks the password against the validation text, then
// decrypts the data.
func openBitwarden(e bitwardenIn, password []byte) ([]byte, error) {
	// Parse both encrypted strings before the costly derivation.
	if _, _, _, err := parseBitwardenEncString(e.EncKeyValidation); err != nil {
		return nil, fmt.Errorf("the Bitwarden export's key validation %v; the file is damaged: %s", err, bitwardenAgain)
	}
	if _, _, _, err := parseBitwardenEncString(e.Data); err != nil {
		return nil, fmt.Errorf("the Bitwarden export's data %v; the file is damaged: %s", err, bitwardenAgain)
	}
	keys, err := bitwardenDeriveKeys(e, password)
	if err != nil {
		return nil, err
	}
	defer keys.clear()
	if _, ok := bitwardenDecrypt(keys, e.EncKeyValidation); !ok {
		return nil, fmt.Errorf("%w for this Bitwarden export", ErrWrongPassphrase)
	}
	plain, ok := bitwardenDecrypt(keys, e.Data)
	if !ok {
		return nil, fmt.Errorf("the Bitwarden export's data does not decrypt though the password is right; the file is damaged: %s", bitwardenAgain)
	}
	return plain, nil
}

// parseBitwardenEncString splits an encrypted string of type 2.
func parseBitwardenEncString(s string) (iv, ct, mac []byte, err error) {
	body, ok := strings.CutPrefix(s, "2.")
	if !ok {
		return nil, nil, nil, errors.New("is not an encrypted string of type 2 (AES-CBC with HMAC)")
	}
	parts := strings.Split(body, "|")
	if len(parts) != 3 {
		return nil, nil, nil, errors.New("is not iv|ciphertext|mac")
	}
	var out [3][]byte
	for i, p := range parts {
		if out[i], err = base64.StdEncoding.DecodeString(p); err != nil {
			return nil, nil, nil, errors.New("is not base64")
		}
	}
	iv, ct, mac = out[0], out[1], out[2]
	if len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 || len(mac) != sha256.Size {
		return nil, nil, nil, errors.New("has a wrong-sized iv, ciphertext or mac")
	}
	return iv, ct, mac, nil
}

// bitwardenDecrypt checks the MAC of an encrypted string and decrypts it;
// ok is false if the keys do not open it.
func bitwardenDecrypt(keys bitwardenKeys, s string) (plain []byte, ok bool) {
	iv, ct, mac, err := parseBitwardenEncString(s)
	if err != nil {
		return nil, false
	}
	h := hmac.New(sha256.New, keys.mac)
	h.Write(iv)
	h.Write(ct)
	if !hmac.Equal(h.Sum(nil), mac) {
		return nil, false
	}
	block, err := aes.NewCipher(keys.enc)
	if err != nil {
		return nil, false
	}
	plain = make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	n := int(plain[len(plain)-1])
	if n < 1 || n > aes.BlockSize || n > len(plain) {
		return nil, false
	}
	for _, b := range plain[len(plain)-n:] {
		if int(b) != n {
			return nil, false
		}
	}
	return plain[:len(plain)-n], true
}

// bitwardenEncrypt writes an encrypted string of type 2.
func bitwardenEncrypt(keys bitwardenKeys, plain []byte) (string, error) {
	block, err := aes.NewCipher(keys.enc)
	if err != nil {
		return "", err
	}
	n := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(n)}, n)...)
	defer clear(padded)
	iv := make([]byte, aes.BlockSize)
	rand.Read(iv)
	ct := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, padded)
	h := hmac.New(sha256.New, keys.mac)
	h.Write(iv)
	h.Write(ct)
	b64 := base64.StdEncoding.EncodeToString
	return "2." + b64(iv) + "|" + b64(ct) + "|" + b64(h.Sum(nil)), nil
}

// encodeBitwarden writes keys as a Bitwarden JSON export, one login item
// each, password-protected (PBKDF2) when a password is given. Bitwarden
// makes only time-based codes: HOTP accounts are refused, and so are Steam
// accounts with a period other than 30 s (steam:// has none).
func encodeBitwarden(keys []vault.Key, password []byte) ([]byte, error) {
	if len(keys) == 0 {
		return nil, errors.New("no account to export")
	}
	export := bitwardenExport{Folders: []struct{}{}, Items: []bitwardenItemOut{}}
	for _, k := range keys {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("%s cannot be exported: %w", k.Label(), err)
		}
		item := bitwardenItemOut{ID: newUUID(), Type: bitwardenLoginItem, Name: k.Issuer,
			Login: bitwardenLoginOut{URIs: []struct{}{}}}
		if item.Name == "" {
			item.Name = k.Name // Bitwarden needs an item name
		}
		if k.Name != "" {
			name := k.Name
			item.Login.Username = &name
		}
		switch k.Type {
		case vault.TOTP:
			item.Login.TOTP = k.URI()
		case vault.Steam:
			if k.Period != vault.DefaultPeriod {
				return nil, fmt.Errorf("%s cannot be exported to Bitwarden: its Steam codes change every %d seconds, Bitwarden's every %d", k.Label(), k.Period, vault.DefaultPeriod)
			}
			item.Login.TOTP = "steam://" + vault.EncodeSecret(k.Secret)
		default:
			return nil, fmt.Errorf("%s cannot be exported to Bitwarden: Bitwarden makes only time-based codes (TOTP and Steam), not %s", k.Label(), k.Type)
		}
		export.Items = append(export.Items, item)
	}
	plain, err := json.MarshalIndent(export, "", "  ")
	if err != nil || len(password) == 0 {
		return plain, err
	}
	defer clear(plain)
	saltBytes := make([]byte, 16)
	rand.Read(saltBytes)
	p := bitwardenProtected{Encrypted: true, PasswordProtected: true, Salt: base64.StdEncoding.EncodeToString(saltBytes),
		KdfType: 0, KdfIterations: bitwardenExportIterations}
	keysEnc, err := bitwardenDeriveKeys(bitwardenIn{Salt: p.Salt, KdfType: p.KdfType, KdfIterations: p.KdfIterations}, password)
	if err != nil {
		return nil, err
	}
	defer keysEnc.clear()
	if p.EncKeyValidation, err = bitwardenEncrypt(keysEnc, []byte(newUUID())); err != nil {
		return nil, err
	}
	if p.Data, err = bitwardenEncrypt(keysEnc, plain); err != nil {
		return nil, err
	}
	return json.MarshalIndent(p, "", "  ")
}
