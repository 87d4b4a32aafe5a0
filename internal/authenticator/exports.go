package authenticator

import (
	"fmt"

	"github.com/countersign/countersign/vault"
	"github.com/countersign/countersign/vault/transfer"
)

// Export is what an export of some accounts writes: the keys, and the
// accounts the format cannot hold, left out with the reason.
type Export struct {
	Keys    []vault.Key
	LeftOut []transfer.Skipped
}

// CollectExport reads the keys of accounts from v, in order, for an export
// to format, and leaves out those the format cannot hold (Steam or HOTP
// accounts in a Google Authenticator export, say). All may be left out:
// the caller says so, naming them (see Export.LeftOut).
func CollectExport(v *vault.Vault, accounts []vault.Account, format transfer.Format) (Export, error) {
	keys := make([]vault.Key, 0, len(accounts))
	for _, a := range accounts {
		k, err := v.Key(a.ID)
		if err != nil {
			return Export{}, fmt.Errorf("reading the secret of %s: %w", a.Label(), err)
		}
		keys = append(keys, k)
	}
	var e Export
	if format == transfer.Google {
		e.Keys, e.LeftOut = transfer.GoogleSplit(keys)
	} else {
		e.Keys = keys
	}
	return e, nil
}
