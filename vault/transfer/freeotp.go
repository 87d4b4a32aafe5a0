package transfer

import (
	"bytes"
	"cmp"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/countersign/countersign/vault"
)

// FreeOTP is FreeOTP for Android (github.com/freeotp/freeotp-android), in
// either of its two file forms:
//
//   - Version 1 keeps its accounts in an Android shared-preferences file
//     (tokens.xml, from a rooted phone or a device backup): a <map> of
//     <string name="Issuer:Name"> elements, each holding a token as JSON
//     {"algo", "counter", "digits", "issuerExt", "issuerInt", "issuerAlt",
//     "label", "labelAlt", "period", "secret": [signed bytes], "type":
//     "TOTP"|"HOTP"}, and a "tokenOrder" element listing the names in the
//     order the app shows them. FreeOTP 1 stores an HOTP counter as the one
//     of the last code shown, and writes counter+1 to an otpauth URI; the
//     importer reads it the same way.
//   - Version 2 exports an encrypted backup (the file is named .xml but is
//     a Java-serialised java.util.HashMap of strings): "masterKey" holds
//     {"mAlgorithm": "PBKDF2withHmacSHA512" (or SHA1), "mIterations",
//     "mSalt", "mEncryptedKey": {"mCipher": "AES/GCM/NoPadding",
//     "mCipherText", "mParameters": DER GCM parameters holding the nonce,
//     "mToken": "AES"}}: a random master key wrapped by a 256-bit PBKDF2
//     key of the password, with mToken as the associated data. Each
//     account has "UUID" = {"key": the JSON of its secret encrypted the
//     same way under the master key} and "UUID-token" = the token without
//     its secret. The counter is the next one. A HashMap has no order:
//     accounts are imported by issuer, then name.
//
// Tokens whose issuer is "Steam" are Steam Guard accounts, as in the app.
const FreeOTP Format = "freeotp"

func init() {
	register(importer{format: FreeOTP, app: "FreeOTP", sniff: sniffFreeOTP, decode: decodeFreeOTP})
}

// Bounds of what a FreeOTP 2 backup may ask for.
const (
	// FreeOTP uses 100000 iterations; more than freeotpMaxIterations
	// (about two seconds) are refused.
	freeotpMaxIterations = 1000000
	freeotpMaxSalt       = 1024
	// freeotpMaxDepth bounds the nesting of serialised objects.
	freeotpMaxDepth = 32
)

// freeotpPBKDF2 derives the key of the master key; a variable so the fuzz
// test can make it cheap.
var freeotpPBKDF2 = func(h func() hash.Hash, password, salt []byte, iterations int) ([]byte, error) {
	return pbkdf2.Key(h, string(password), salt, iterations, 32)
}

// freeotpJavaMagic starts a Java-serialised java.util.HashMap.
var freeotpJavaMagic = []byte("\xac\xed\x00\x05\x73\x72\x00\x11java.util.HashMap")

// sniffFreeOTP claims a serialised HashMap holding a "masterKey" string
// (version 2, encrypted) or a shared-preferences map whose "tokenOrder"
// is a JSON list and whose other strings are all FreeOTP tokens (version
// 1). FreeOTP+ keeps the same tokens.xml, which this sniffer therefore
// claims too: FreeOTP's importer reads it the same way.
func sniffFreeOTP(data []byte) (ok, encrypted bool) {
	if bytes.HasPrefix(data, freeotpJavaMagic) {
		return bytes.Contains(data, []byte("\x74\x00\x09masterKey")), true
	}
	prefs, err := freeotpParsePrefs(data)
	if err != nil || !prefs.hasOrder {
		return false, false
	}
	for _, s := range prefs.tokens {
		if !s.token {
			return false, false
		}
	}
	return true, false
}

func decodeFreeOTP(data, password []byte) (Result, error) {
	if bytes.HasPrefix(data, []byte("\xac\xed")) {
		if len(password) == 0 {
			return Result{}, errors.New("this FreeOTP backup is encrypted: give its password")
		}
		return decodeFreeOTPBackup(data, password)
	}
	return decodeFreeOTPPrefs(data, "FreeOTP")
}

// freeotpToken is a token as FreeOTP and FreeOTP+ write it.
type freeotpToken struct {
	Algo      string        `json:"algo"`
	Counter   json.Number   `json:"counter"`
	Digits    json.Number   `json:"digits"`
	IssuerExt string        `json:"issuerExt"`
	IssuerInt string        `json:"issuerInt"`
	IssuerAlt string        `json:"issuerAlt"`
	Label     string        `json:"label"`
	LabelAlt  string        `json:"labelAlt"`
	Period    json.Number   `json:"period"`
	Secret    []json.Number `json:"secret"`
	Type      string        `json:"type"`
}

// freeotpIsToken reports whether a JSON text is a FreeOTP 1 token object
// (with its secret).
func freeotpIsToken(s string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &m) != nil {
		return false
	}
	_, hasType := m["type"]
	_, hasSecret := m["secret"]
	_, hasLabel := m["label"]
	_, hasIssuer := m["issuerExt"]
	return hasType && hasSecret && (hasLabel || hasIssuer)
}

// freeotpBytes converts a Java byte array written as JSON numbers.
func freeotpBytes(nums []json.Number) ([]byte, error) {
	out := make([]byte, 0, len(nums))
	for _, n := range nums {
		v, err := strconv.ParseInt(n.String(), 10, 16)
		if err != nil || v < -128 || v > 255 {
			return nil, errors.New("is not a list of bytes")
		}
		out = append(out, byte(v))
	}
	return out, nil
}

// freeotpNumber reads a whole number field; def if it is absent.
func freeotpNumber(n json.Number, field string, def int64) (int64, error) {
	if n == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a whole number", field)
	}
	return v, nil
}

// labels are the issuer and name the app shows: the user's renaming
// (issuerAlt, labelAlt) if any, else those of the otpauth URI.
func (t freeotpToken) labels() (issuer, name string) {
	issuer = cmp.Or(t.IssuerAlt, t.IssuerExt, t.IssuerInt)
	name = cmp.Or(t.LabelAlt, t.Label)
	return strings.TrimSpace(issuer), strings.TrimSpace(name)
}

// freeotpKey converts a token. counterBase is added to the stored HOTP
// counter (1 for FreeOTP 1 and FreeOTP+, which store the last one used).
// It returns a skip reason for an account Countersign cannot keep, and an
// error for a damaged token.
func freeotpKey(t freeotpToken, secret []byte, counterBase uint64) (vault.Key, string, error) {
	issuer, name := t.labels()
	var typ vault.Type
	switch strings.ToUpper(t.Type) {
	case "TOTP":
		typ = vault.TOTP
		if t.IssuerExt == "Steam" {
			typ = vault.Steam
		}
	case "HOTP":
		typ = vault.HOTP
	default:
		return vault.Key{}, fmt.Sprintf("%q accounts are not supported", t.Type), nil
	}
	if len(secret) == 0 {
		return vault.Key{}, "", errors.New("secret: is missing")
	}
	alg, err := vault.ParseAlgorithm(t.Algo)
	if err != nil {
		return vault.Key{}, err.Error(), nil
	}
	digits, err1 := freeotpNumber(t.Digits, "digits", vault.DefaultDigits)
	period, err2 := freeotpNumber(t.Period, "period", vault.DefaultPeriod)
	counter, err3 := freeotpNumber(t.Counter, "counter", 0)
	if err := errors.Join(err1, err2, err3); err != nil {
		return vault.Key{}, "", err
	}
	if digits < 0 || digits > math.MaxInt32 || period < 0 || period > math.MaxInt32 {
		return vault.Key{}, fmt.Sprintf("digits %d or period %d is out of range", digits, period), nil
	}
	if counter < 0 {
		return vault.Key{}, "", errors.New("counter is negative")
	}
	next := uint64(counter) + counterBase
	k := vault.Key{Params: vault.Params{Type: typ, Issuer: issuer, Name: name, Algorithm: alg, Digits: int(digits), Period: int(period), Counter: next}, Secret: secret}
	if typ == vault.HOTP {
		k.Period = 0
	}
	k.Normalize()
	if err := k.Validate(); err != nil {
		return vault.Key{}, err.Error(), nil
	}
	return k, "", nil
}

// freeotpPrefString is one <string> of a shared-preferences file.
type freeotpPrefString struct {
	name, value string
	token       bool // the value is a token's JSON
}

type freeotpPrefs struct {
	tokens   []freeotpPrefString // every <string> but tokenOrder, in file order
	order    []string
	hasOrder bool
}

// freeotpParsePrefs reads an Android shared-preferences file: a <map>
// whose <string> children are kept; other children are skipped.
func freeotpParsePrefs(data []byte) (freeotpPrefs, error) {
	var p freeotpPrefs
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if !bytes.HasPrefix(trimmed, []byte("<?xml")) && !bytes.HasPrefix(trimmed, []byte("<map")) {
		return p, errors.New("it is not an XML file")
	}
	var doc struct {
		XMLName xml.Name `xml:"map"`
		Strings []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:",chardata"`
		} `xml:"string"`
	}
	if err := xml.Unmarshal(trimmed, &doc); err != nil {
		return p, fmt.Errorf("it is not a preferences file (%v)", err)
	}
	for _, s := range doc.Strings {
		if s.Name == "tokenOrder" {
			if err := json.Unmarshal([]byte(s.Value), &p.order); err != nil {
				return p, errors.New("its tokenOrder is not a list of names")
			}
			p.hasOrder = true
			continue
		}
		p.tokens = append(p.tokens, freeotpPrefString{name: s.Name, value: s.Value, token: freeotpIsToken(s.Value)})
	}
	return p, nil
}

// decodeFreeOTPPrefs reads FreeOTP 1's (and FreeOTP+'s) tokens.xml, in
// tokenOrder, then any token it does not list, in file order. Strings
// that are not tokens are other settings and are left alone.
func decodeFreeOTPPrefs(data []byte, app string) (Result, error) {
	prefs, err := freeotpParsePrefs(data)
	if err != nil {
		return Result{}, fmt.Errorf("this is not %s's tokens.xml: %v", app, err)
	}
	byName := map[string]int{}
	for i, s := range prefs.tokens {
		if _, dup := byName[s.name]; !dup {
			byName[s.name] = i
		}
	}
	var order []int
	used := map[int]bool{}
	for _, name := range prefs.order {
		if i, ok := byName[name]; ok && !used[i] {
			if !prefs.tokens[i].token {
				return Result{}, fmt.Errorf("%s's token %q is damaged (not a token); nothing was imported", app, name)
			}
			order = append(order, i)
			used[i] = true
		}
	}
	for i, s := range prefs.tokens {
		if s.token && !used[i] {
			order = append(order, i)
		}
	}
	var r Result
	for _, i := range order {
		s := prefs.tokens[i]
		var t freeotpToken
		if err := json.Unmarshal([]byte(s.value), &t); err != nil {
			return Result{}, fmt.Errorf("%s's token %q is damaged; nothing was imported", app, s.name)
		}
		secret, err := freeotpBytes(t.Secret)
		if err != nil {
			return Result{}, fmt.Errorf("%s's token %q: secret %v; nothing was imported", app, s.name, err)
		}
		if err := freeotpAppend(&r, t, secret, 1); err != nil {
			return Result{}, fmt.Errorf("%s's token %q: %v; nothing was imported", app, s.name, err)
		}
	}
	if len(r.Keys) == 0 && len(r.Skipped) == 0 {
		return Result{}, fmt.Errorf("this %s file holds no accounts", app)
	}
	return r, nil
}

// freeotpAppend adds a token's key to r, or its skip reason.
func freeotpAppend(r *Result, t freeotpToken, secret []byte, counterBase uint64) error {
	k, skip, err := freeotpKey(t, secret, counterBase)
	if err != nil {
		return err
	}
	if skip != "" {
		issuer, name := t.labels()
		r.Skipped = append(r.Skipped, Skipped{Label: cmp.Or(vault.Params{Issuer: issuer, Name: name}.Label(), "an account"), Reason: skip})
		return nil
	}
	r.Keys = append(r.Keys, k)
	return nil
}

// freeotpEncryptedKey is FreeOTP 2's EncryptedKey, as Gson writes it.
type freeotpEncryptedKey struct {
	Cipher     string        `json:"mCipher"`
	CipherText []json.Number `json:"mCipherText"`
	Parameters []json.Number `json:"mParameters"`
	Token      string        `json:"mToken"`
}

type freeotpMasterKey struct {
	Algorithm    string              `json:"mAlgorithm"`
	EncryptedKey freeotpEncryptedKey `json:"mEncryptedKey"`
	Iterations   int64               `json:"mIterations"`
	Salt         []json.Number       `json:"mSalt"`
}

func decodeFreeOTPBackup(data, password []byte) (Result, error) {
	const again = "export the backup again from FreeOTP"
	entries, err := freeotpReadHashMap(data)
	if err != nil {
		return Result{}, fmt.Errorf("this is not a FreeOTP backup (%v)", err)
	}
	values := map[string]string{}
	var uuids []string
	for _, e := range entries {
		if _, dup := values[e[0]]; dup {
			return Result{}, fmt.Errorf("the FreeOTP backup holds %q twice: %s", e[0], again)
		}
		values[e[0]] = e[1]
		if e[0] != "masterKey" && !strings.HasSuffix(e[0], "-token") {
			uuids = append(uuids, e[0])
		}
	}
	mkJSON, ok := values["masterKey"]
	if !ok {
		return Result{}, fmt.Errorf("the FreeOTP backup has no master key: %s", again)
	}
	var mk freeotpMasterKey
	if err := json.Unmarshal([]byte(mkJSON), &mk); err != nil {
		return Result{}, fmt.Errorf("the FreeOTP backup's master key is damaged: %s", again)
	}
	var h func() hash.Hash
	switch strings.ToLower(mk.Algorithm) {
	case "pbkdf2withhmacsha1":
		h = sha1.New
	case "pbkdf2withhmacsha256":
		h = sha256.New
	case "pbkdf2withhmacsha512":
		h = sha512.New
	default:
		return Result{}, fmt.Errorf("the FreeOTP backup's key derivation %q is not supported", mk.Algorithm)
	}
	salt, err := freeotpBytes(mk.Salt)
	if err != nil || len(salt) == 0 || len(salt) > freeotpMaxSalt {
		return Result{}, fmt.Errorf("the FreeOTP backup's salt is damaged: %s", again)
	}
	if mk.Iterations < 1 || mk.Iterations > freeotpMaxIterations {
		return Result{}, fmt.Errorf("the FreeOTP backup asks for %d PBKDF2 iterations (at most %d are run): it is damaged or not from FreeOTP", mk.Iterations, freeotpMaxIterations)
	}
	if _, _, _, err := freeotpSealed(mk.EncryptedKey); err != nil {
		return Result{}, fmt.Errorf("the FreeOTP backup's master key is damaged (%v): %s", err, again)
	}
	kek, err := freeotpPBKDF2(h, password, salt, int(mk.Iterations))
	if err != nil {
		return Result{}, fmt.Errorf("deriving the FreeOTP key: %w", err)
	}
	master, err := freeotpOpen(kek, mk.EncryptedKey)
	clear(kek)
	if err != nil {
		return Result{}, fmt.Errorf("%w for this FreeOTP backup: check the password and try again", ErrWrongPassphrase)
	}
	defer clear(master)
	if n := len(master); n != 16 && n != 24 && n != 32 {
		return Result{}, fmt.Errorf("the FreeOTP backup's master key is damaged: %s", again)
	}

	type item struct {
		token  freeotpToken
		secret []byte
		uuid   string
	}
	var items []item
	for _, uuid := range uuids {
		var wrapper struct {
			Key *string `json:"key"`
		}
		if json.Unmarshal([]byte(values[uuid]), &wrapper) != nil || wrapper.Key == nil {
			continue // not an account (FreeOTP skips these too)
		}
		var ek freeotpEncryptedKey
		if err := json.Unmarshal([]byte(*wrapper.Key), &ek); err != nil {
			return Result{}, fmt.Errorf("the FreeOTP backup's account %s is damaged: %s", uuid, again)
		}
		tokenJSON, ok := values[uuid+"-token"]
		if !ok {
			return Result{}, fmt.Errorf("the FreeOTP backup's account %s has no token data: %s", uuid, again)
		}
		var t freeotpToken
		if err := json.Unmarshal([]byte(tokenJSON), &t); err != nil {
			return Result{}, fmt.Errorf("the FreeOTP backup's account %s is damaged: %s", uuid, again)
		}
		secret, err := freeotpOpen(master, ek)
		if err != nil {
			return Result{}, fmt.Errorf("the secret of the FreeOTP backup's account %s does not decrypt: the file is damaged; %s", uuid, again)
		}
		if t.Algo == "" {
			// The secret's key type names the HMAC (HmacSHA1...).
			t.Algo = strings.TrimPrefix(strings.ToUpper(ek.Token), "HMAC")
		}
		items = append(items, item{t, secret, uuid})
	}
	slices.SortStableFunc(items, func(a, b item) int {
		ai, an := a.token.labels()
		bi, bn := b.token.labels()
		return cmp.Or(cmp.Compare(strings.ToLower(ai), strings.ToLower(bi)), cmp.Compare(strings.ToLower(an), strings.ToLower(bn)),
			cmp.Compare(ai, bi), cmp.Compare(an, bn), cmp.Compare(a.uuid, b.uuid))
	})
	var r Result
	for _, it := range items {
		if err := freeotpAppend(&r, it.token, it.secret, 0); err != nil {
			return Result{}, fmt.Errorf("the FreeOTP backup's account %s: %v; nothing was imported", it.uuid, err)
		}
	}
	if len(r.Keys) == 0 && len(r.Skipped) == 0 {
		return Result{}, errors.New("this FreeOTP backup holds no accounts")
	}
	return r, nil
}

// freeotpSealed checks an encrypted key and returns its ciphertext, nonce
// and associated data. mParameters is the DER encoding of the cipher's
// parameters: GCMParameters, SEQUENCE { OCTET STRING nonce, INTEGER tag
// length in bytes }, or (Android 6) the nonce alone as an OCTET STRING.
func freeotpSealed(ek freeotpEncryptedKey) (sealed, nonce, aad []byte, err error) {
	if !strings.EqualFold(ek.Cipher, "AES/GCM/NoPadding") {
		return nil, nil, nil, fmt.Errorf("cipher %q is not supported", ek.Cipher)
	}
	sealed, err1 := freeotpBytes(ek.CipherText)
	params, err2 := freeotpBytes(ek.Parameters)
	if errors.Join(err1, err2) != nil || len(sealed) < 16 {
		return nil, nil, nil, errors.New("damaged ciphertext or parameters")
	}
	if len(params) >= 2 && params[0] == 0x30 {
		if params[1] >= 0x80 || int(params[1]) != len(params)-2 {
			return nil, nil, nil, errors.New("damaged GCM parameters")
		}
		params = params[2:]
	}
	if len(params) < 2 || params[0] != 0x04 || params[1] >= 0x80 || int(params[1])+2 > len(params) {
		return nil, nil, nil, errors.New("damaged GCM nonce")
	}
	nonce = params[2 : 2+int(params[1])]
	rest := params[2+int(params[1]):]
	if len(nonce) < 8 || len(nonce) > 64 {
		return nil, nil, nil, errors.New("GCM nonce of an unusual size")
	}
	// The tag length is 16 (FreeOTP's); a different one is refused.
	if len(rest) > 0 && !bytes.Equal(rest, []byte{0x02, 0x01, 0x10}) {
		return nil, nil, nil, errors.New("GCM tag length other than 16 bytes")
	}
	return sealed, nonce, []byte(ek.Token), nil
}

func freeotpOpen(key []byte, ek freeotpEncryptedKey) ([]byte, error) {
	sealed, nonce, aad, err := freeotpSealed(ek)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil {
		return nil, err
	}
	return gcm.Open(nil, nonce, sealed, aad)
}

// Java object serialisation (the Java Object Serialization Specification,
// chapter 6), as much as a HashMap of strings needs: objects with their
// class descriptions, strings, null and back references. Anything else
// (arrays, enums, proxies, externalizable classes) is refused.
const (
	jserNull          = 0x70
	jserReference     = 0x71
	jserClassDesc     = 0x72
	jserObject        = 0x73
	jserString        = 0x74
	jserBlockData     = 0x77
	jserEndBlockData  = 0x78
	jserBlockDataLong = 0x7a
	jserLongString    = 0x7c
	jserBaseHandle    = 0x7e0000

	jserSerializable = 0x02
	jserWriteMethod  = 0x01
	jserExternal     = 0x04
)

type jserClass struct {
	name   string
	flags  byte
	fields []jserField
	super  *jserClass
}

type jserField struct {
	typ  byte
	name string
}

// jserObj is a deserialised object: its class, and what its classes'
// writeObject methods wrote (block data as []byte, objects as any), by
// class name.
type jserObj struct {
	class       *jserClass
	annotations map[string][]any
}

type jserReader struct {
	data    []byte
	pos     int
	handles []any
	depth   int
}

var errJserShort = errors.New("the serialised data ends too soon")

func (r *jserReader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.data)-r.pos {
		return nil, errJserShort
	}
	b := r.data[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

func (r *jserReader) u8() (byte, error) {
	b, err := r.bytes(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (r *jserReader) u16() (int, error) {
	b, err := r.bytes(2)
	if err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint16(b)), nil
}

// utf reads a modified UTF-8 string of n bytes.
func (r *jserReader) utf(n int) (string, error) {
	b, err := r.bytes(n)
	if err != nil {
		return "", err
	}
	units := make([]uint16, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			units = append(units, uint16(c))
			i++
		case c&0xe0 == 0xc0 && i+1 < len(b) && b[i+1]&0xc0 == 0x80:
			units = append(units, uint16(c&0x1f)<<6|uint16(b[i+1]&0x3f))
			i += 2
		case c&0xf0 == 0xe0 && i+2 < len(b) && b[i+1]&0xc0 == 0x80 && b[i+2]&0xc0 == 0x80:
			units = append(units, uint16(c&0x0f)<<12|uint16(b[i+1]&0x3f)<<6|uint16(b[i+2]&0x3f))
			i += 3
		case c&0xf8 == 0xf0 && i+3 < len(b):
			// Standard UTF-8 of a supplementary character, which Java
			// writes as two 3-byte surrogates instead; accepted.
			r, size := utf8.DecodeRune(b[i:])
			if size != 4 {
				return "", errors.New("a string is not modified UTF-8")
			}
			r1, r2 := utf16.EncodeRune(r)
			units = append(units, uint16(r1), uint16(r2))
			i += 4
		default:
			return "", errors.New("a string is not modified UTF-8")
		}
	}
	return string(utf16.Decode(units)), nil
}

func (r *jserReader) newHandle(v any) {
	r.handles = append(r.handles, v)
}

// content reads one object, string, null or reference.
func (r *jserReader) content() (any, error) {
	if r.depth >= freeotpMaxDepth {
		return nil, errors.New("objects are nested too deep")
	}
	r.depth++
	defer func() { r.depth-- }()
	tc, err := r.u8()
	if err != nil {
		return nil, err
	}
	switch tc {
	case jserNull:
		return nil, nil
	case jserReference:
		return r.reference()
	case jserString, jserLongString:
		var n int
		if tc == jserString {
			if n, err = r.u16(); err != nil {
				return nil, err
			}
		} else {
			b, err := r.bytes(8)
			if err != nil {
				return nil, err
			}
			l := binary.BigEndian.Uint64(b)
			if l > uint64(len(r.data)) {
				return nil, errJserShort
			}
			n = int(l)
		}
		s, err := r.utf(n)
		if err != nil {
			return nil, err
		}
		r.newHandle(s)
		return s, nil
	case jserObject:
		return r.object()
	case jserClassDesc:
		r.pos--
		return r.classDesc()
	}
	return nil, fmt.Errorf("serialised element 0x%02x is not supported", tc)
}

func (r *jserReader) reference() (any, error) {
	b, err := r.bytes(4)
	if err != nil {
		return nil, err
	}
	h := int64(binary.BigEndian.Uint32(b)) - jserBaseHandle
	if h < 0 || h >= int64(len(r.handles)) {
		return nil, errors.New("a back reference points nowhere")
	}
	return r.handles[h], nil
}

// classDesc reads a class description (or null, or a reference to one).
func (r *jserReader) classDesc() (*jserClass, error) {
	tc, err := r.u8()
	if err != nil {
		return nil, err
	}
	switch tc {
	case jserNull:
		return nil, nil
	case jserReference:
		v, err := r.reference()
		if err != nil {
			return nil, err
		}
		c, ok := v.(*jserClass)
		if !ok {
			return nil, errors.New("a class reference points to something else")
		}
		return c, nil
	case jserClassDesc:
	default:
		return nil, fmt.Errorf("serialised element 0x%02x is not a class description", tc)
	}
	if r.depth >= freeotpMaxDepth {
		return nil, errors.New("classes are nested too deep")
	}
	r.depth++
	defer func() { r.depth-- }()
	n, err := r.u16()
	if err != nil {
		return nil, err
	}
	c := &jserClass{}
	if c.name, err = r.utf(n); err != nil {
		return nil, err
	}
	if _, err := r.bytes(8); err != nil { // serialVersionUID
		return nil, err
	}
	r.newHandle(c)
	if c.flags, err = r.u8(); err != nil {
		return nil, err
	}
	if c.flags&jserExternal != 0 {
		return nil, fmt.Errorf("externalizable class %q is not supported", c.name)
	}
	count, err := r.u16()
	if err != nil {
		return nil, err
	}
	for range count {
		var f jserField
		if f.typ, err = r.u8(); err != nil {
			return nil, err
		}
		n, err := r.u16()
		if err != nil {
			return nil, err
		}
		if f.name, err = r.utf(n); err != nil {
			return nil, err
		}
		switch f.typ {
		case 'B', 'C', 'D', 'F', 'I', 'J', 'S', 'Z':
		case 'L', '[':
			if _, err := r.content(); err != nil { // the field's class name
				return nil, err
			}
		default:
			return nil, fmt.Errorf("field type %q is not supported", f.typ)
		}
		c.fields = append(c.fields, f)
	}
	if _, err := r.annotation(); err != nil {
		return nil, err
	}
	if c.super, err = r.classDesc(); err != nil {
		return nil, err
	}
	return c, nil
}

// annotation reads block data and objects up to the end-of-block marker.
func (r *jserReader) annotation() ([]any, error) {
	var items []any
	for {
		if r.pos >= len(r.data) {
			return nil, errJserShort
		}
		switch r.data[r.pos] {
		case jserEndBlockData:
			r.pos++
			return items, nil
		case jserBlockData, jserBlockDataLong:
			tc, _ := r.u8()
			var n int
			if tc == jserBlockData {
				b, err := r.u8()
				if err != nil {
					return nil, err
				}
				n = int(b)
			} else {
				b, err := r.bytes(4)
				if err != nil {
					return nil, err
				}
				n = int(int32(binary.BigEndian.Uint32(b)))
			}
			b, err := r.bytes(n)
			if err != nil {
				return nil, err
			}
			items = append(items, b)
		default:
			v, err := r.content()
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
	}
}

// object reads an object's class and its data, superclass first.
func (r *jserReader) object() (*jserObj, error) {
	c, err := r.classDesc()
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("an object has no class")
	}
	o := &jserObj{class: c, annotations: map[string][]any{}}
	r.newHandle(o)
	var chain []*jserClass
	for k := c; k != nil; k = k.super {
		if len(chain) >= freeotpMaxDepth {
			return nil, errors.New("classes are nested too deep")
		}
		chain = append(chain, k)
	}
	for _, k := range slices.Backward(chain) {
		if k.flags&jserSerializable == 0 {
			continue
		}
		for _, f := range k.fields {
			if size := jserPrimitiveSize(f.typ); size > 0 {
				if _, err := r.bytes(size); err != nil {
					return nil, err
				}
			} else if _, err := r.content(); err != nil {
				return nil, err
			}
		}
		if k.flags&jserWriteMethod != 0 {
			items, err := r.annotation()
			if err != nil {
				return nil, err
			}
			o.annotations[k.name] = items
		}
	}
	return o, nil
}

// jserPrimitiveSize is the size of a primitive field type, 0 for objects.
func jserPrimitiveSize(typ byte) int {
	switch typ {
	case 'B', 'Z':
		return 1
	case 'C', 'S':
		return 2
	case 'I', 'F':
		return 4
	case 'D', 'J':
		return 8
	}
	return 0
}

// freeotpReadHashMap reads a serialised java.util.HashMap and returns its
// string entries, in the file's order; entries that are not strings are
// left out.
func freeotpReadHashMap(data []byte) ([][2]string, error) {
	r := &jserReader{data: data}
	head, err := r.bytes(4)
	if err != nil || !bytes.Equal(head, []byte{0xac, 0xed, 0x00, 0x05}) {
		return nil, errors.New("not serialised Java data")
	}
	v, err := r.content()
	if err != nil {
		return nil, err
	}
	o, ok := v.(*jserObj)
	if !ok || o.class.name != "java.util.HashMap" {
		return nil, errors.New("not a serialised HashMap")
	}
	items := o.annotations["java.util.HashMap"]
	if len(items) == 0 {
		return nil, errors.New("the HashMap has no entries")
	}
	sizes, ok := items[0].([]byte)
	if !ok || len(sizes) != 8 {
		return nil, errors.New("the HashMap's size is damaged")
	}
	size := int64(int32(binary.BigEndian.Uint32(sizes[4:])))
	pairs := items[1:]
	if size < 0 || int64(len(pairs)) != 2*size {
		return nil, errors.New("the HashMap's size does not match its entries")
	}
	var out [][2]string
	for i := 0; i < len(pairs); i += 2 {
		k, ok1 := pairs[i].(string)
		v, ok2 := pairs[i+1].(string)
		if ok1 && ok2 {
			out = append(out, [2]string{k, v})
		}
	}
	return out, nil
}
