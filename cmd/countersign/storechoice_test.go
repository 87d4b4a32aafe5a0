package main

import (
	"errors"
	"testing"
)

func TestDecideStore(t *testing.T) {
	noKeyring := errors.New("no Secret Service")
	for _, tc := range []struct {
		asked, remembered string
		source            bool
		keyring           error
		want              storeStep
		store             string
	}{
		{"", "", false, nil, storeOpen, "keyring"},
		{"", "", false, noKeyring, storeNoKeyring, "keyring"},
		{"", "file", false, noKeyring, storeAskFile, "file"},
		{"", "file", true, noKeyring, storeOpen, "file"},
		{"keyring", "", false, nil, storeOpen, "keyring"},
		{"keyring", "file", false, nil, storeOpen, "keyring"}, // asked for: wins over the remembered file store
		{"keyring", "file", false, noKeyring, storeNoKeyring, "keyring"},
		{"file", "", false, nil, storeAskFile, "file"},
		{"file", "", true, noKeyring, storeOpen, "file"},
	} {
		keyringAsked := false
		step, store, err := decideStore(tc.asked, tc.remembered, tc.source, func() error { keyringAsked = true; return tc.keyring })
		if step != tc.want || store != tc.store {
			t.Errorf("%+v: step %d store %s, want %d %s", tc, step, store, tc.want, tc.store)
		}
		if step == storeNoKeyring && !errors.Is(err, noKeyring) {
			t.Errorf("%+v: error %v", tc, err)
		}
		if store == "file" && keyringAsked {
			t.Errorf("%+v: the keyring was asked for the file store", tc)
		}
	}
}
