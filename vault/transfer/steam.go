package transfer

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/countersign/countersign/vault"
)

// Steam Guard keeps its secrets in a JSON file: Steam Desktop
// Authenticator's <steamid>.maFile, and the Steam app's own
// Steamguard-<steamid> file (from a rooted phone), one account per file:
//
//	{"shared_secret": "<base64>", "account_name": "sophia", "serial_number": "...",
//	 "revocation_code": "R12345", "identity_secret": "<base64>", "steamid": "...", ...}
//
// Newer versions of the Steam app hold several accounts in one file, by id:
// {"accounts": {"<id>": {...the same...}}}. The shared secret makes the
// codes: five characters of Steam's alphabet, HMAC-SHA1, every 30 seconds.
// The revocation code and identity secret (trade confirmations) are not
// kept.

const maxSteamAccounts = 1000

type steamAccount struct {
	SharedSecret   *string `json:"shared_secret"`
	AccountName    string  `json:"account_name"`
	RevocationCode string  `json:"revocation_code"`
	IdentitySecret string  `json:"identity_secret"`
}

func init() {
	register(importer{format: "steam", app: "Steam Guard", sniff: sniffSteam, decode: decodeSteam})
}

func sniffSteam(data []byte) (ok, encrypted bool) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' || !bytes.Contains(trimmed, []byte(`"shared_secret"`)) {
		return false, false
	}
	accounts, err := readSteam(trimmed)
	return err == nil && len(accounts) > 0, false
}

// readSteam returns the accounts of a Steam Guard file, in its order.
func readSteam(data []byte) ([]steamAccount, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("the file is not a JSON object (if Steam Desktop Authenticator encrypted it, turn its encryption off and use the .maFile again)")
	}
	var top struct {
		Accounts     json.RawMessage `json:"accounts"`
		SharedSecret *string         `json:"shared_secret"`
	}
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return nil, errors.New(ixJSONProblem(err))
	}
	if top.SharedSecret != nil {
		var a steamAccount
		if err := json.Unmarshal(trimmed, &a); err != nil {
			return nil, errors.New(ixJSONProblem(err))
		}
		return []steamAccount{a}, nil
	}
	if len(top.Accounts) == 0 || string(top.Accounts) == "null" {
		return nil, errors.New("the file holds no shared_secret: it is not a Steam Guard file")
	}
	values, err := steamObjectValues(top.Accounts)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	var accounts []steamAccount
	for i, v := range values {
		var a steamAccount
		if err := json.Unmarshal(v, &a); err != nil {
			return nil, fmt.Errorf("account %d: %s", i+1, ixJSONProblem(err))
		}
		if a.SharedSecret == nil {
			return nil, fmt.Errorf("account %d has no shared_secret", i+1)
		}
		accounts = append(accounts, a)
	}
	if len(accounts) == 0 {
		return nil, errors.New("the file holds no accounts")
	}
	return accounts, nil
}

// steamObjectValues returns the values of a JSON object in their order
// (a Go map would lose it).
func steamObjectValues(raw json.RawMessage) ([]json.RawMessage, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var values []json.RawMessage
	for d.More() {
		if _, err := d.Token(); err != nil { // the key
			return nil, errors.New(ixJSONProblem(err))
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, errors.New(ixJSONProblem(err))
		}
		if values = append(values, v); len(values) > maxSteamAccounts {
			return nil, fmt.Errorf("more than %d accounts", maxSteamAccounts)
		}
	}
	return values, nil
}

func decodeSteam(data, _ []byte) (Result, error) {
	accounts, err := readSteam(data)
	if err != nil {
		return Result{}, fmt.Errorf("reading the Steam Guard file: %w", err)
	}
	var r Result
	for i, a := range accounts {
		k := vault.Key{Params: vault.Params{Type: vault.Steam, Issuer: "Steam", Name: a.AccountName, Algorithm: vault.SHA1, Digits: vault.SteamDigits, Period: 30}}
		k.Normalize()
		secret, err := steamSecret(*a.SharedSecret)
		if err != nil {
			return Result{}, fmt.Errorf("Steam account %d (%s): %w; nothing was imported", i+1, k.Label(), err)
		}
		k.Secret = secret
		if err := k.Validate(); err != nil {
			return Result{}, fmt.Errorf("Steam account %d (%s): %w; nothing was imported", i+1, k.Label(), err)
		}
		r.Keys = append(r.Keys, k)
		if a.RevocationCode != "" || a.IdentitySecret != "" {
			r.Skipped = append(r.Skipped, Skipped{Label: k.Label() + ": revocation code and trade confirmations",
				Reason: "Countersign keeps only what makes the codes; keep the Steam file: its revocation code removes the authenticator if the device is lost"})
		}
	}
	return r, nil
}

// steamSecret decodes a shared secret: base64, with or without padding.
func steamSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	secret, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		secret, err = base64.RawStdEncoding.DecodeString(s)
	}
	switch {
	case err != nil:
		return nil, errors.New("shared_secret is not base64")
	case len(secret) == 0:
		return nil, errors.New("shared_secret is empty")
	case len(secret) > vault.MaxSecretBytes:
		return nil, errors.New("shared_secret is too long")
	}
	return secret, nil
}
