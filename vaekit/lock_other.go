//go:build !unix

package vaekit

import (
	"errors"
	"os"
)

// errLocked is lockFile's error when another process holds the lock.
var errLocked = errors.New("locked by another process")

// lockFile does nothing here: model directories are only coordinated between processes
// on unix systems (flock(2)).
func lockFile(f *os.File, wait bool) error { return nil }
