package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vaekit/vaekit/internal/ckptfile"
	"github.com/vaekit/vaekit/internal/dirlock"
	"github.com/vaekit/vaekit/vaekit"
)

// train creates its model directory (and any missing parent) and the lock file in it
// before it loads the data and trains. When the run fails before anything else is
// written there (data that cannot be read, a first step that diverges), it removes what
// it made, so that a failed first training leaves no directory holding only ".lock".
// Nothing else is ever removed: not a directory that existed before the run, nor one
// that holds anything else.

// dirState is what existed of a model directory before a run.
type dirState struct {
	dir     string
	created []string // The directories the run will create, deepest first.
	hadLock bool     // dir had a lock file: an earlier run's directory.
}

// dirBefore records what exists of dir now.
func dirBefore(dir string) dirState {
	s := dirState{dir: dir}
	if dir == "" {
		return s
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		s.created = append(s.created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	_, err := os.Lstat(filepath.Join(dir, dirlock.FileName))
	s.hadLock = err == nil
	return s
}

// tidy removes, after a failed run, the lock file and empty staging directory it left in
// dir, and the directories it created, if they hold nothing else.
func (s dirState) tidy() {
	if s.dir == "" || s.hadLock {
		return
	}
	if _, err := os.Lstat(s.dir); err != nil {
		return // The run failed before creating it.
	}
	if _, err := os.Lstat(filepath.Join(s.dir, dirlock.FileName)); err != nil {
		return // The run failed before locking it: it left nothing there (and locking now would).
	}
	lock, err := vaekit.LockModelDir(s.dir) // Held while removing: no other run is at work there.
	if err != nil {
		return
	}
	defer lock.Unlock()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Name() != dirlock.FileName && e.Name() != ckptfile.StagingDirName {
			return // Something was written: a config.json, a checkpoint.
		}
	}
	if err := os.Remove(filepath.Join(s.dir, ckptfile.StagingDirName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return // Not empty.
	}
	if err := os.Remove(filepath.Join(s.dir, dirlock.FileName)); err != nil {
		return
	}
	for _, d := range s.created {
		if os.Remove(d) != nil {
			return
		}
	}
}
