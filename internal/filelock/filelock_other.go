//go:build !unix

package filelock

import "os"

// Lock does nothing here: files are only locked between processes on unix systems
// (flock(2)).
func Lock(f *os.File, wait bool) error { return nil }

// Held reports nothing held here (see Lock).
func Held(f *os.File) bool { return false }
