package main

import (
	"fmt"

	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/scanner"
)

// cmdScan prints the text of every QR code found in the files, one per line.
// Every file is read; the first failure is reported after the others' codes.
func cmdScan(c *cli, cmd *command, args []string) error {
	fs := c.flags(cmd)
	files, err := c.parse(fs, cmd, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageErrorf("scan: give one or more image files (PNG, JPEG, GIF, WebP)")
	}
	var firstErr error
	for _, f := range files {
		texts, err := scanner.DecodeFile(f)
		if err != nil {
			if firstErr == nil {
				firstErr = err // it names the file
			}
			continue
		}
		// The text is the QR code's, anything its maker chose: without
		// control characters it cannot rewrite the terminal, and without
		// line breaks it stays one line. (otpauth URIs have none of them.)
		for _, t := range texts {
			fmt.Fprintln(c.stdout, textsafe.Clean(t))
		}
	}
	return firstErr
}
