package transfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/countersign/countersign/vault"
)

// Duo Mobile keeps its accounts in files/duokit/accounts.json (from a
// rooted phone or a device backup): a JSON array of accounts,
//
//	{"accountType": "OtpAccount", "name": "Mason",
//	 "otpGenerator": {"otpSecret": "<base32>", "counter": 3}, "logoUri": "...", ...}
//
// An account with a counter is HOTP, one without is TOTP; both are SHA1,
// 6 digits, and TOTP every 30 seconds. Duo has no issuer: the name is all
// the file says. An account without an OTP secret (a push-only Duo
// account) is skipped.

const maxDuoAccounts = 10000

type duoAccount struct {
	AccountType  string `json:"accountType"`
	Name         string `json:"name"`
	OTPGenerator *struct {
		OTPSecret *string `json:"otpSecret"`
		Counter   *ixInt  `json:"counter"`
	} `json:"otpGenerator"`
}

func init() {
	register(importer{format: "duo", app: "Duo Mobile", sniff: sniffDuo, decode: decodeDuo})
}

func sniffDuo(data []byte) (ok, encrypted bool) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '[' || !bytes.Contains(trimmed, []byte(`"otpGenerator"`)) {
		return false, false
	}
	accounts, err := readDuo(trimmed)
	if err != nil {
		return false, false
	}
	for _, a := range accounts {
		if a.OTPGenerator != nil && a.OTPGenerator.OTPSecret != nil {
			return true, false
		}
	}
	return false, false
}

func readDuo(data []byte) ([]duoAccount, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, errors.New(ixJSONProblem(err))
	}
	if len(raw) > maxDuoAccounts {
		return nil, fmt.Errorf("the file holds more than %d accounts", maxDuoAccounts)
	}
	accounts := make([]duoAccount, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &accounts[i]); err != nil {
			return nil, fmt.Errorf("account %d: %s", i+1, ixJSONProblem(err))
		}
		// Every Duo account says what it is; anything else is another app's list.
		if accounts[i].AccountType == "" && accounts[i].OTPGenerator == nil {
			return nil, fmt.Errorf("account %d is not a Duo account (no accountType)", i+1)
		}
	}
	return accounts, nil
}

func decodeDuo(data, _ []byte) (Result, error) {
	accounts, err := readDuo(bytes.TrimSpace(data))
	if err != nil {
		return Result{}, fmt.Errorf("reading the Duo accounts file: %w", err)
	}
	var r Result
	for i, a := range accounts {
		k := vault.Key{Params: vault.Params{Type: vault.TOTP, Name: a.Name, Algorithm: vault.SHA1, Digits: 6, Period: 30}}
		k.Normalize()
		label := k.Label()
		if label == "" {
			label = fmt.Sprintf("account %d", i+1)
		}
		if a.OTPGenerator == nil || a.OTPGenerator.OTPSecret == nil {
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: fmt.Sprintf("a %s has no passcode secret (Duo push only): keep it in Duo Mobile", duoKind(a.AccountType))})
			continue
		}
		fail := func(err error) (Result, error) {
			return Result{}, fmt.Errorf("Duo account %d (%s): %w; nothing was imported", i+1, label, err)
		}
		if k.Secret, err = vault.DecodeSecret(*a.OTPGenerator.OTPSecret); err != nil {
			return fail(err)
		}
		if c := a.OTPGenerator.Counter; c != nil {
			if *c < 0 {
				return fail(errors.New("counter: is negative"))
			}
			k.Type, k.Counter, k.Period = vault.HOTP, uint64(*c), 0
		}
		if err := k.Validate(); err != nil {
			return fail(err)
		}
		r.Keys = append(r.Keys, k)
	}
	if len(r.Keys) == 0 && len(r.Skipped) == 0 {
		return Result{}, errors.New("the Duo accounts file holds no accounts")
	}
	return r, nil
}

// duoKind names an account type for a message, cut and cleaned.
func duoKind(t string) string {
	t = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, t)
	if t == "" {
		return "Duo account"
	}
	if len(t) > 40 {
		t = t[:40]
	}
	return fmt.Sprintf("%q account", t)
}
