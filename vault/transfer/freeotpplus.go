package transfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// FreeOTPPlus is FreeOTP+ (github.com/helloworld1/FreeOTPPlus), a fork of
// FreeOTP 1. Its JSON export is {"tokenOrder": [names], "tokens": [FreeOTP
// 1 tokens]} (see FreeOTP: secrets as signed bytes, the HOTP counter of
// the last code shown, Steam by issuer), read in the order of "tokens". It
// also keeps FreeOTP 1's tokens.xml, which this format reads too; Detect
// names that file FreeOTP, since the two cannot be told apart and read the
// same.
const FreeOTPPlus Format = "freeotp-plus"

func init() {
	register(importer{format: FreeOTPPlus, app: "FreeOTP+", sniff: sniffFreeOTPPlus, decode: decodeFreeOTPPlus})
}

type freeotpPlusExport struct {
	TokenOrder *[]string          `json:"tokenOrder"`
	Tokens     *[]json.RawMessage `json:"tokens"`
}

// sniffFreeOTPPlus claims a JSON object whose "tokens" are all FreeOTP
// tokens (and, if there are none, that has a "tokenOrder").
func sniffFreeOTPPlus(data []byte) (ok, encrypted bool) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false, false
	}
	var e freeotpPlusExport
	if json.Unmarshal(trimmed, &e) != nil || e.Tokens == nil {
		return false, false
	}
	if len(*e.Tokens) == 0 {
		return e.TokenOrder != nil, false
	}
	for _, t := range *e.Tokens {
		if !freeotpIsToken(string(t)) {
			return false, false
		}
	}
	return true, false
}

func decodeFreeOTPPlus(data, _ []byte) (Result, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '<' {
		return decodeFreeOTPPrefs(data, "FreeOTP+")
	}
	var e freeotpPlusExport
	if err := json.Unmarshal(trimmed, &e); err != nil || e.Tokens == nil {
		return Result{}, errors.New("this is not a FreeOTP+ export (a JSON object of tokens); export it again from FreeOTP+ (Export, JSON)")
	}
	var r Result
	for i, raw := range *e.Tokens {
		var t freeotpToken
		if err := json.Unmarshal(raw, &t); err != nil {
			return Result{}, fmt.Errorf("FreeOTP+ token %d is damaged; nothing was imported", i+1)
		}
		secret, err := freeotpBytes(t.Secret)
		if err != nil {
			return Result{}, fmt.Errorf("FreeOTP+ token %d: secret %v; nothing was imported", i+1, err)
		}
		if err := freeotpAppend(&r, t, secret, 1); err != nil {
			return Result{}, fmt.Errorf("FreeOTP+ token %d: %v; nothing was imported", i+1, err)
		}
	}
	if len(r.Keys) == 0 && len(r.Skipped) == 0 {
		return Result{}, errors.New("this FreeOTP+ export holds no accounts")
	}
	return r, nil
}
