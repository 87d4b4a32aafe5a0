package telephony

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Parse reads the --telephony flag: "file:PATH", "webhook:CONFIG.json" or
// "exec:PROGRAM", and checks what it names now (the file can be written,
// the config is valid, the program exists), so that a mistake shows at
// startup rather than at the first sign-in.
func Parse(spec string) (Gateway, error) {
	kind, arg, found := strings.Cut(spec, ":")
	if !found {
		return nil, fmt.Errorf("telephony %q: want file:PATH, webhook:CONFIG.json or exec:PROGRAM", limit(spec, 80))
	}
	switch kind {
	case "file":
		return newFileGateway(arg)
	case "exec":
		return newExecGateway(arg)
	case "webhook":
		if arg == "" {
			return nil, fmt.Errorf("telephony webhook: no config file: write webhook:CONFIG.json")
		}
		data, err := readBounded(arg, maxWebhookConfig)
		if err != nil {
			return nil, fmt.Errorf("telephony webhook: %w", err)
		}
		g, err := parseWebhookConfig(data, os.LookupEnv)
		if err != nil {
			return nil, fmt.Errorf("telephony webhook config %s: %w", arg, err)
		}
		g.source = arg
		return g, nil
	default:
		return nil, fmt.Errorf("telephony %q: unknown kind %q; want file:PATH, webhook:CONFIG.json or exec:PROGRAM", limit(spec, 80), limit(kind, 20))
	}
}

// readBounded reads a file of at most max bytes.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is more than %d bytes: is it the right file?", path, max)
	}
	return data, nil
}
