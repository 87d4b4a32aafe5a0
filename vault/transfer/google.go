package transfer

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/countersign/countersign/vault"
)

// GoogleBatchSize is how many accounts one export QR code holds, small
// enough for a phone to scan from a screen.
const GoogleBatchSize = 10

// GoogleSplit parts keys into those Google Authenticator can hold and
// those it cannot, each named with the reason (e.g. "Google Authenticator
// does not support steam codes").
func GoogleSplit(keys []vault.Key) (keep []vault.Key, left []Skipped) {
	for _, k := range keys {
		err := vault.CanMigrate(k)
		if err == nil {
			keep = append(keep, k)
			continue
		}
		reason := err.Error()
		if fe, ok := errors.AsType[*vault.FieldError](err); ok {
			reason = fe.Problem
		}
		left = append(left, Skipped{Label: k.Label(), Reason: reason})
	}
	return keep, left
}

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

// decodeGoogle reads export URIs, one per line. The lines may come from
// several exports (each export is a set of batches with one batch id): an
// export whose batches are all there is imported; one with batches missing
// is reported in Skipped, and its accounts are left out. The same batch
// given twice (a QR code scanned twice) counts once.
func decodeGoogle(data []byte) (Result, error) {
	ls, nums, err := lines(data)
	if err != nil {
		return Result{}, err
	}
	if len(ls) == 0 {
		return Result{}, fmt.Errorf("no otpauth-migration:// URI found")
	}
	type export struct {
		id, size int
		batches  map[int]string // batch index -> the line
		keys     map[int][]vault.Key
	}
	var exports []*export
	for i, line := range ls {
		if !strings.HasPrefix(strings.ToLower(line), "otpauth-migration://") {
			return Result{}, fmt.Errorf("line %d is not an otpauth-migration:// URI; nothing was imported", nums[i])
		}
		m, err := vault.ParseMigrationURI(line)
		if err != nil {
			return Result{}, fmt.Errorf("line %d: %w; nothing was imported", nums[i], err)
		}
		size := max(m.BatchSize, 1)
		var e *export
		for _, x := range exports {
			if x.id == m.BatchID && x.size == size {
				e = x
			}
		}
		if e == nil {
			e = &export{id: m.BatchID, size: size, batches: map[int]string{}, keys: map[int][]vault.Key{}}
			exports = append(exports, e)
		}
		if m.BatchIndex < 0 || m.BatchIndex >= size {
			return Result{}, fmt.Errorf("line %d is batch %d of an export of %d; nothing was imported", nums[i], m.BatchIndex+1, size)
		}
		if prev, ok := e.batches[m.BatchIndex]; ok {
			if prev == line {
				continue // the same QR code, scanned twice
			}
			return Result{}, fmt.Errorf("line %d is another batch %d of %d of the same export; nothing was imported", nums[i], m.BatchIndex+1, size)
		}
		e.batches[m.BatchIndex], e.keys[m.BatchIndex] = line, m.Keys
	}
	var r Result
	for n, e := range exports {
		var missing []string
		for b := range e.size {
			if _, ok := e.batches[b]; !ok {
				missing = append(missing, fmt.Sprint(b+1))
			}
		}
		if len(missing) > 0 {
			label := "export"
			if len(exports) > 1 {
				label = fmt.Sprintf("export %d of %d", n+1, len(exports))
			}
			accounts := 0
			for _, ks := range e.keys {
				accounts += len(ks)
			}
			what := fmt.Sprintf("QR code %s of %d is missing", missing[0], e.size)
			if len(missing) > 1 {
				what = fmt.Sprintf("QR codes %s of %d are missing", strings.Join(missing, ", "), e.size)
			}
			r.Skipped = append(r.Skipped, Skipped{Label: label, Reason: fmt.Sprintf("%s, so its %d account(s) were left out: scan every QR code of that export", what, accounts)})
			continue
		}
		for b := range e.size {
			r.Keys = append(r.Keys, e.keys[b]...)
		}
	}
	if len(r.Keys) == 0 && len(r.Skipped) > 0 {
		return Result{}, fmt.Errorf("%s: %s; nothing was imported", r.Skipped[0].Label, r.Skipped[0].Reason)
	}
	return r, nil
}
