package instance

import "errors"

var (
	// errBusy: another process holds the lock.
	errBusy = errors.New("the lock is held by another process")
	// errNoLocks: the file system or platform has no file locks.
	errNoLocks = errors.New("no file locks here")
)
