package transfer

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/countersign/countersign/vault"
)

// GoogleBatchSize is how many accounts one export QR code holds, small
// enough for a phone to scan from a screen.
const GoogleBatchSize = 10

// GoogleBatches encodes keys as Google Authenticator export URIs, perBatch
// accounts each, sharing a random batch id. Keys Google Authenticator
// cannot hold (Steam, 7 digits, periods other than 30 s…) are refused with
// an error naming them.
func GoogleBatches(keys []vault.Key, perBatch int) ([]string, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("no account to export")
	}
	perBatch = max(1, perBatch)
	var idb [4]byte
	rand.Read(idb[:])
	id := int(int32(binary.BigEndian.Uint32(idb[:]) >> 1))
	size := (len(keys) + perBatch - 1) / perBatch
	var uris []string
	for i := 0; i < len(keys); i += perBatch {
		uri, err := vault.MigrationURI(vault.Migration{Keys: keys[i:min(i+perBatch, len(keys))], Version: 1, BatchSize: size, BatchIndex: i / perBatch, BatchID: id})
		if err != nil {
			return nil, err
		}
		uris = append(uris, uri)
	}
	return uris, nil
}

// decodeGoogle reads export URIs, one per line: every batch of the export
// must be there, once.
func decodeGoogle(data []byte) (Result, error) {
	ls, nums, err := lines(data)
	if err != nil {
		return Result{}, err
	}
	if len(ls) == 0 {
		return Result{}, fmt.Errorf("no otpauth-migration:// URI found")
	}
	var r Result
	seen := map[int]bool{}
	var size, id int
	for i, line := range ls {
		if !strings.HasPrefix(strings.ToLower(line), "otpauth-migration://") {
			return Result{}, fmt.Errorf("line %d is not an otpauth-migration:// URI; nothing was imported", nums[i])
		}
		m, err := vault.ParseMigrationURI(line)
		if err != nil {
			return Result{}, fmt.Errorf("line %d: %w; nothing was imported", nums[i], err)
		}
		if i == 0 {
			size, id = m.BatchSize, m.BatchID
		} else if m.BatchID != id || m.BatchSize != size {
			return Result{}, fmt.Errorf("line %d belongs to another export (batch id %d, not %d); import one export at a time", nums[i], m.BatchID, id)
		}
		if seen[m.BatchIndex] {
			return Result{}, fmt.Errorf("line %d repeats batch %d of %d", nums[i], m.BatchIndex+1, max(size, 1))
		}
		seen[m.BatchIndex] = true
		r.Keys = append(r.Keys, m.Keys...)
	}
	for b := 0; b < size; b++ {
		if !seen[b] {
			return Result{}, fmt.Errorf("batch %d of %d is missing: scan every QR code of the export; nothing was imported", b+1, size)
		}
	}
	return r, nil
}
