package telephony

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sync"
)

// fileGateway appends every message to a file as one JSON line and sends
// nothing: for tests, demos and trying the phone methods out.
type fileGateway struct {
	path string
	mu   sync.Mutex // one line at a time
}

// fileLine is one line of a file gateway's file.
type fileLine struct {
	Kind   Kind   `json:"kind"`
	To     string `json:"to"`
	Body   string `json:"body"`
	ID     string `json:"id"`
	Script string `json:"script,omitempty"`
}

// newFileGateway checks that path can be appended to (creating it 0600)
// and that nobody else can read it: it will hold sign-in codes.
func newFileGateway(path string) (*fileGateway, error) {
	if path == "" {
		return nil, fmt.Errorf("telephony file: no path: write file:PATH, like file:/var/lib/countersign/phone.jsonl")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("telephony file: %w; check that the directory exists and the server may write there", err)
	}
	info, err := f.Stat()
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("telephony file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("telephony file %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("telephony file %s can be read by others (mode %#o) and will hold sign-in codes: chmod 600 it", path, info.Mode().Perm())
	}
	return &fileGateway{path: path}, nil
}

// Send appends m as one JSON line, {"kind","to","body","id"} and, for a
// call, "script", in a single write.
func (g *fileGateway) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("telephony file: message %s not written: %w", m.ID, err)
	}
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fileLine{Kind: m.Kind, To: m.To, Body: m.Body, ID: m.ID, Script: m.Script}); err != nil {
		return fmt.Errorf("telephony file: message %s: %w", m.ID, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	f, err := os.OpenFile(g.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("telephony file: message %s: %w", m.ID, err)
	}
	_, err = f.Write(line.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("telephony file: message %s: %w", m.ID, err)
	}
	return nil
}

// Describe says loudly that nothing is sent.
func (g *fileGateway) Describe() string {
	return "file " + g.path + ": NOTHING IS REALLY SENT, every text and call is written to this file (for testing only)"
}
