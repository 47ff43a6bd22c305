package vaekit

import (
	"encoding/json"
	"fmt"
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

// A model directory holds:
//
//	config.json                  the Config and image size (modelFile)
//	history.json                 the training curve ([]Record)
//	checkpoint-n*-step-*.{json,bin}  GoMLX checkpoints: weights, optimizer state, global step
//
// Every file is written atomically: GoMLX's checkpoint.Handler writes into a staging
// directory, and only complete, fsynced files are renamed into place (a rename within one
// directory tree is atomic on POSIX file systems). A process killed mid-save leaves the
// previous checkpoint intact; the staging debris is cleared on the next save.

const (
	configFileName  = "config.json"
	historyFileName = "history.json"
	stagingDirName  = ".staging"
	modelFileFormat = 1
)

// modelFile is the content of config.json.
type modelFile struct {
	Format int    `json:"format"`
	Config Config `json:"config"`
	Height int    `json:"height"`
	Width  int    `json:"width"`
}

// atomicSaver saves a Store's variables into dir through a staging directory.
type atomicSaver struct {
	dir, staging string
	keep         int
	handler      *checkpoint.Handler
}

func newAtomicSaver(store *model.Store, dir string, keep int) (*atomicSaver, error) {
	staging := filepath.Join(dir, stagingDirName)
	if err := os.RemoveAll(staging); err != nil { // Debris of an interrupted save.
		return nil, fmt.Errorf("vaekit: clearing %s: %w", staging, err)
	}
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return nil, fmt.Errorf("vaekit: creating %s: %w", staging, err)
	}
	h, err := checkpoint.Build(store).Dir(staging).Keep(-1).ExcludeAllParams().Done()
	if err != nil {
		return nil, fmt.Errorf("vaekit: preparing checkpoints in %s: %w", dir, err)
	}
	return &atomicSaver{dir: dir, staging: staging, keep: max(keep, 1), handler: h}, nil
}

var checkpointCountRE = regexp.MustCompile(`^checkpoint-n(\d+)-`)

// save writes one checkpoint and moves it into place, then keeps only the newest `keep`.
func (s *atomicSaver) save(step int) error {
	if err := s.handler.Save(); err != nil {
		return fmt.Errorf("vaekit: saving checkpoint to %s: %w", s.staging, err)
	}
	staged, err := filepath.Glob(filepath.Join(s.staging, "checkpoint-*.json"))
	if err != nil || len(staged) != 1 {
		return fmt.Errorf("vaekit: expected exactly one staged checkpoint in %s, found %d (%v)", s.staging, len(staged), err)
	}
	existing, err := listCheckpoints(s.dir)
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
			return fmt.Errorf("vaekit: moving checkpoint into %s: %w", s.dir, err)
		}
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	return pruneCheckpoints(s.dir, s.keep)
}

// listCheckpoints returns the checkpoint base names in dir, oldest first.
func listCheckpoints(dir string) ([]string, error) {
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

// pruneCheckpoints deletes all but the newest keep checkpoints: .json first, so a
// half-deleted checkpoint is never listed.
func pruneCheckpoints(dir string, keep int) error {
	bases, err := listCheckpoints(dir)
	if err != nil || len(bases) <= keep {
		return err
	}
	for _, base := range bases[:len(bases)-keep] {
		for _, suffix := range []string{checkpoint.JsonNameSuffix, checkpoint.BinDataSuffix} {
			if err := os.Remove(filepath.Join(dir, base+suffix)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("vaekit: removing old checkpoint: %w", err)
			}
		}
	}
	return nil
}

// writeFileAtomic writes data to path through a temporary file in the same directory.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("vaekit: writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // No-op after a successful rename.
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("vaekit: writing %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("vaekit: encoding %s: %w", path, err)
	}
	return writeFileAtomic(path, append(data, '\n'))
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("vaekit: syncing %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("vaekit: syncing %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("vaekit: syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	_ = d.Sync() // Not supported everywhere; the renames are still atomic.
	return nil
}

// HasSavedModel reports whether dir holds a saved vaekit model.
func HasSavedModel(dir string) bool {
	bases, err := listCheckpoints(dir)
	_, statErr := os.Stat(filepath.Join(dir, configFileName))
	return err == nil && len(bases) > 0 && statErr == nil
}

// Save writes the model (Config, weights, optimizer state, history) into dir, atomically:
// a previous save in dir stays loadable until the new one is complete.
func (m *Model) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("vaekit: creating model directory: %w", err)
	}
	if err := m.initVariables(); err != nil {
		return err
	}
	meta := modelFile{Format: modelFileFormat, Config: m.Config, Height: m.Height, Width: m.Width}
	if err := writeJSONAtomic(filepath.Join(dir, configFileName), meta); err != nil {
		return err
	}
	if m.saver == nil || m.saver.dir != dir {
		saver, err := newAtomicSaver(m.store, dir, m.keepCheckpoints)
		if err != nil {
			return err
		}
		m.saver = saver
	}
	if err := m.saver.save(m.GlobalStep()); err != nil {
		return err
	}
	return writeJSONAtomic(filepath.Join(dir, historyFileName), m.History)
}

// initVariables makes sure every model weight exists (they are created lazily, when a
// graph first uses them), so that a never-trained model saves its initial weights.
func (m *Model) initVariables() error {
	if _, err := m.Reconstruct([][]float32{make([]float32, m.Pixels())}); err != nil {
		return fmt.Errorf("vaekit: initialising the model's weights: %w", err)
	}
	return nil
}

// Load reads a model saved with Save (or checkpointed by Train) from dir.
func Load(dir string) (*Model, error) {
	raw, err := os.ReadFile(filepath.Join(dir, configFileName))
	if err != nil {
		return nil, fmt.Errorf("vaekit: %s is not a vaekit model directory: %w", dir, err)
	}
	var meta modelFile
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("vaekit: reading %s: %w", filepath.Join(dir, configFileName), err)
	}
	if meta.Format != modelFileFormat {
		return nil, fmt.Errorf("vaekit: %s has format %d, this vaekit reads format %d", filepath.Join(dir, configFileName), meta.Format, modelFileFormat)
	}
	m, err := NewModel(meta.Config)
	if err != nil {
		return nil, fmt.Errorf("vaekit: config in %s: %w", dir, err)
	}
	if meta.Height != m.Height || meta.Width != m.Width {
		return nil, fmt.Errorf("vaekit: %s was saved for %dx%d images, expected %dx%d for %s", dir, meta.Height, meta.Width, m.Height, m.Width, meta.Config.Dataset)
	}
	if _, err := checkpoint.Load(m.store).Dir(dir).Immediate().ExcludeAllParams().Done(); err != nil {
		return nil, fmt.Errorf("vaekit: loading checkpoint from %s: %w", dir, err)
	}
	if raw, err := os.ReadFile(filepath.Join(dir, historyFileName)); err == nil {
		if err := json.Unmarshal(raw, &m.History); err != nil {
			return nil, fmt.Errorf("vaekit: reading %s: %w", filepath.Join(dir, historyFileName), err)
		}
	}
	// Build the graphs once: a checkpoint whose weights do not fit the Config fails here,
	// with GoMLX's message naming the variable and both shapes.
	if err := m.initVariables(); err != nil {
		return nil, fmt.Errorf("vaekit: the checkpoint in %s does not match its config.json: %w", dir, err)
	}
	return m, nil
}
