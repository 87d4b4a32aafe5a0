package authenticator

import (
	"fmt"
	"slices"

	"github.com/countersign/countersign/vault"
	"github.com/countersign/countersign/vault/transfer"
)

// ImportEntry is one account of an imported file, and whether it is new.
type ImportEntry struct {
	Key vault.Key
	// InVault is the account of the vault that Key is (vault.Key.SameAccount);
	// zero unless Duplicate.
	InVault vault.Account
	// Duplicate: Key is already in the vault, or TwiceInFile.
	Duplicate bool
	// TwiceInFile: Key is the same account as one before it in the file
	// (and not in the vault).
	TwiceInFile bool
}

// ImportPlan is what an import would do, said before it is done: each
// account of the file, new or duplicate, and what the file held that
// cannot be kept.
type ImportPlan struct {
	Format  transfer.Format
	Entries []ImportEntry
	Skipped []transfer.Skipped
}

// New returns the keys of the plan that are not duplicates, in file order.
func (p ImportPlan) New() []vault.Key {
	var out []vault.Key
	for _, e := range p.Entries {
		if !e.Duplicate {
			out = append(out, e.Key)
		}
	}
	return out
}

// Duplicates counts the entries already in the vault or twice in the file.
func (p ImportPlan) Duplicates() int { return len(p.Entries) - len(p.New()) }

// PlanKeys says, for each of keys, whether it is new to v or a duplicate:
// of an account of v, or of a key before it in keys. v is not changed.
func PlanKeys(v *vault.Vault, keys []vault.Key) ([]ImportEntry, error) {
	entries := make([]ImportEntry, 0, len(keys))
	for i, k := range keys {
		e := ImportEntry{Key: k}
		dup, ok, err := v.Duplicate(k)
		if err != nil {
			return nil, fmt.Errorf("comparing %s with the vault: %w", k.Label(), err)
		}
		switch {
		case ok:
			e.Duplicate, e.InVault = true, dup
		case slices.ContainsFunc(keys[:i], k.SameAccount):
			e.Duplicate, e.TwiceInFile = true, true
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// DecodeImport reads data, an export of format (an empty format: detected),
// opened with password if it is encrypted, and plans its import into v.
// A wrong password is transfer.ErrWrongPassphrase.
func DecodeImport(v *vault.Vault, format transfer.Format, data, password []byte) (ImportPlan, error) {
	if format == "" {
		d, err := transfer.Detect(data)
		if err != nil {
			return ImportPlan{}, err
		}
		format = d.Format
	}
	r, err := transfer.Decode(format, data, password)
	if err != nil {
		return ImportPlan{}, err
	}
	return PlanImport(v, format, r)
}

// PlanImport plans the import into v of r, a decoded export of format.
func PlanImport(v *vault.Vault, format transfer.Format, r transfer.Result) (ImportPlan, error) {
	entries, err := PlanKeys(v, r.Keys)
	if err != nil {
		return ImportPlan{}, err
	}
	return ImportPlan{Format: format, Entries: entries, Skipped: r.Skipped}, nil
}

// ApplyImport adds the chosen keys (normally among a plan's New ones) to
// v: all, or none when one cannot be added. Choosing none adds nothing.
func ApplyImport(v *vault.Vault, chosen []vault.Key) ([]vault.Account, error) {
	if len(chosen) == 0 {
		return nil, nil
	}
	return v.AddAll(chosen)
}
