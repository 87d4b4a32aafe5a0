//go:build !unix

package main

import "os"

// inForeground is false where there is no /dev/tty to ask on.
func inForeground(*os.File) bool { return false }
