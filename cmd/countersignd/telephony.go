package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/countersign/countersign/push/telephony"
)

// callbackSecretFile holds the key the telephony gateway signs its
// callbacks with (HMAC-SHA256), beside the server's other keys: 64 hex
// digits, used as written (the text is the key, as openssl -hmac takes it).
const callbackSecretFile = "telephony-callback.key"

// telephonyCallbackSecret reads the gateway's callback key from the data
// directory, making it (owner-only) on first use.
func telephonyCallbackSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, callbackSecretFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		rand.Read(key)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("creating the telephony callback key %s: %w", path, err)
		}
		if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("writing the telephony callback key %s: %w", path, err)
		}
		return []byte(hex.EncodeToString(key)), f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("reading the telephony callback key: %w", err)
	}
	key := strings.TrimSpace(string(data))
	if _, err := hex.DecodeString(key); err != nil || len(key) < 32 {
		return nil, fmt.Errorf("the telephony callback key %s is damaged (want at least 32 hex digits); delete it to make a new one, and give the new one to the gateway", path)
	}
	return []byte(key), nil
}

// logTelephony says at start what the gateway does; loudly when nothing
// really reaches a phone.
func logTelephony(logger *slog.Logger, g telephony.Gateway, keyPath string, countries []string) {
	allowed := "the countries of the users' stored numbers"
	if len(countries) > 0 {
		allowed = strings.Join(countries, ",")
	}
	attrs := []any{"gateway", g.Describe(), "callback_key", keyPath, "countries", allowed}
	if strings.HasPrefix(g.Describe(), "file") {
		logger.Warn("TELEPHONY IS A FILE: nothing is really sent to any phone; text messages and calls are written to the file (for tests and trying the server out)", attrs...)
		return
	}
	logger.Info("telephony gateway", attrs...)
}
