package transfer

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/countersign/countersign/vault"
)

// Microsoft Authenticator's own database (Android:
// /data/data/com.azure.authenticator/databases/PhoneFactor, from a rooted
// phone; the app has no export). An SQLite file whose "accounts" table has
// a row per account:
//
//	name             the issuer as shown
//	username         the account name
//	account_type     0: another service's TOTP account; 1: a personal
//	                 Microsoft account; 2: a work or school (Entra ID)
//	                 account
//	oath_secret_key  the code secret: base32 for type 0, base64 for a
//	                 personal Microsoft account (whose codes have 8
//	                 digits); empty for accounts that only approve
//	                 sign-ins by notification
//	encrypted_oath_secret_key  newer versions: the secret, encrypted with
//	                 a key that stays in the phone's keystore
//	ux_position      the account's place in the list
//
// Codes are always SHA1, 30 seconds; 6 digits but for personal Microsoft
// accounts. Work or school accounts' codes come from Microsoft's own
// registration, which Countersign cannot reproduce: they are skipped, as
// are accounts with no readable secret.

// MicrosoftAuthenticator is the format of Microsoft Authenticator's database.
const MicrosoftAuthenticator Format = "microsoft-authenticator"

func init() {
	register(importer{
		format: MicrosoftAuthenticator,
		app:    "Microsoft Authenticator",
		sniff:  sniffMicrosoftAuthenticator,
		decode: func(data, _ []byte) (Result, error) { return decodeMicrosoftAuthenticator(data) },
	})
}

// sniffMicrosoftAuthenticator: an SQLite file with Microsoft's accounts
// table.
func sniffMicrosoftAuthenticator(data []byte) (ok, encrypted bool) {
	return sqliteHasColumns(sqliteSchemaTables(data), "accounts", "name", "username", "oath_secret_key", "account_type"), false
}

// Microsoft Authenticator's account types.
const (
	msAccountOTP      = 0 // another service's TOTP account
	msAccountPersonal = 1 // a personal Microsoft account (MSA)
	msAccountWork     = 2 // a work or school account (Entra ID, formerly Azure AD)
)

// msPersonalDigits is the code length of personal Microsoft accounts.
const msPersonalDigits = 8

func decodeMicrosoftAuthenticator(data []byte) (Result, error) {
	const app = "Microsoft Authenticator"
	snap, err := openSQLiteSnapshot(data, app)
	if err != nil {
		return Result{}, err
	}
	defer snap.Close()
	ctx, cancel := context.WithTimeout(context.Background(), sqliteTimeout)
	defer cancel()
	cols, err := snap.columns(ctx, "accounts")
	if err != nil {
		return Result{}, fmt.Errorf("this is not Microsoft Authenticator's database: its accounts table cannot be read (%v)", err)
	}
	for _, c := range []string{"name", "username", "oath_secret_key", "account_type"} {
		if !cols[c] {
			return Result{}, fmt.Errorf("this is not Microsoft Authenticator's database: its accounts table has no %s column", c)
		}
	}
	order := "rowid"
	if cols["_id"] {
		order = `"_id"`
	}
	if cols["ux_position"] {
		order = `"ux_position", ` + order
	}
	query := fmt.Sprintf(`SELECT "name", "username", "oath_secret_key", "account_type", %s FROM "accounts" ORDER BY %s`,
		sqliteColumnOr(cols, "encrypted_oath_secret_key", "NULL"), order)
	rows, err := snap.db.QueryContext(ctx, query)
	if err != nil {
		return Result{}, fmt.Errorf("reading Microsoft Authenticator's accounts: %w; the database may be damaged: copy it again", err)
	}
	defer rows.Close()
	var r Result
	for n := 1; rows.Next(); n++ {
		if n > sqliteMaxRows {
			return Result{}, fmt.Errorf("the database holds more than %d accounts: it is not an authenticator's", sqliteMaxRows)
		}
		var name, username, secret, typText, encSecret sql.NullString
		if err := rows.Scan(&name, &username, &secret, &typText, &encSecret); err != nil {
			return Result{}, fmt.Errorf("account %d cannot be read; the database is damaged: copy it again", n)
		}
		p := vault.Params{Type: vault.TOTP, Issuer: strings.TrimSpace(name.String), Name: strings.TrimSpace(username.String)}
		label := p.Label()
		if label == "" {
			label = fmt.Sprintf("account %d", n)
		}
		typ, err := sqliteInt(typText, n, label, "account_type")
		if err != nil {
			return Result{}, err
		}
		skip := func(reason string) { r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: reason}) }
		if typ == msAccountWork {
			skip("a work or school account: its codes come from Microsoft's own registration, which Countersign cannot import; add the account again in Countersign from your organisation's security-info page (choose \"a different authenticator app\")")
			continue
		}
		if typ != msAccountOTP && typ != msAccountPersonal {
			skip(fmt.Sprintf("Microsoft Authenticator account type %d is not one Countersign can read", typ))
			continue
		}
		if strings.TrimSpace(secret.String) == "" {
			if strings.TrimSpace(encSecret.String) != "" {
				skip("its secret is encrypted with a key kept in the phone's keystore, which a copy of the database does not hold; add the account again in Countersign")
			} else {
				skip("it only approves sign-ins by notification and has no code secret; add the account again in Countersign (for a Microsoft account: security settings, \"add a sign-in method\", authenticator app)")
			}
			continue
		}
		var key []byte
		if typ == msAccountPersonal {
			key, err = msDecodeBase64Secret(secret.String)
			p.Digits = msPersonalDigits
		} else {
			key, err = vault.DecodeSecret(secret.String)
		}
		if err != nil {
			return Result{}, fmt.Errorf("account %d (%s): %w; nothing was imported", n, label, err)
		}
		k := vault.Key{Params: p, Secret: key}
		k.Normalize() // SHA1, 30 seconds: the app's only settings
		if err := k.Validate(); err != nil {
			return Result{}, fmt.Errorf("account %d (%s): %w; nothing was imported", n, label, err)
		}
		r.Keys = append(r.Keys, k)
	}
	return sqliteAccountsRead(app, r, rows.Err(), snap.WAL)
}

// msDecodeBase64Secret decodes a base64 secret, padded or not, standard or
// URL-safe. Its error names the field and never holds the secret.
func msDecodeBase64Secret(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	if len(s) > base64.RawStdEncoding.EncodedLen(vault.MaxSecretBytes) {
		return nil, &vault.FieldError{Field: "secret", Problem: fmt.Sprintf("is too long (more than %d bytes)", vault.MaxSecretBytes)}
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, &vault.FieldError{Field: "secret", Problem: "is not valid base64"}
	}
	return b, nil
}
