package ckptfile

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// A model directory's checkpoints are written atomically: GoMLX's checkpoint.Handler
// writes into a staging directory, and only complete, fsynced files are renamed into place
// (a rename within one directory tree is atomic on POSIX file systems). A process killed
// mid-save leaves the previous checkpoint intact; the staging debris is cleared on the next
// save. A save that fails (a full disk) clears its debris at once and leaves the previous
// checkpoint the newest.

// StagingDirName is the staging directory inside a model directory.
const StagingDirName = ".staging"

// Saver saves a Store's variables into dir through a staging directory.
type Saver struct {
	dir, staging string
	keep         int
	handler      *checkpoint.Handler
}

// NewSaver prepares a Saver of store's variables into dir, keeping the newest keep
// checkpoints; it clears the debris of an interrupted save.
func NewSaver(store *model.Store, dir string, keep int) (*Saver, error) {
	staging := filepath.Join(dir, StagingDirName)
	if err := os.RemoveAll(staging); err != nil { // Debris of an interrupted save.
		return nil, fmt.Errorf("clearing %s: %w", staging, err)
	}
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", staging, err)
	}
	// The store's params are saved in the checkpoint's .json (ReadParam reads them back):
	// vaekit records there the settings the weights were trained with.
	h, err := checkpoint.Build(store).Dir(staging).Keep(-1).Done()
	if err != nil {
		return nil, fmt.Errorf("preparing checkpoints in %s: %w", dir, err)
	}
	return &Saver{dir: dir, staging: staging, keep: max(keep, 1), handler: h}, nil
}

var checkpointCountRE = regexp.MustCompile(`^checkpoint-n(\d+)-`)

// Save writes one checkpoint and moves it into place, then keeps only the newest `keep`.
// When it fails, nothing of the new checkpoint stays behind, in dir or in staging.
func (s *Saver) Save(step int) (err error) {
	defer func() {
		if err != nil {
			s.clearStaging()
		}
	}()
	if err := s.handler.Save(); err != nil {
		return fmt.Errorf("writing the checkpoint into %s: %w", s.staging, err)
	}
	staged, err := filepath.Glob(filepath.Join(s.staging, "checkpoint-*.json"))
	if err != nil || len(staged) != 1 {
		return fmt.Errorf("expected exactly one staged checkpoint in %s, found %d (%v)", s.staging, len(staged), err)
	}
	existing, err := List(s.dir)
	if err != nil {
		return err
	}
	next := 1
	for _, base := range existing {
		if m := checkpointCountRE.FindStringSubmatch(base); m != nil {
			if n, _ := strconv.Atoi(m[1]); n >= next {
				next = n + 1
			}
		}
	}
	// GoMLX's naming, so GoMLX's tools read vaekit directories too; sorted by name = by age.
	base := fmt.Sprintf("checkpoint-n%07d-%s-step-%08d", next, time.Now().Format("20060102-150405"), step)
	stagedBase := strings.TrimSuffix(staged[0], checkpoint.JsonNameSuffix)
	// The .bin first: a checkpoint is only listed (by its .json) once its data is in place.
	for _, suffix := range []string{checkpoint.BinDataSuffix, checkpoint.JsonNameSuffix} {
		if err := syncFile(stagedBase + suffix); err != nil {
			return err
		}
		if err := os.Rename(stagedBase+suffix, filepath.Join(s.dir, base+suffix)); err != nil {
			_ = os.Remove(filepath.Join(s.dir, base+checkpoint.BinDataSuffix)) // Unlisted without its .json.
			return fmt.Errorf("moving the checkpoint into %s: %w", s.dir, err)
		}
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	return prune(s.dir, s.keep)
}

// clearStaging removes what a failed save left in the staging directory, so that its
// space is free again and the next save stages exactly one checkpoint.
func (s *Saver) clearStaging() {
	entries, _ := os.ReadDir(s.staging)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(s.staging, e.Name()))
	}
}

// List returns the checkpoint base names in dir, oldest first.
func List(dir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "checkpoint-*"+checkpoint.JsonNameSuffix))
	if err != nil {
		return nil, err
	}
	var bases []string
	for _, m := range matches {
		bases = append(bases, strings.TrimSuffix(filepath.Base(m), checkpoint.JsonNameSuffix))
	}
	sort.Strings(bases)
	return bases, nil
}

// prune deletes all but the newest keep checkpoints: .json first, so a
// half-deleted checkpoint is never listed.
func prune(dir string, keep int) error {
	bases, err := List(dir)
	if err != nil || len(bases) <= keep {
		return err
	}
	for _, base := range bases[:len(bases)-keep] {
		for _, suffix := range []string{checkpoint.JsonNameSuffix, checkpoint.BinDataSuffix} {
			if err := os.Remove(filepath.Join(dir, base+suffix)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("removing an old checkpoint: %w", err)
			}
		}
	}
	return nil
}

// The saver's writes that a full disk makes fail: the write itself, or the fsync that
// allocates the blocks a file system had delayed. Tests replace them to inject failures.
var (
	WriteFileData = (*os.File).Write
	SyncFileData  = (*os.File).Sync
)

// WriteFileAtomic writes data to path through a temporary file in the same directory.
func WriteFileAtomic(path string, data []byte) error { return writeFileAtomic(path, data, nil) }

// WriteFileAtomicMode is WriteFileAtomic for a file that gets mode (the temporary file
// is private, 0600, until then): a user's output file keeps the mode it had.
func WriteFileAtomicMode(path string, data []byte, mode fs.FileMode) error {
	return writeFileAtomic(path, data, &mode)
}

func writeFileAtomic(path string, data []byte, mode *fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // No-op after a successful rename.
	if _, err = WriteFileData(tmp, data); err == nil {
		err = SyncFileData(tmp)
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil && mode != nil {
		err = os.Chmod(tmp.Name(), *mode)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// WriteJSONAtomic writes v as indented JSON to path, atomically (WriteFileAtomic).
func WriteJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(data, '\n'))
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	defer f.Close()
	if err := SyncFileData(f); err != nil {
		return fmt.Errorf("syncing %s to disk: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	_ = d.Sync() // Not supported everywhere; the renames are still atomic.
	return nil
}

// Dir is the model directory the Saver writes to.
func (s *Saver) Dir() string { return s.dir }
