package vault

import (
	"bytes"
	"testing"
)

// FuzzParseLockVerifier reads arbitrary text as the app lock's stored
// verifier (it comes from the keyring or the secrets file): what is
// accepted has costs within the bounds that keep a passphrase check short,
// and is written back by String as the same verifier.
func FuzzParseLockVerifier(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=4294967295,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2i$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLockVerifier(s)
		if err != nil {
			return
		}
		if l.Time == 0 || l.Time > maxKDFTime || l.Memory < 8 || l.Memory > maxKDFMemory || l.Threads == 0 || uint32(l.Threads) > maxKDFThreads {
			t.Fatalf("costs out of bounds accepted: %+v", l)
		}
		again, err := ParseLockVerifier(l.String())
		if err != nil || again.Time != l.Time || again.Memory != l.Memory || again.Threads != l.Threads || !bytes.Equal(again.Salt, l.Salt) || !bytes.Equal(again.Hash, l.Hash) {
			t.Fatalf("%q read back from %q as %+v, %v", s, l.String(), again, err)
		}
	})
}
