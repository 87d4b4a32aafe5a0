package transfer

import (
	"bytes"
	"cmp"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/countersign/countersign/vault"
)

// AuthenticatorPro is Authenticator Pro, now Stratum
// (github.com/stratumauth/app), in each of the forms its accounts leave the
// phone:
//
//   - A plain backup: JSON {"Authenticators": [{"Type": 1 HOTP, 2 TOTP, 3
//     mOTP, 4 Steam, 5 Yandex; "Issuer", "Username", "Secret": base32,
//     "Pin", "Algorithm": 0 SHA1, 1 SHA256, 2 SHA512; "Digits", "Period",
//     "Counter", "Ranking", "Icon"}], "Categories", "AuthenticatorCategories",
//     "CustomIcons"}. The counter is the next one.
//   - An encrypted backup: "AUTHENTICATORPRO", a 16-byte salt, a 12-byte
//     nonce, then the AES-256-GCM encryption of that JSON, with the key
//     Argon2id(password, salt, 3 passes, 64 MiB, 4 lanes, 32 bytes). The
//     parameters are fixed by the app, not read from the file.
//   - A legacy encrypted backup: "AuthenticatorPro", a 20-byte salt, a
//     16-byte IV, then AES-256-CBC (PKCS#7 padding) of the JSON, with the
//     key PBKDF2-HMAC-SHA1(password, salt, 64000, 32 bytes). CBC has no
//     authentication: a wrong password shows as bad padding or as text
//     that is not the JSON, and both are reported as a wrong password.
//   - The app's own SQLite database (authenticator.db3, from a rooted phone
//     or a device backup): the same fields in the table "authenticator".
//     It is read from a private copy in a temporary directory, opened
//     read-only and immutable, with values limited to 1 MiB, no generated
//     columns, and a time limit.
//
// Accounts come in the app's order (Ranking, then the file's order).
// mOTP and Yandex accounts are skipped; categories and custom icons are not
// kept.
const AuthenticatorPro Format = "authenticator-pro"

func init() {
	register(importer{format: AuthenticatorPro, app: "Authenticator Pro (Stratum)", sniff: sniffAuthenticatorPro, decode: decodeAuthenticatorPro})
}

var (
	authproHeader       = []byte("AUTHENTICATORPRO")
	authproLegacyHeader = []byte("AuthenticatorPro")
	authproSQLiteMagic  = []byte("SQLite format 3\x00")
)

// Layouts of the encrypted backups and bounds of the database reader.
const (
	authproSaltLen       = 16
	authproNonceLen      = 12
	authproLegacySaltLen = 20
	authproLegacyIVLen   = 16
	authproLegacyIter    = 64000
	authproMaxValue      = 1 << 20
	authproMaxRows       = 100000
	authproDBTimeout     = 30 * time.Second
)

// authproKDF derives the key of an encrypted backup (Argon2id with the
// app's fixed parameters), and authproLegacyKDF that of a legacy one;
// variables so the fuzz test can make them cheap.
var (
	authproKDF = func(password, salt []byte) []byte {
		return argon2.IDKey(password, salt, 3, 64*1024, 4, 32)
	}
	authproLegacyKDF = func(password, salt []byte) ([]byte, error) {
		return pbkdf2.Key(sha1.New, string(password), salt, authproLegacyIter, 32)
	}
)

type authproBackup struct {
	Authenticators          *[]authproAuthenticator `json:"Authenticators"`
	Categories              []json.RawMessage       `json:"Categories"`
	AuthenticatorCategories []json.RawMessage       `json:"AuthenticatorCategories"`
	CustomIcons             []json.RawMessage       `json:"CustomIcons"`
}

type authproAuthenticator struct {
	Type      int64   `json:"Type"`
	Icon      *string `json:"Icon"`
	Issuer    *string `json:"Issuer"`
	Username  *string `json:"Username"`
	Secret    *string `json:"Secret"`
	Algorithm int64   `json:"Algorithm"`
	Digits    int64   `json:"Digits"`
	Period    int64   `json:"Period"`
	Counter   int64   `json:"Counter"`
	Ranking   int64   `json:"Ranking"`
}

// sniffAuthenticatorPro claims the two encrypted headers, a database with
// the app's "authenticator" table in its schema (searched in the first
// 64 KiB, where SQLite keeps a small schema), and a JSON object with an
// "Authenticators" list.
func sniffAuthenticatorPro(data []byte) (ok, encrypted bool) {
	switch {
	case bytes.HasPrefix(data, authproHeader):
		return len(data) >= len(authproHeader)+authproSaltLen+authproNonceLen+16, true
	case bytes.HasPrefix(data, authproLegacyHeader):
		return len(data) >= len(authproLegacyHeader)+authproLegacySaltLen+authproLegacyIVLen+aes.BlockSize, true
	case bytes.HasPrefix(data, authproSQLiteMagic):
		head := data[:min(len(data), 64<<10)]
		return bytes.Contains(head, []byte(`CREATE TABLE "authenticator" (`)) && bytes.Contains(head, []byte(`"ranking" integer`)), false
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false, false
	}
	var b struct {
		Authenticators *[]map[string]json.RawMessage `json:"Authenticators"`
	}
	if json.Unmarshal(trimmed, &b) != nil || b.Authenticators == nil {
		return false, false
	}
	for _, a := range *b.Authenticators {
		if _, ok := a["Secret"]; !ok {
			return false, false
		}
		if _, ok := a["Type"]; !ok {
			return false, false
		}
	}
	return true, false
}

func decodeAuthenticatorPro(data, password []byte) (Result, error) {
	switch {
	case bytes.HasPrefix(data, authproHeader), bytes.HasPrefix(data, authproLegacyHeader):
		if len(password) == 0 {
			return Result{}, errors.New("this Authenticator Pro backup is encrypted: give its password")
		}
		plain, err := authproDecrypt(data, password)
		if err != nil {
			return Result{}, err
		}
		return authproDecodeJSON(plain, bytes.HasPrefix(data, authproLegacyHeader))
	case bytes.HasPrefix(data, authproSQLiteMagic):
		return authproDecodeDB(data)
	}
	return authproDecodeJSON(data, false)
}

var errAuthproWrongPassword = fmt.Errorf("%w for this Authenticator Pro backup: check the password and try again", ErrWrongPassphrase)

func authproDecrypt(data, password []byte) ([]byte, error) {
	if bytes.HasPrefix(data, authproHeader) {
		body := data[len(authproHeader):]
		if len(body) < authproSaltLen+authproNonceLen+16 {
			return nil, errors.New("the Authenticator Pro backup is too short: it is damaged")
		}
		key := authproKDF(password, body[:authproSaltLen])
		defer clear(key)
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		plain, err := gcm.Open(nil, body[authproSaltLen:authproSaltLen+authproNonceLen], body[authproSaltLen+authproNonceLen:], nil)
		if err != nil {
			return nil, errAuthproWrongPassword
		}
		return plain, nil
	}
	body := data[len(authproLegacyHeader):]
	head := authproLegacySaltLen + authproLegacyIVLen
	if len(body) < head+aes.BlockSize || (len(body)-head)%aes.BlockSize != 0 {
		return nil, errors.New("the Authenticator Pro backup's length is wrong: it is damaged")
	}
	key, err := authproLegacyKDF(password, body[:authproLegacySaltLen])
	if err != nil {
		return nil, fmt.Errorf("deriving the Authenticator Pro key: %w", err)
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(body)-head)
	cipher.NewCBCDecrypter(block, body[authproLegacySaltLen:head]).CryptBlocks(plain, body[head:])
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > aes.BlockSize {
		return nil, errAuthproWrongPassword
	}
	for _, c := range plain[len(plain)-pad:] {
		if int(c) != pad {
			return nil, errAuthproWrongPassword
		}
	}
	return plain[:len(plain)-pad], nil
}

// authproDecodeJSON reads a backup's JSON; unauthenticated (legacy CBC)
// plaintext that is not the JSON means a wrong password.
func authproDecodeJSON(data []byte, unauthenticated bool) (Result, error) {
	var b authproBackup
	err := json.Unmarshal(data, &b)
	if unauthenticated && (err != nil || b.Authenticators == nil) {
		return Result{}, errAuthproWrongPassword
	}
	if err != nil {
		return Result{}, fmt.Errorf("the Authenticator Pro backup is damaged (%v); nothing was imported", authproJSONProblem(err))
	}
	if b.Authenticators == nil {
		return Result{}, errors.New("this is not an Authenticator Pro backup (it has no Authenticators); back up again from the app (Backup, to a file)")
	}
	auths := slices.Clone(*b.Authenticators)
	slices.SortStableFunc(auths, func(x, y authproAuthenticator) int { return cmp.Compare(x.Ranking, y.Ranking) })
	var r Result
	for i, a := range auths {
		if err := authproAppend(&r, a); err != nil {
			return Result{}, fmt.Errorf("Authenticator Pro account %d: %v; nothing was imported", i+1, err)
		}
	}
	if len(b.Categories) > 0 || len(b.AuthenticatorCategories) > 0 {
		r.Skipped = append(r.Skipped, Skipped{Label: "Authenticator Pro categories", Reason: "Countersign does not keep them; the accounts are imported without them"})
	}
	if len(b.CustomIcons) > 0 {
		r.Skipped = append(r.Skipped, Skipped{Label: "Authenticator Pro custom icons", Reason: "Countersign does not keep them; the accounts are imported without them"})
	}
	return r, nil
}

// authproJSONProblem describes a JSON error without quoting the input.
func authproJSONProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s holds a %s", cmp.Or(typ.Field, "a field"), strings.Fields(typ.Value + " value")[0])
	}
	return "not the expected JSON"
}

// authproAppend adds an account to r, or the reason it is skipped.
func authproAppend(r *Result, a authproAuthenticator) error {
	deref := func(s *string) string {
		if s == nil {
			return ""
		}
		return strings.TrimSpace(*s)
	}
	issuer, name := deref(a.Issuer), deref(a.Username)
	label := cmp.Or(vault.Params{Issuer: issuer, Name: name}.Label(), "an account")
	skip := func(reason string) error {
		r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: reason})
		return nil
	}
	var typ vault.Type
	switch a.Type {
	case 1:
		typ = vault.HOTP
	case 2:
		typ = vault.TOTP
	case 3:
		return skip("mOTP accounts are not supported")
	case 4:
		typ = vault.Steam
	case 5:
		return skip("Yandex accounts are not supported")
	default:
		return skip(fmt.Sprintf("account type %d is not supported", a.Type))
	}
	var alg vault.Algorithm
	switch a.Algorithm {
	case 0:
		alg = vault.SHA1
	case 1:
		alg = vault.SHA256
	case 2:
		alg = vault.SHA512
	default:
		return skip(fmt.Sprintf("algorithm %d is not supported", a.Algorithm))
	}
	secret, err := vault.DecodeSecret(deref(a.Secret))
	if err != nil {
		return err
	}
	if a.Counter < 0 {
		return errors.New("counter is negative")
	}
	if a.Digits < 0 || a.Digits > 1<<20 || a.Period < 0 || a.Period > 1<<30 {
		return skip(fmt.Sprintf("digits %d or period %d is out of range", a.Digits, a.Period))
	}
	k := vault.Key{Params: vault.Params{Type: typ, Issuer: issuer, Name: name, Algorithm: alg, Digits: int(a.Digits), Period: int(a.Period), Counter: uint64(a.Counter)}, Secret: secret}
	if typ == vault.HOTP {
		k.Period = 0
	}
	k.Normalize()
	if err := k.Validate(); err != nil {
		return skip(err.Error())
	}
	r.Keys = append(r.Keys, k)
	return nil
}

// authproDecodeDB reads the app's database from a private read-only copy.
func authproDecodeDB(data []byte) (Result, error) {
	const again = "copy authenticator.db3 from the phone again, or make a backup in the app and import that"
	dir, err := os.MkdirTemp("", "countersign-import-")
	if err != nil {
		return Result{}, fmt.Errorf("making a private copy of the database: %w", err)
	}
	defer os.RemoveAll(dir)
	db := slices.Clone(data)
	// Bytes 18 and 19 are 2 in a database in WAL mode; the copy has no
	// -wal file beside it, so it is read as a rollback-journal database
	// (what the -wal held, if anything, is not in the file given).
	if len(db) > 19 {
		db[18], db[19] = min(db[18], 1), min(db[19], 1)
	}
	path := filepath.Join(dir, "authenticator.db3")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		return Result{}, fmt.Errorf("making a private copy of the database: %w", err)
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: "mode=ro&immutable=1&_pragma=trusted_schema(0)&_pragma=cell_size_check(1)"}
	sqldb, err := sql.Open("sqlite", u.String())
	if err != nil {
		return Result{}, fmt.Errorf("opening the database: %w", err)
	}
	defer sqldb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), authproDBTimeout)
	defer cancel()
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("this is not a readable Authenticator Pro database (%v): %s", err, again)
	}
	defer conn.Close()
	if _, err := sqlite.Limit(conn, sqlite3.SQLITE_LIMIT_LENGTH, authproMaxValue); err != nil {
		return Result{}, fmt.Errorf("opening the database: %w", err)
	}
	var kind string
	err = conn.QueryRowContext(ctx, `SELECT type FROM sqlite_master WHERE name = 'authenticator'`).Scan(&kind)
	switch {
	case errors.Is(err, sql.ErrNoRows) || err == nil && kind != "table":
		return Result{}, fmt.Errorf("the database has no authenticator table: it is not Authenticator Pro's; %s", again)
	case err != nil:
		return Result{}, fmt.Errorf("the database cannot be read (%v): it is damaged; %s", err, again)
	}
	cols, err := authproColumns(ctx, conn)
	if err != nil {
		return Result{}, fmt.Errorf("the database's authenticator table is damaged (%v): %s", err, again)
	}
	var sel []string
	for _, c := range []string{"type", "issuer", "username", "secret", "algorithm", "digits", "period", "counter"} {
		if !cols[c] {
			return Result{}, fmt.Errorf("the database's authenticator table has no %s column: it is not Authenticator Pro's; %s", c, again)
		}
		sel = append(sel, `"`+c+`"`)
	}
	order := "rowid"
	if cols["ranking"] {
		order = `"ranking", rowid`
	}
	rows, err := conn.QueryContext(ctx, `SELECT `+strings.Join(sel, ", ")+` FROM "authenticator" ORDER BY `+order)
	if err != nil {
		return Result{}, fmt.Errorf("reading the database (%v): %s", err, again)
	}
	defer rows.Close()
	var r Result
	n := 0
	for rows.Next() {
		if n++; n > authproMaxRows {
			return Result{}, fmt.Errorf("the database holds more than %d accounts: it is damaged or not Authenticator Pro's", authproMaxRows)
		}
		var v [8]any
		if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]); err != nil {
			return Result{}, fmt.Errorf("reading account %d of the database (%v): %s", n, err, again)
		}
		var a authproAuthenticator
		var errs []error
		a.Type, errs = authproInt(v[0], "type", errs)
		a.Issuer, errs = authproText(v[1], "issuer", errs)
		a.Username, errs = authproText(v[2], "username", errs)
		a.Secret, errs = authproText(v[3], "secret", errs)
		a.Algorithm, errs = authproInt(v[4], "algorithm", errs)
		a.Digits, errs = authproInt(v[5], "digits", errs)
		a.Period, errs = authproInt(v[6], "period", errs)
		a.Counter, errs = authproInt(v[7], "counter", errs)
		if err := errors.Join(errs...); err != nil {
			return Result{}, fmt.Errorf("account %d of the database: %v; %s", n, err, again)
		}
		if err := authproAppend(&r, a); err != nil {
			return Result{}, fmt.Errorf("account %d of the database: %v; nothing was imported", n, err)
		}
	}
	if err := rows.Err(); err != nil {
		return Result{}, fmt.Errorf("reading the database (%v): %s", err, again)
	}
	return r, nil
}

// authproColumns lists the authenticator table's columns, refusing
// generated or hidden ones (which would run expressions from the file).
func authproColumns(ctx context.Context, conn *sql.Conn) (map[string]bool, error) {
	rows, err := conn.QueryContext(ctx, `SELECT name, hidden FROM pragma_table_xinfo('authenticator')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var name string
		var hidden int64
		if err := rows.Scan(&name, &hidden); err != nil {
			return nil, err
		}
		if hidden != 0 {
			return nil, fmt.Errorf("column %q is generated or hidden", name)
		}
		cols[strings.ToLower(name)] = true
	}
	return cols, rows.Err()
}

// authproInt reads an integer column: a NULL is 0, a whole number in text
// is accepted.
func authproInt(v any, col string, errs []error) (int64, []error) {
	switch x := v.(type) {
	case nil:
		return 0, errs
	case int64:
		return x, errs
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n, errs
		}
	case []byte:
		if n, err := strconv.ParseInt(strings.TrimSpace(string(x)), 10, 64); err == nil {
			return n, errs
		}
	}
	return 0, append(errs, fmt.Errorf("%s is not a whole number", col))
}

// authproText reads a text column (NULL is nil).
func authproText(v any, col string, errs []error) (*string, []error) {
	switch x := v.(type) {
	case nil:
		return nil, errs
	case string:
		return &x, errs
	case []byte:
		s := string(x)
		return &s, errs
	case int64:
		s := strconv.FormatInt(x, 10)
		return &s, errs
	}
	return nil, append(errs, fmt.Errorf("%s is not text", col))
}
