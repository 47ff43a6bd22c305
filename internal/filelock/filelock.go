// Package filelock takes advisory, exclusive locks on files between processes: flock(2)
// on unix. The lock belongs to the open file, so the kernel drops it when the file is
// closed or the process ends, however it ends: a killed process leaves no stale lock.
package filelock

import "errors"

// ErrLocked is Lock's error when another process holds the lock and wait is false.
var ErrLocked = errors.New("locked by another process")
