package vault

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// indexVersion is the version of the index file format.
const indexVersion = 1

// maxIndexSize bounds the index file read from disk.
const maxIndexSize = 64 << 20

// index is the content of accounts.json: the accounts' metadata, in the
// user's order, and the ids whose secrets may be orphans (see Vault).
// It never holds a secret.
type index struct {
	Version  int       `json:"version"`
	Accounts []Account `json:"accounts"`
	// Pending lists ids whose secret is being written or deleted. An id
	// still here on open, with no account, names an orphan secret.
	Pending []string `json:"pending,omitempty"`
}

// fileStamp identifies one version of a file, to notice changes by others.
type fileStamp struct {
	modTime time.Time
	size    int64
}

func stampOf(fi fs.FileInfo) fileStamp { return fileStamp{fi.ModTime(), fi.Size()} }

// parseIndex decodes and checks an index file.
func parseIndex(data []byte) (index, error) {
	var ix index
	if err := json.Unmarshal(data, &ix); err != nil {
		return index{}, fmt.Errorf("the index is not valid JSON: %w", err)
	}
	if ix.Version != indexVersion {
		return index{}, fmt.Errorf("the index has version %d; this Countersign reads version %d (update the app)", ix.Version, indexVersion)
	}
	seen := make(map[string]bool, len(ix.Accounts))
	for i, a := range ix.Accounts {
		if a.ID == "" || seen[a.ID] {
			return index{}, fmt.Errorf("account %d has a missing or repeated id", i+1)
		}
		seen[a.ID] = true
		if err := a.Params.Validate(); err != nil {
			return index{}, fmt.Errorf("account %s: %w", a.ID, err)
		}
	}
	return ix, nil
}

// readIndex reads the index at path; a missing file is an empty index.
func readIndex(path string) (index, fileStamp, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return index{Version: indexVersion}, fileStamp{}, nil
	}
	if err != nil {
		return index{}, fileStamp{}, fmt.Errorf("reading the account index: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return index{}, fileStamp{}, fmt.Errorf("reading the account index: %w", err)
	}
	if fi.Size() > maxIndexSize {
		return index{}, fileStamp{}, fmt.Errorf("the account index %s is too large (%d bytes)", path, fi.Size())
	}
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil && fi.Size() > 0 {
		return index{}, fileStamp{}, fmt.Errorf("reading the account index: %w", err)
	}
	ix, err := parseIndex(data)
	if err != nil {
		return index{}, fileStamp{}, fmt.Errorf("%s is damaged: %w; restore it from a backup", path, err)
	}
	return ix, stampOf(fi), nil
}

// writeIndex replaces the index at path atomically and returns its new stamp.
func writeIndex(path string, ix index) (fileStamp, error) {
	ix.Version = indexVersion
	if ix.Accounts == nil {
		ix.Accounts = []Account{}
	}
	data, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return fileStamp{}, fmt.Errorf("encoding the account index: %w", err)
	}
	if err := writeFileAtomic(path, append(data, '\n')); err != nil {
		return fileStamp{}, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, fmt.Errorf("writing the account index: %w", err)
	}
	return stampOf(fi), nil
}
