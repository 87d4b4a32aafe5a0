package main

import (
	"errors"
	"io"
)

// cmdUsage prints the usage report.
func cmdUsage(args []string, stdout io.Writer) error {
	return errors.New("usage: not built yet")
}
