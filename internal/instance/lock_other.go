//go:build !unix && !windows

package instance

import "os"

// tryLock: this platform has no file locks.
func tryLock(*os.File) error { return errNoLocks }

// isPrivateDir tells whether dir is a directory.
func isPrivateDir(dir string) bool {
	fi, err := os.Lstat(dir)
	return err == nil && fi.IsDir()
}
