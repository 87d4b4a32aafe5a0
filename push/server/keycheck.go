package server

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/countersign/countersign/push/store"
)

// settingKeyCheck holds a check value of the server's keys (keyCheck). Every
// instance sharing a PostgreSQL database must hold the same key files: an
// instance given a --data without them would make new keys, sign what no
// device trusts, and fail to open the seeds the others sealed.
const settingKeyCheck = "key_check"

// keyCheck is a value that the keys determine and that reveals neither:
// the signing key's public half hashed, and an HMAC under the seal key.
func (k keys) keyCheck() string {
	pub := k.sign.Public().(ed25519.PublicKey)
	id := sha256.Sum256(pub)
	mac := hmac.New(sha256.New, k.seal)
	mac.Write([]byte("countersign key check\x00"))
	mac.Write(pub)
	return "v1:" + hex.EncodeToString(id[:8]) + ":" + hex.EncodeToString(mac.Sum(nil))
}

// checkKeysMatchDatabase records the keys' check value in a PostgreSQL
// database at the first start, and afterwards refuses keys that do not
// match it. (A SQLite database has one data directory: its keys.)
func checkKeysMatchDatabase(st *store.Store, k keys, dataDir string) error {
	if !st.Postgres() {
		return nil
	}
	mine := k.keyCheck()
	stored, err := st.SettingOnce(settingKeyCheck, mine)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(stored), []byte(mine)) {
		return fmt.Errorf("the key files in %s (%s, %s) are not those of this database, which other instances use: copy both files from the --data of a working instance into %s, replacing these", dataDir, signKeyFile, sealKeyFile, dataDir)
	}
	return nil
}
