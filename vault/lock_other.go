//go:build !unix && !windows

package vault

import "os"

// lockFile is a no-op where the platform has no file locks: one process only.
func lockFile(*os.File) error { return nil }

// unlockFile is a no-op where the platform has no file locks.
func unlockFile(*os.File) error { return nil }

// isSyncUnsupported treats every directory sync error as unsupported here.
func isSyncUnsupported(error) bool { return true }
