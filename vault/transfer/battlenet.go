package transfer

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/countersign/countersign/vault"
)

// The Battle.net app (com.blizzard.messenger) keeps its authenticator in
// its preferences (shared_prefs/com.blizzard.messenger.authenticator_preferences.xml,
// from a rooted phone or a device backup):
//
//	<string name="com.blizzard.messenger.AUTHENTICATOR_CREDENTIALS_ENCRYPTION_TYPE">MASK</string>
//	<string name="com.blizzard.messenger.AUTHENTICATOR_DEVICE_SECRET">hex</string>
//	<string name="com.blizzard.messenger.AUTHENTICATOR_SERIAL">hex</string>
//
// With the MASK type, the secret and the serial are hex of their text XORed
// with a fixed mask (the same in every copy of the app); the secret's text
// is itself the hex of the 20-byte seed. The account is TOTP, SHA1, 8
// digits, 30 seconds, named by its serial ("US-1234-5678-9012").

const (
	battleNetSecretPref = "com.blizzard.messenger.AUTHENTICATOR_DEVICE_SECRET"
	battleNetSerialPref = "com.blizzard.messenger.AUTHENTICATOR_SERIAL"
	battleNetTypePref   = "com.blizzard.messenger.AUTHENTICATOR_CREDENTIALS_ENCRYPTION_TYPE"
)

// battleNetMask is the Battle.net app's fixed mask.
var battleNetMask, _ = hex.DecodeString("398e27fc50276a656065b0e525f4c06c04c61075286b8e7aeda59da9813b5dd6c80d2fb38068773fa59ba47c17ca6c6479015c1d5b8b8f6b9a")

func init() {
	register(importer{format: "battle-net", app: "Battle.net", sniff: sniffBattleNet, decode: decodeBattleNet})
}

func sniffBattleNet(data []byte) (ok, encrypted bool) {
	if !looksLikeAndroidPrefs(data, battleNetSecretPref) {
		return false, false
	}
	prefs, err := parseAndroidPrefs(data)
	if err != nil {
		return false, false
	}
	_, ok = prefs[battleNetSecretPref]
	return ok, false
}

func decodeBattleNet(data, _ []byte) (Result, error) {
	prefs, err := parseAndroidPrefs(data)
	if err != nil {
		return Result{}, fmt.Errorf("reading the Battle.net preferences: %w", err)
	}
	masked, ok := prefs[battleNetSecretPref]
	if !ok {
		return Result{}, fmt.Errorf("these Android preferences hold no Battle.net authenticator (no %s)", battleNetSecretPref)
	}
	if typ := strings.TrimSpace(prefs[battleNetTypePref]); typ != "" && typ != "MASK" {
		return Result{}, fmt.Errorf("the Battle.net app encrypted this authenticator (%.30q) with a key kept in the phone, not in the file; Countersign reads only its MASK files: move the authenticator with Battle.net's own tools instead", typ)
	}
	secretText, err := battleNetUnmask(masked)
	if err != nil {
		return Result{}, fmt.Errorf("the Battle.net secret: %w", err)
	}
	secret, err := hex.DecodeString(secretText)
	if err != nil || len(secret) == 0 {
		return Result{}, errors.New("the Battle.net secret is damaged: unmasked, it is not hex (is the file from another version of the app?)")
	}
	var serial string
	if s, ok := prefs[battleNetSerialPref]; ok && strings.TrimSpace(s) != "" {
		if serial, err = battleNetUnmask(s); err != nil {
			return Result{}, fmt.Errorf("the Battle.net serial: %w", err)
		}
		for _, c := range serial {
			if c < 0x20 || c > 0x7e {
				return Result{}, errors.New("the Battle.net serial is damaged: unmasked, it is not text")
			}
		}
	}
	k := vault.Key{Params: vault.Params{Type: vault.TOTP, Issuer: "Battle.net", Name: serial, Algorithm: vault.SHA1, Digits: 8, Period: 30}, Secret: secret}
	k.Normalize()
	if err := k.Validate(); err != nil {
		return Result{}, fmt.Errorf("the Battle.net authenticator: %w", err)
	}
	return Result{Keys: []vault.Key{k}}, nil
}

// battleNetUnmask decodes the hex of a masked value and removes the mask.
func battleNetUnmask(s string) (string, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	switch {
	case err != nil:
		return "", errors.New("it is not hex")
	case len(b) == 0:
		return "", errors.New("it is empty")
	case len(b) > len(battleNetMask):
		return "", fmt.Errorf("it is longer (%d bytes) than the mask (%d)", len(b), len(battleNetMask))
	}
	for i := range b {
		b[i] ^= battleNetMask[i]
	}
	return string(b), nil
}
