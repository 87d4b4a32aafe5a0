package main

import (
	"errors"
	"testing"
)

func TestDecideStore(t *testing.T) {
	noKeyring := errors.New("no Secret Service")
	for _, tc := range []struct {
		flag, remembered string
		source           bool
		keyring          error
		want             storeStep
		store            string
	}{
		{"keyring", "", false, nil, storeOpen, "keyring"},
		{"keyring", "", false, noKeyring, storeNoKeyring, "keyring"},
		{"keyring", "file", false, noKeyring, storeAskFile, "file"},
		{"keyring", "file", true, noKeyring, storeOpen, "file"},
		{"file", "", false, nil, storeAskFile, "file"},
		{"file", "", true, noKeyring, storeOpen, "file"},
	} {
		asked := false
		step, store, err := decideStore(tc.flag, tc.remembered, tc.source, func() error { asked = true; return tc.keyring })
		if step != tc.want || store != tc.store {
			t.Errorf("%+v: step %d store %s, want %d %s", tc, step, store, tc.want, tc.store)
		}
		if step == storeNoKeyring && !errors.Is(err, noKeyring) {
			t.Errorf("%+v: error %v", tc, err)
		}
		if store == "file" && asked {
			t.Errorf("%+v: the keyring was asked for the file store", tc)
		}
	}
}
