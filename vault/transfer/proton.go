package transfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/countersign/countersign/vault"
)

// Proton Authenticator exports JSON (version 1):
//
//	{"version": 1, "entries": [{"id": "...", "note": null,
//	  "content": {"uri": "otpauth://totp/...", "entry_type": "Totp", "name": "Mason"}}]}
//
// A Totp entry's uri is an otpauth:// URI with every parameter; a Steam
// entry's is steam://SECRET, the secret in base32 or (older versions)
// base64. The name is the one shown in the app. A password-protected
// export ({"version", "salt", "content"}) is not read: export again
// without a password.

const maxProtonEntries = 10000

type protonExport struct {
	Version *int          `json:"version"`
	Entries []protonEntry `json:"entries"`
	Salt    *string       `json:"salt"`
	Content *string       `json:"content"`
}

type protonEntry struct {
	Content *struct {
		URI       *string `json:"uri"`
		EntryType *string `json:"entry_type"`
		Name      string  `json:"name"`
	} `json:"content"`
	Note *string `json:"note"`
}

func init() {
	register(importer{format: "proton", app: "Proton Authenticator", sniff: sniffProton, decode: decodeProton})
}

func sniffProton(data []byte) (ok, encrypted bool) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' || !bytes.Contains(trimmed, []byte(`"entry_type"`)) {
		return false, false
	}
	var f protonExport
	if json.Unmarshal(trimmed, &f) != nil || f.Version == nil || len(f.Entries) == 0 {
		return false, false
	}
	for _, e := range f.Entries {
		if e.Content == nil || e.Content.URI == nil || e.Content.EntryType == nil {
			return false, false
		}
	}
	return true, false
}

func decodeProton(data, _ []byte) (Result, error) {
	var f protonExport
	if err := json.Unmarshal(bytes.TrimSpace(data), &f); err != nil {
		return Result{}, fmt.Errorf("reading the Proton Authenticator export: %s", ixJSONProblem(err))
	}
	switch {
	case f.Entries == nil && f.Salt != nil && f.Content != nil:
		return Result{}, errors.New("this Proton Authenticator export is protected by a password, which Countersign does not read: export again without a password (and delete that file after the import)")
	case f.Version == nil || f.Entries == nil:
		return Result{}, errors.New("this is not a Proton Authenticator export (no version or entries)")
	case *f.Version != 1:
		return Result{}, fmt.Errorf("Proton Authenticator export version %d is not supported (only 1)", *f.Version)
	case len(f.Entries) > maxProtonEntries:
		return Result{}, fmt.Errorf("the export holds more than %d entries", maxProtonEntries)
	}
	var r Result
	notes := false
	for i, e := range f.Entries {
		if e.Content == nil || e.Content.URI == nil || e.Content.EntryType == nil {
			return Result{}, fmt.Errorf("Proton Authenticator entry %d has no uri or entry_type; nothing was imported", i+1)
		}
		name := strings.TrimSpace(e.Content.Name)
		label := name
		if label == "" {
			label = fmt.Sprintf("entry %d", i+1)
		}
		fail := func(err error) (Result, error) {
			return Result{}, fmt.Errorf("Proton Authenticator entry %d (%s): %w; nothing was imported", i+1, label, err)
		}
		var k vault.Key
		switch typ := *e.Content.EntryType; {
		case strings.EqualFold(typ, "Totp"):
			var err error
			if k, err = vault.ParseURI(*e.Content.URI); err != nil {
				return fail(err)
			}
			if name != "" {
				k.Name = name
			}
		case strings.EqualFold(typ, "Steam"):
			secret, err := protonSteamSecret(*e.Content.URI)
			if err != nil {
				return fail(err)
			}
			k = vault.Key{Params: vault.Params{Type: vault.Steam, Issuer: "Steam", Name: name}, Secret: secret}
		default:
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: fmt.Sprintf("Countersign does not know Proton's %.30q entries", typ)})
			continue
		}
		k.Normalize()
		if err := k.Validate(); err != nil {
			return fail(err)
		}
		r.Keys = append(r.Keys, k)
		if e.Note != nil && strings.TrimSpace(*e.Note) != "" {
			notes = true
		}
	}
	if notes {
		r.Skipped = append(r.Skipped, Skipped{Label: "Proton Authenticator notes", Reason: "Countersign does not keep them; the accounts are imported without them"})
	}
	if len(r.Keys) == 0 && len(r.Skipped) == 0 {
		return Result{}, errors.New("the Proton Authenticator export holds no entries")
	}
	return r, nil
}

// protonSteamSecret reads steam://SECRET: base32 if it is all base32
// letters (as Proton reads it), else base64.
func protonSteamSecret(uri string) ([]byte, error) {
	uri = strings.TrimSpace(uri)
	if len(uri) < len("steam://") || !strings.EqualFold(uri[:len("steam://")], "steam://") {
		return nil, errors.New("a Steam entry's uri does not start with steam://")
	}
	s := strings.TrimSuffix(uri[len("steam://"):], "/")
	if s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == "" {
		return vault.DecodeSecret(s)
	}
	return steamSecret(s)
}
