package transfer

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/countersign/countersign/vault"
)

// Google Authenticator's own database (Android:
// /data/data/com.google.android.apps.authenticator2/databases/databases,
// from a rooted phone or a device backup). An SQLite file whose "accounts"
// table has a row per account:
//
//	email    the label, often "Issuer:name"
//	secret   the base32 secret
//	type     0 for TOTP, 1 for HOTP
//	counter  an HOTP account's counter
//	issuer   the issuer (newer versions; NULL when none)
//
// There are no digits, period or algorithm columns: every account has 6
// digits, SHA1 and, for TOTP, 30 seconds.

// GoogleAuthenticatorDB is the format of Google Authenticator's database.
const GoogleAuthenticatorDB Format = "google-authenticator-db"

func init() {
	register(importer{
		format: GoogleAuthenticatorDB,
		app:    "Google Authenticator",
		sniff:  sniffGoogleAuthenticatorDB,
		decode: func(data, _ []byte) (Result, error) { return decodeGoogleAuthenticatorDB(data) },
	})
}

// sniffGoogleAuthenticatorDB: an SQLite file with Google's accounts table
// (email, secret, type), and not Microsoft's (oath_secret_key).
func sniffGoogleAuthenticatorDB(data []byte) (ok, encrypted bool) {
	tables := sqliteSchemaTables(data)
	return sqliteHasColumns(tables, "accounts", "email", "secret", "type") &&
		!sqliteHasColumns(tables, "accounts", "oath_secret_key"), false
}

// Google Authenticator's account types.
const (
	googleDBTOTP = 0
	googleDBHOTP = 1
)

func decodeGoogleAuthenticatorDB(data []byte) (Result, error) {
	const app = "Google Authenticator"
	snap, err := openSQLiteSnapshot(data, app)
	if err != nil {
		return Result{}, err
	}
	defer snap.Close()
	ctx, cancel := context.WithTimeout(context.Background(), sqliteTimeout)
	defer cancel()
	cols, err := snap.columns(ctx, "accounts")
	if err != nil {
		return Result{}, fmt.Errorf("this is not Google Authenticator's database: its accounts table cannot be read (%v)", err)
	}
	for _, c := range []string{"email", "secret", "type"} {
		if !cols[c] {
			return Result{}, fmt.Errorf("this is not Google Authenticator's database: its accounts table has no %s column", c)
		}
	}
	order := "rowid"
	if cols["_id"] {
		order = `"_id"`
	}
	query := fmt.Sprintf(`SELECT "email", "secret", "type", %s, %s FROM "accounts" ORDER BY %s`,
		sqliteColumnOr(cols, "counter", "0"), sqliteColumnOr(cols, "issuer", "NULL"), order)
	rows, err := snap.db.QueryContext(ctx, query)
	if err != nil {
		return Result{}, fmt.Errorf("reading Google Authenticator's accounts: %w; the database may be damaged: copy it again", err)
	}
	defer rows.Close()
	var r Result
	for n := 1; rows.Next(); n++ {
		if n > sqliteMaxRows {
			return Result{}, fmt.Errorf("the database holds more than %d accounts: it is not an authenticator's", sqliteMaxRows)
		}
		var email, secret, issuer, typText, counterText sql.NullString
		if err := rows.Scan(&email, &secret, &typText, &counterText, &issuer); err != nil {
			return Result{}, fmt.Errorf("account %d cannot be read; the database is damaged: copy it again", n)
		}
		p := vault.Params{Issuer: strings.TrimSpace(issuer.String), Name: strings.TrimSpace(email.String)}
		switch prefix, rest, found := strings.Cut(p.Name, ":"); {
		case p.Issuer != "" && found && strings.TrimSpace(prefix) == p.Issuer:
			p.Name = strings.TrimSpace(rest)
		case p.Issuer == "" && found:
			p.Issuer, p.Name = strings.TrimSpace(prefix), strings.TrimSpace(rest)
		}
		label := p.Label()
		if label == "" {
			label = fmt.Sprintf("account %d", n)
		}
		typ, err := sqliteInt(typText, n, label, "type")
		if err != nil {
			return Result{}, err
		}
		counter, err := sqliteInt(counterText, n, label, "counter")
		if err != nil {
			return Result{}, err
		}
		switch typ { // NULL is TOTP, the column's default in the app
		case googleDBTOTP:
			p.Type = vault.TOTP
		case googleDBHOTP:
			p.Type = vault.HOTP
			if counter < 0 {
				return Result{}, fmt.Errorf("account %d (%s): its counter is negative; the database is damaged", n, label)
			}
			p.Counter = uint64(counter)
		default:
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: fmt.Sprintf("Google Authenticator account type %d is not TOTP or HOTP; Countersign cannot read it", typ)})
			continue
		}
		key, err := vault.DecodeSecret(secret.String)
		if err != nil {
			return Result{}, fmt.Errorf("account %d (%s): %w; nothing was imported", n, label, err)
		}
		k := vault.Key{Params: p, Secret: key}
		k.Normalize() // SHA1, 6 digits, 30 seconds: the app's only settings
		if err := k.Validate(); err != nil {
			return Result{}, fmt.Errorf("account %d (%s): %w; nothing was imported", n, label, err)
		}
		r.Keys = append(r.Keys, k)
	}
	return sqliteAccountsRead(app, r, rows.Err(), snap.WAL)
}
