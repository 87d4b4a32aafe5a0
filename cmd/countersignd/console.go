package main

import (
	"errors"
	"io"
)

// cmdAdmin manages the administrators of the web console.
func cmdAdmin(args []string, stdout, stderr io.Writer) error {
	return errors.New("admin: not built yet")
}
