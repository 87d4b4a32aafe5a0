package main

import (
	"fmt"

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
				firstErr = fmt.Errorf("%s: %w", f, err)
			}
			continue
		}
		for _, t := range texts {
			fmt.Fprintln(c.stdout, t)
		}
	}
	return firstErr
}
