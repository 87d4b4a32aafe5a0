package main

import (
	"fmt"
	"io"
	"strings"
)

// recoveryCodesJSON is user recovery-codes --json.
type recoveryCodesJSON struct {
	User  string   `json:"user"`
	Codes []string `json:"codes"`
}

// cmdUserRecoveryCodes makes a user's ten recovery codes, replacing any
// former ones, and prints them: the only time they are shown.
//
//	countersignd user recovery-codes NAME [--json]
func cmdUserRecoveryCodes(args []string, stdout io.Writer) error {
	fs, data := newFlags("user recovery-codes")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args, 1, "a user name: countersignd user recovery-codes NAME")
	if err != nil {
		return err
	}
	srv, err := openAdmin(*data, true, "")
	if err != nil {
		return err
	}
	defer srv.Close()
	codes, err := srv.NewRecoveryCodes(pos[0], "cli")
	if err != nil {
		return fmt.Errorf("making recovery codes: %w", err)
	}
	if *asJSON {
		return writeJSON(stdout, recoveryCodesJSON{User: pos[0], Codes: codes})
	}
	fmt.Fprintf(stdout, "recovery codes of %s (each works once, where an app code goes; any former codes no longer work):\n%s\n", pos[0], strings.Join(codes, "\n"))
	fmt.Fprintf(stdout, "give them to %s now: they are stored only as hashes and cannot be shown again\n", pos[0])
	return nil
}
