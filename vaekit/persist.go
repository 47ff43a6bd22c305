package vaekit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"

	"github.com/vaekit/vaekit/internal/ckptfile"
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
// previous checkpoint intact; the staging debris is cleared on the next save. A save that
// fails (a full disk) clears its debris at once and leaves the previous checkpoint the
// newest.

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
		return nil, fmt.Errorf("clearing %s: %w", staging, err)
	}
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", staging, err)
	}
	h, err := checkpoint.Build(store).Dir(staging).Keep(-1).ExcludeAllParams().Done()
	if err != nil {
		return nil, fmt.Errorf("preparing checkpoints in %s: %w", dir, err)
	}
	return &atomicSaver{dir: dir, staging: staging, keep: max(keep, 1), handler: h}, nil
}

var checkpointCountRE = regexp.MustCompile(`^checkpoint-n(\d+)-`)

// save writes one checkpoint and moves it into place, then keeps only the newest `keep`.
// When it fails, nothing of the new checkpoint stays behind, in dir or in staging.
func (s *atomicSaver) save(step int) (err error) {
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
			_ = os.Remove(filepath.Join(s.dir, base+checkpoint.BinDataSuffix)) // Unlisted without its .json.
			return fmt.Errorf("moving the checkpoint into %s: %w", s.dir, err)
		}
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	return pruneCheckpoints(s.dir, s.keep)
}

// clearStaging removes what a failed save left in the staging directory, so that its
// space is free again and the next save stages exactly one checkpoint.
func (s *atomicSaver) clearStaging() {
	entries, _ := os.ReadDir(s.staging)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(s.staging, e.Name()))
	}
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
				return fmt.Errorf("removing an old checkpoint: %w", err)
			}
		}
	}
	return nil
}

// The saver's writes that a full disk makes fail: the write itself, or the fsync that
// allocates the blocks a file system had delayed. Tests replace them to inject failures.
var (
	writeFileData = (*os.File).Write
	syncFileData  = (*os.File).Sync
)

// writeFileAtomic writes data to path through a temporary file in the same directory.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // No-op after a successful rename.
	if _, err = writeFileData(tmp, data); err == nil {
		err = syncFileData(tmp)
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return writeFileAtomic(path, append(data, '\n'))
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	defer f.Close()
	if err := syncFileData(f); err != nil {
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

// HasSavedModel reports whether dir holds a saved model: at least one checkpoint. Train
// resumes from it instead of starting over, and Load reads it. A directory whose
// checkpoints lack a readable config.json counts too, so that Load (and so Train) reports
// the problem instead of a new run quietly replacing those checkpoints.
func HasSavedModel(dir string) bool {
	bases, err := listCheckpoints(dir)
	return err == nil && len(bases) > 0
}

// Save writes the model (Config, weights, optimizer state, history) into dir, atomically:
// a previous save in dir stays loadable until the new one is complete, and stays the
// newest when the save fails (a full disk): the error says what failed, where, and which
// checkpoint dir holds.
func (m *Model) Save(dir string) error {
	if err := m.save(dir); err != nil {
		return fmt.Errorf("vaekit: saving the model at step %d in %s: %w; %s", m.GlobalStep(), dir, err, savedCheckpointNote(dir))
	}
	return nil
}

// savedCheckpointNote says which checkpoint dir holds, for the error of a failed save.
func savedCheckpointNote(dir string) string {
	bases, err := listCheckpoints(dir)
	if err != nil || len(bases) == 0 {
		return "no checkpoint was saved there before"
	}
	newest := bases[len(bases)-1]
	step := newest[strings.LastIndex(newest, "-")+1:]
	return fmt.Sprintf("the newest complete checkpoint there is %s (step %s)", newest, strings.TrimLeft(step, "0"))
}

func (m *Model) save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the model directory: %w", err)
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
	blank, err := m.imageSet([][]float32{make([]float32, m.Pixels())}, nil)
	if err != nil {
		return err
	}
	if _, err := m.Reconstruct(blank); err != nil {
		return fmt.Errorf("vaekit: initialising the model's weights: %w", err)
	}
	return nil
}

// Load reads a model saved with Save (or checkpointed by Train) from dir.
func Load(dir string) (*Model, error) {
	if dir == "" {
		return nil, errors.New("vaekit: Load: no model directory given (\"\")")
	}
	raw, err := os.ReadFile(filepath.Join(dir, configFileName))
	if err != nil {
		if HasSavedModel(dir) {
			return nil, fmt.Errorf("vaekit: %s holds checkpoints but no readable %s (the Config they were trained with): %w", dir, configFileName, err)
		}
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
	bases, err := listCheckpoints(dir)
	if err != nil {
		return nil, fmt.Errorf("vaekit: listing the checkpoints in %s: %w", dir, err)
	}
	if len(bases) == 0 {
		return nil, fmt.Errorf("vaekit: %s has a %s but no checkpoint (checkpoint-*%s): nothing to load", dir, configFileName, checkpoint.JsonNameSuffix)
	}
	// GoMLX loads the newest checkpoint; its index is checked first, since GoMLX allocates
	// (and panics on) whatever shapes a corrupt .json declares.
	saved, err := ckptfile.ReadIndex(dir, bases[len(bases)-1])
	if err != nil {
		return nil, unreadableCheckpoint(dir, bases, err)
	}
	if err := checkNetwork(meta.Config, saved); err != nil {
		return nil, fmt.Errorf("vaekit: the checkpoint %s does not match its config.json: %w", filepath.Join(dir, bases[len(bases)-1]), err)
	}
	if err := ckptfile.Load(m.store, dir, saved); err != nil {
		return nil, unreadableCheckpoint(dir, bases, err)
	}
	// Build the graphs once, so the first call from the user does not pay for it.
	if err := m.initVariables(); err != nil {
		return nil, fmt.Errorf("vaekit: the checkpoint in %s does not match its config.json: %w", dir, err)
	}
	if raw, err := os.ReadFile(filepath.Join(dir, historyFileName)); err == nil {
		if err := json.Unmarshal(raw, &m.History); err != nil {
			return nil, fmt.Errorf("vaekit: reading %s: %w", filepath.Join(dir, historyFileName), err)
		}
	}
	return m, nil
}

// unreadableCheckpoint explains that the newest checkpoint cannot be used, and how to fall
// back to the previous one when there is one.
func unreadableCheckpoint(dir string, bases []string, err error) error {
	newest := filepath.Join(dir, bases[len(bases)-1])
	hint := ""
	if len(bases) > 1 {
		hint = fmt.Sprintf("; to load the previous checkpoint (%s) instead, delete %s%s and %s%s",
			bases[len(bases)-2], newest, checkpoint.JsonNameSuffix, newest, checkpoint.BinDataSuffix)
	}
	return fmt.Errorf("vaekit: the newest checkpoint %s is corrupt or truncated: %w%s", newest, err, hint)
}

// checkNetwork compares the variables of the network cfg describes (its weights, and any
// state its layers keep) with a checkpoint's: the same names, shapes and dtypes, and no
// other variables under the network's top-level scopes (a layer of another architecture);
// the optimizer's state and the metrics live in other scopes. GoMLX would quietly give a weight the checkpoint's shape, and keep fresh random
// values for the weights a checkpoint lacks. The network is built in a throwaway model:
// weights are created when a graph first uses them, and GoMLX's loader does not set the
// value of a variable that already exists.
func checkNetwork(cfg Config, saved map[string]ckptfile.Var) error {
	topScope := func(path string) string {
		if i := strings.IndexByte(strings.TrimPrefix(path, "/"), '/'); i >= 0 {
			return path[:i+1]
		}
		return path
	}
	m, err := NewModel(cfg)
	if err != nil {
		return err
	}
	if err := m.initVariables(); err != nil {
		return err
	}
	var problems []string
	want := map[string]bool{}
	scopes := map[string]bool{}
	for v := range m.store.IterVariables() {
		path, shape := v.Path(), v.Shape()
		want[path], scopes[topScope(path)] = true, true
		s, found := saved[ckptfile.KeyPrefix+path]
		switch {
		case !found:
			problems = append(problems, fmt.Sprintf("config.json's network has %s %s, the checkpoint has no such weight", path, shape))
		case s.DType != shape.DType || !slices.Equal(s.Dimensions, shape.Dimensions):
			problems = append(problems, fmt.Sprintf("%s is %s in config.json's network, %s in the checkpoint", path, shape, shapes.Make(s.DType, s.Dimensions...)))
		}
	}
	for key, s := range saved {
		if path := strings.TrimPrefix(key, ckptfile.KeyPrefix); !want[path] && scopes[topScope(path)] {
			problems = append(problems, fmt.Sprintf("the checkpoint has %s %s, config.json's network has no such weight", path, shapes.Make(s.DType, s.Dimensions...)))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	if len(problems) > 6 {
		problems = append(problems[:6], fmt.Sprintf("and %d more", len(problems)-6))
	}
	return fmt.Errorf("%s (was config.json edited, or the checkpoint copied from another model?)", strings.Join(problems, "; "))
}
