package transfer

import (
	"bytes"
	"cmp"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/countersign/countersign/vault"
)

// The 2FAS Authenticator backup (a .2fas file; the layout is that of the
// open-source 2FAS apps, github.com/twofas/2fas-android, BackupContent and
// BackupService) is a JSON object:
//
//	{"services": [...], "groups": [...], "updatedAt": ms, "schemaVersion": 1-4,
//	 "appVersionCode": n, "appVersionName": "...", "appOrigin": "android"|"ios",
//	 "servicesEncrypted": "...", "reference": "..."}
//
// Each service holds "name" (what 2FAS shows as the title), "secret"
// (base32), "order": {"position"}, "groupId", "icon", and "otp": {"account",
// "issuer", "label", "digits", "period", "algorithm", "counter", "tokenType"
// (TOTP, HOTP or STEAM), "link", "source"}. Schemas 1 and 2 have no token
// type (2FAS then made only TOTP codes); schema 1 has no digits, period or
// algorithm either (6 digits, 30 s, SHA1).
//
// An encrypted backup keeps "services" empty and puts the services' JSON
// array in "servicesEncrypted" as base64(ciphertext‖tag):base64(salt):base64(iv):
// AES-256-GCM (12-byte IV, no associated data) under the key
// PBKDF2-HMAC-SHA256(password, salt, 10 000 iterations, 32 bytes). The
// "reference" field is a fixed public text encrypted the same way (same
// salt, its own IV): it tells a wrong password from a damaged file.

// TwoFAS is the 2FAS Authenticator backup, plain or encrypted.
const TwoFAS Format = "2fas"

func init() {
	register(importer{
		format: TwoFAS,
		app:    "2FAS Authenticator",
		sniff:  sniffTwoFAS,
		decode: decodeTwoFAS,
		encode: encodeTwoFAS,
	})
}

// twofasIterations is 2FAS's PBKDF2 cost (a variable for the fuzz test,
// where instrumented PBKDF2 is slow).
var twofasIterations = 10_000

const (
	twofasSaltLen    = 256 // what 2FAS writes
	twofasMaxSaltLen = 4096
	twofasIVLen      = 12
	twofasMaxSchema  = 4
	// twofasMaxServices bounds the accounts of one backup.
	twofasMaxServices = 100_000
	// twofasDefaultIcons is 2FAS's default icon collection.
	twofasDefaultIcons = "a5b3fb65-4ec5-43e6-8ec1-49e24ca9e7ad"
)

// twofasReference is the fixed text 2FAS encrypts into "reference" (a
// public constant of the format, not a secret).
const twofasReference = "tRViSsLKzd86Hprh4ceC2OP7xazn4rrt4xhfEUbOjxLX8Rc3mkISXE0lWbmnWfggogbBJhtYgpK6fMl1D6mtsy92R3HkdGfwuXbzLebqVFJsR7IZ2w58t938iymwG4824igYy1wi6n2WDpO1Q1P69zwJGs2F5a1qP4MyIiDSD7NCV2OvidXQCBnDlGfmz0f1BQySRkkt4ryiJeCjD2o4QsveJ9uDBUn8ELyOrESv5R5DMDkD4iAF8TXU7KyoJujd"

// twofasFile is a backup as Countersign writes it.
type twofasFile struct {
	Services          []twofasService `json:"services"`
	Groups            []twofasGroup   `json:"groups"`
	UpdatedAt         int64           `json:"updatedAt"`
	SchemaVersion     int             `json:"schemaVersion"`
	AppVersionCode    int64           `json:"appVersionCode"`
	AppVersionName    string          `json:"appVersionName"`
	AppOrigin         string          `json:"appOrigin"`
	ServicesEncrypted string          `json:"servicesEncrypted,omitempty"`
	Reference         string          `json:"reference,omitempty"`
}

type twofasGroup struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type twofasService struct {
	Name      string       `json:"name"`
	Secret    string       `json:"secret"`
	UpdatedAt int64        `json:"updatedAt"`
	OTP       twofasOTP    `json:"otp"`
	Order     *twofasOrder `json:"order,omitempty"`
	GroupID   *string      `json:"groupId,omitempty"`
	Icon      *twofasIcon  `json:"icon,omitempty"`
}

type twofasOTP struct {
	Label     string  `json:"label,omitempty"`
	Account   string  `json:"account,omitempty"`
	Issuer    string  `json:"issuer,omitempty"`
	Digits    int     `json:"digits,omitempty"`
	Period    int     `json:"period,omitempty"`
	Algorithm string  `json:"algorithm,omitempty"`
	Counter   *uint64 `json:"counter,omitempty"`
	TokenType string  `json:"tokenType,omitempty"`
	Source    string  `json:"source,omitempty"`
}

type twofasOrder struct {
	Position int `json:"position"`
}

type twofasIcon struct {
	Selected       string               `json:"selected"`
	Label          twofasIconLabel      `json:"label"`
	IconCollection twofasIconCollection `json:"iconCollection"`
}

type twofasIconLabel struct {
	Text            string `json:"text"`
	BackgroundColor string `json:"backgroundColor"`
}

type twofasIconCollection struct {
	ID string `json:"id"`
}

// twofasBackupIn is what the decoder reads of a backup: the fields it
// needs, so that others (dates, icons, app versions) cannot fail it.
type twofasBackupIn struct {
	Services          []twofasServiceIn `json:"services"`
	Groups            []json.RawMessage `json:"groups"`
	SchemaVersion     *int              `json:"schemaVersion"`
	ServicesEncrypted string            `json:"servicesEncrypted"`
	Reference         string            `json:"reference"`
}

type twofasServiceIn struct {
	Name    string       `json:"name"`
	Secret  string       `json:"secret"`
	OTP     twofasOTP    `json:"otp"`
	Order   *twofasOrder `json:"order"`
	GroupID *string      `json:"groupId"`
}

// sniffTwoFAS: a JSON object with a schemaVersion and either a list of
// services or encrypted ones.
func sniffTwoFAS(data []byte) (ok, encrypted bool) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' || !bytes.Contains(trimmed, []byte(`"schemaVersion"`)) {
		return false, false
	}
	var f struct {
		SchemaVersion     *json.Number    `json:"schemaVersion"`
		Services          json.RawMessage `json:"services"`
		ServicesEncrypted *string         `json:"servicesEncrypted"`
	}
	if json.Unmarshal(trimmed, &f) != nil || f.SchemaVersion == nil {
		return false, false
	}
	if f.ServicesEncrypted != nil && *f.ServicesEncrypted != "" {
		return true, true
	}
	return bytes.HasPrefix(bytes.TrimSpace(f.Services), []byte("[")), false
}

// twofasDamaged ends the errors of a backup that does not read.
const twofasDamaged = "the backup is damaged: export it again from 2FAS (Settings, 2FAS Backup, Export to file)"

func decodeTwoFAS(data, password []byte) (Result, error) {
	var f twofasBackupIn
	if err := json.Unmarshal(data, &f); err != nil {
		return Result{}, fmt.Errorf("not a 2FAS backup (%v); %s", err, twofasDamaged)
	}
	if f.SchemaVersion == nil {
		return Result{}, fmt.Errorf("not a 2FAS backup (it has no schemaVersion); %s", twofasDamaged)
	}
	schema := *f.SchemaVersion
	if schema < 1 || schema > twofasMaxSchema {
		return Result{}, fmt.Errorf("this 2FAS backup has schema version %d; Countersign reads versions 1 to %d: update Countersign", schema, twofasMaxSchema)
	}
	services := f.Services
	if f.ServicesEncrypted != "" {
		if len(password) == 0 {
			return Result{}, errors.New("this 2FAS backup is encrypted: give its password")
		}
		plain, err := openTwoFAS(f, password)
		if err != nil {
			return Result{}, err
		}
		services = nil
		err = json.Unmarshal(plain, &services)
		clear(plain)
		if err != nil {
			return Result{}, fmt.Errorf("the 2FAS backup's accounts do not read (%v); %s", err, twofasDamaged)
		}
	}
	if len(services) == 0 {
		return Result{}, errors.New("this 2FAS backup holds no account")
	}
	if len(services) > twofasMaxServices {
		return Result{}, fmt.Errorf("this 2FAS backup holds %d accounts, more than Countersign imports at once (%d)", len(services), twofasMaxServices)
	}
	// 2FAS lists the accounts by their position.
	if !slices.ContainsFunc(services, func(s twofasServiceIn) bool { return s.Order == nil }) {
		slices.SortStableFunc(services, func(a, b twofasServiceIn) int { return cmp.Compare(a.Order.Position, b.Order.Position) })
	}
	var r Result
	grouped := len(f.Groups) > 0
	for i, s := range services {
		k, skip, err := s.key()
		if err != nil {
			return Result{}, fmt.Errorf("2FAS account %d (%.80s): %w; %s; nothing was imported", i+1, s.label(), err, twofasDamaged)
		}
		if skip != "" {
			r.Skipped = append(r.Skipped, Skipped{Label: s.label(), Reason: skip})
			continue
		}
		r.Keys = append(r.Keys, k)
		if s.GroupID != nil && *s.GroupID != "" {
			grouped = true
		}
	}
	if grouped {
		r.Skipped = append(r.Skipped, Skipped{Label: "2FAS groups", Reason: "Countersign does not keep them; the accounts are imported without them"})
	}
	return r, nil
}

// label names a service in messages: its name, or its account.
func (s twofasServiceIn) label() string {
	if l := strings.TrimSpace(s.Name); l != "" {
		return l
	}
	if l := strings.TrimSpace(s.OTP.Account); l != "" {
		return l
	}
	return strings.TrimSpace(s.OTP.Label)
}

// key converts a service. It returns a reason to skip an account
// Countersign cannot keep, or an error for a damaged one.
func (s twofasServiceIn) key() (vault.Key, string, error) {
	// Schemas 1 and 2 have no token type: every account is TOTP.
	t := vault.TOTP
	switch tt := strings.ToUpper(strings.TrimSpace(s.OTP.TokenType)); tt {
	case "", "TOTP":
	case "HOTP":
		t = vault.HOTP
	case "STEAM":
		t = vault.Steam
	default:
		return vault.Key{}, fmt.Sprintf("2FAS %.20q codes are not supported", tt), nil
	}
	alg, err := vault.ParseAlgorithm(s.OTP.Algorithm)
	if err != nil {
		if a := strings.ToUpper(strings.TrimSpace(s.OTP.Algorithm)); a == "SHA224" || a == "SHA384" {
			return vault.Key{}, fmt.Sprintf("it uses %s, which Countersign does not support (only SHA1, SHA256 and SHA512)", a), nil
		}
		return vault.Key{}, "", err
	}
	secret, err := vault.DecodeSecret(s.Secret)
	if err != nil {
		return vault.Key{}, "", err
	}
	issuer, name := s.names()
	k := vault.Key{Params: vault.Params{Type: t, Issuer: issuer, Name: name, Algorithm: alg, Digits: s.OTP.Digits, Period: s.OTP.Period}, Secret: secret}
	if t == vault.HOTP {
		k.Counter = 1 // 2FAS counts from 1 when it has no counter
		if s.OTP.Counter != nil {
			k.Counter = *s.OTP.Counter
		}
	}
	if k.Digits < 0 || k.Period < 0 {
		return vault.Key{}, "", errors.New("negative digits or period")
	}
	k.Normalize()
	if err := k.Validate(); err != nil {
		return vault.Key{}, "", err
	}
	return k, "", nil
}

// names returns the issuer and account name of a service: the issuer is
// the service's name as 2FAS shows it (the otpauth issuer when it has
// none), the name its account (or its label without the issuer). A service
// named after its account, with no otpauth issuer, has no issuer: that is
// how an account without one is written.
func (s twofasServiceIn) names() (issuer, name string) {
	otpIssuer := strings.TrimSpace(s.OTP.Issuer)
	issuer = strings.TrimSpace(s.Name)
	if issuer == "" {
		issuer = otpIssuer
	}
	name = strings.TrimSpace(s.OTP.Account)
	if name == "" {
		name = strings.TrimSpace(s.OTP.Label)
		for _, prefix := range []string{issuer, otpIssuer} {
			if prefix != "" && strings.HasPrefix(name, prefix+":") {
				name = strings.TrimSpace(name[len(prefix)+1:])
				break
			}
		}
	}
	if otpIssuer == "" && issuer == name {
		issuer = ""
	}
	return issuer, name
}

// twofasSealed is one encrypted field: ciphertext‖tag, salt and IV.
type twofasSealed struct {
	ct, salt, iv []byte
}

func parseTwoFASSealed(field, s string) (twofasSealed, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return twofasSealed{}, fmt.Errorf("the 2FAS backup's %s is not ciphertext:salt:iv; %s", field, twofasDamaged)
	}
	var out [3][]byte
	for i, p := range parts {
		b, err := base64.StdEncoding.DecodeString(p)
		if err != nil {
			return twofasSealed{}, fmt.Errorf("the 2FAS backup's %s is not base64; %s", field, twofasDamaged)
		}
		out[i] = b
	}
	sealed := twofasSealed{ct: out[0], salt: out[1], iv: out[2]}
	if len(sealed.iv) != twofasIVLen || len(sealed.salt) == 0 || len(sealed.salt) > twofasMaxSaltLen || len(sealed.ct) < 16 {
		return twofasSealed{}, fmt.Errorf("the 2FAS backup's %s has a wrong-sized salt, IV or ciphertext; %s", field, twofasDamaged)
	}
	return sealed, nil
}

func twofasKey(password, salt []byte) ([]byte, error) {
	return pbkdf2.Key(sha256.New, string(password), salt, twofasIterations, 32)
}

func twofasGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// openTwoFAS checks the password against the reference, then decrypts the
// services' JSON.
func openTwoFAS(f twofasBackupIn, password []byte) ([]byte, error) {
	services, err := parseTwoFASSealed("servicesEncrypted", f.ServicesEncrypted)
	if err != nil {
		return nil, err
	}
	key, err := twofasKey(password, services.salt)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	gcm, err := twofasGCM(key)
	if err != nil {
		return nil, err
	}
	wrong := fmt.Errorf("%w for this 2FAS backup", ErrWrongPassphrase)
	if f.Reference != "" {
		ref, err := parseTwoFASSealed("reference", f.Reference)
		if err != nil {
			return nil, err
		}
		refGCM := gcm
		if !bytes.Equal(ref.salt, services.salt) {
			refKey, err := twofasKey(password, ref.salt)
			if err != nil {
				return nil, err
			}
			defer clear(refKey)
			if refGCM, err = twofasGCM(refKey); err != nil {
				return nil, err
			}
		}
		if _, err := refGCM.Open(nil, ref.iv, ref.ct, nil); err != nil {
			return nil, wrong
		}
		plain, err := gcm.Open(nil, services.iv, services.ct, nil)
		if err != nil {
			return nil, fmt.Errorf("the 2FAS backup's accounts do not decrypt though the password is right; %s", twofasDamaged)
		}
		return plain, nil
	}
	// No reference: a wrong password and a damaged file look the same.
	plain, err := gcm.Open(nil, services.iv, services.ct, nil)
	if err != nil {
		return nil, fmt.Errorf("%w for this 2FAS backup (or the file is damaged)", ErrWrongPassphrase)
	}
	return plain, nil
}

// encodeTwoFAS writes keys as a 2FAS backup of schema 4, encrypted when a
// password is given. 2FAS keeps HOTP counters in 32 bits: a larger one is
// refused.
func encodeTwoFAS(keys []vault.Key, password []byte) ([]byte, error) {
	if len(keys) == 0 {
		return nil, errors.New("no account to export")
	}
	now := time.Now().UnixMilli()
	services := make([]twofasService, 0, len(keys))
	for i, k := range keys {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("%s cannot be exported: %w", k.Label(), err)
		}
		if k.Type == vault.HOTP && k.Counter > math.MaxInt32 {
			return nil, fmt.Errorf("%s cannot be exported to 2FAS: its counter %d is larger than 2FAS keeps (%d)", k.Label(), k.Counter, math.MaxInt32)
		}
		s := twofasService{
			Name:      k.Issuer,
			Secret:    vault.EncodeSecret(k.Secret),
			UpdatedAt: now,
			OTP: twofasOTP{
				Label: k.Name, Account: k.Name, Issuer: k.Issuer,
				Digits: k.Digits, Algorithm: string(k.Algorithm), Source: "Link",
			},
			Order: &twofasOrder{Position: i},
		}
		if s.Name == "" {
			s.Name = k.Name // 2FAS needs a name
		}
		switch k.Type {
		case vault.TOTP:
			s.OTP.TokenType, s.OTP.Period = "TOTP", k.Period
		case vault.HOTP:
			counter := k.Counter
			s.OTP.TokenType, s.OTP.Counter = "HOTP", &counter
		case vault.Steam:
			s.OTP.TokenType, s.OTP.Period = "STEAM", k.Period
		}
		s.Icon = &twofasIcon{Selected: "Label", Label: twofasIconLabel{Text: twofasInitials(s.Name), BackgroundColor: "LightBlue"},
			IconCollection: twofasIconCollection{ID: twofasDefaultIcons}}
		services = append(services, s)
	}
	// appOrigin: the 2FAS apps know "android" and "ios"; the layout written
	// here is the Android app's.
	f := twofasFile{Services: services, Groups: []twofasGroup{}, UpdatedAt: now, SchemaVersion: twofasMaxSchema,
		AppVersionName: "Countersign", AppOrigin: "android"}
	if len(password) > 0 {
		plain, err := json.Marshal(services)
		if err != nil {
			return nil, err
		}
		defer clear(plain)
		salt := make([]byte, twofasSaltLen)
		rand.Read(salt)
		key, err := twofasKey(password, salt)
		if err != nil {
			return nil, err
		}
		defer clear(key)
		gcm, err := twofasGCM(key)
		if err != nil {
			return nil, err
		}
		seal := func(plain []byte) string {
			iv := make([]byte, twofasIVLen)
			rand.Read(iv)
			ct := gcm.Seal(nil, iv, plain, nil)
			return strings.Join([]string{base64.StdEncoding.EncodeToString(ct), base64.StdEncoding.EncodeToString(salt), base64.StdEncoding.EncodeToString(iv)}, ":")
		}
		f.Services = []twofasService{}
		f.ServicesEncrypted = seal(plain)
		f.Reference = seal([]byte(twofasReference))
	}
	return json.MarshalIndent(f, "", "  ")
}

// twofasInitials is the text of a 2FAS label icon: the first two letters
// of the name, in capitals.
func twofasInitials(name string) string {
	var out []rune
	for _, r := range strings.ToUpper(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if out = append(out, r); len(out) == 2 {
				break
			}
		}
	}
	return string(out)
}
