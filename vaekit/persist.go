package vaekit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/ml/model/checkpoint"

	"github.com/vaekit/vaekit/internal/ckptfile"
	"github.com/vaekit/vaekit/vaekit/data"
)

// A model directory holds:
//
//	config.json                  the Config, image size and training format (modelFile)
//	history.json                 the training curve ([]Record)
//	frames.json                  reconstructions as it trained ([]Frame), if kept
//	checkpoint-n*-step-*.{json,bin}  GoMLX checkpoints: weights, optimizer state, global step,
//	                             and the settings they were trained with (trainedsettings.go)
//
// Every file is written atomically (internal/ckptfile): a process killed mid-save, or a
// save that fails on a full disk, leaves the previous checkpoint the newest.

const (
	configFileName  = "config.json"
	historyFileName = "history.json"
	framesFileName  = "frames.json"
	stagingDirName  = ckptfile.StagingDirName
	modelFileFormat = 1
)

// modelFile is the content of config.json.
type modelFile struct {
	Format         int    `json:"format"`          // Of this file's layout.
	TrainingFormat int    `json:"training_format"` // Of the code that trained the model (TrainingFormat).
	Config         Config `json:"config"`
	Height         int    `json:"height"`
	Width          int    `json:"width"`
	Channels       int    `json:"channels"`
}

// HasSavedModel reports whether dir holds a saved model: at least one checkpoint. Train
// resumes from it instead of starting over, and Load reads it. A directory whose
// checkpoints lack a readable config.json counts too, so that Load (and so Train) reports
// the problem instead of a new run quietly replacing those checkpoints.
func HasSavedModel(dir string) bool {
	bases, err := ckptfile.List(dir)
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
	bases, err := ckptfile.List(dir)
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
	meta := modelFile{Format: modelFileFormat, TrainingFormat: m.TrainingFormat, Config: m.Config, Height: m.Shape().Height, Width: m.Shape().Width, Channels: m.Shape().Channels}
	if err := ckptfile.WriteJSONAtomic(filepath.Join(dir, configFileName), meta); err != nil {
		return err
	}
	if m.saver == nil || m.saver.Dir() != dir {
		saver, err := ckptfile.NewSaver(m.store, dir, m.keepCheckpoints)
		if err != nil {
			return err
		}
		m.saver = saver
	}
	m.recordTrainedSettings()
	if err := m.saver.Save(m.GlobalStep()); err != nil {
		return err
	}
	if len(m.Frames) > 0 {
		if err := ckptfile.WriteJSONAtomic(filepath.Join(dir, framesFileName), m.Frames); err != nil {
			return err
		}
	}
	return ckptfile.WriteJSONAtomic(filepath.Join(dir, historyFileName), m.History)
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
	m.TrainingFormat = meta.TrainingFormat
	if meta.Channels == 0 { // Saved before images had channels: greyscale.
		meta.Channels = 1
	}
	if saved := (data.Shape{Height: meta.Height, Width: meta.Width, Channels: meta.Channels}); saved != m.Shape() {
		return nil, fmt.Errorf("vaekit: %s was saved for %dx%dx%d images, but its config says image_shape=%s", dir, meta.Height, meta.Width, meta.Channels, intList(meta.Config.ImageShape))
	}
	bases, err := ckptfile.List(dir)
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
	trainable, err := checkCheckpoint(meta.Config, dir, bases[len(bases)-1], saved)
	if err != nil {
		return nil, err
	}
	if err := ckptfile.Load(m.store, dir, saved); err != nil {
		return nil, unreadableCheckpoint(dir, bases, err)
	}
	// GoMLX's loader makes every variable trainable; only the network's weights are (the
	// optimizer's moments are not, which NumParameters and the trainer rely on).
	for v := range m.store.IterVariables() {
		v.SetTrainable(trainable[v.Path()])
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
	if raw, err := os.ReadFile(filepath.Join(dir, framesFileName)); err == nil {
		if err := json.Unmarshal(raw, &m.Frames); err != nil {
			return nil, fmt.Errorf("vaekit: reading %s: %w", filepath.Join(dir, framesFileName), err)
		}
	}
	return m, nil
}

// checkCheckpoint checks that checkpoint base in dir, whose index is saved, holds what
// cfg (config.json's) trains: the same settings (checkTrainedSettings), and so the same
// network (checkNetwork). It returns which of the network's variables are trainable.
func checkCheckpoint(cfg Config, dir, base string, saved map[string]ckptfile.Var) (trainable map[string]bool, err error) {
	err = checkTrainedSettings(cfg, dir, base)
	if err == nil {
		trainable, err = checkNetwork(cfg, saved)
	}
	if err != nil {
		return nil, fmt.Errorf("vaekit: the checkpoint %s does not match its config.json: %w", filepath.Join(dir, base), err)
	}
	return trainable, nil
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
// the optimizer's state and the metrics live in other scopes. It returns which of the
// network's variables are trainable (its weights), by path. GoMLX would quietly give a weight the checkpoint's shape, and keep fresh random
// values for the weights a checkpoint lacks. The network is built in a throwaway model:
// weights are created when a graph first uses them, and GoMLX's loader does not set the
// value of a variable that already exists.
func checkNetwork(cfg Config, saved map[string]ckptfile.Var) (trainable map[string]bool, err error) {
	m, err := NewModel(cfg)
	if err != nil {
		return nil, err
	}
	if err := m.initVariables(); err != nil {
		return nil, err
	}
	want := map[string]shapes.Shape{}
	trainable = map[string]bool{}
	for v := range m.store.IterVariables() {
		want[v.Path()], trainable[v.Path()] = v.Shape(), v.Trainable
	}
	var problems []string
	for _, d := range ckptfile.Compare(want, saved) {
		switch {
		case d.Saved == nil:
			problems = append(problems, fmt.Sprintf("config.json's network has %s %s, the checkpoint has no such weight", d.Path, *d.Want))
		case d.Want == nil:
			problems = append(problems, fmt.Sprintf("the checkpoint has %s %s, config.json's network has no such weight", d.Path, *d.Saved))
		default:
			problems = append(problems, fmt.Sprintf("%s is %s in config.json's network, %s in the checkpoint", d.Path, *d.Want, *d.Saved))
		}
	}
	if len(problems) == 0 {
		return trainable, nil
	}
	sort.Strings(problems)
	if len(problems) > 6 {
		problems = append(problems[:6], fmt.Sprintf("and %d more", len(problems)-6))
	}
	return nil, fmt.Errorf("%s (was config.json edited, or the checkpoint copied from another model?)", strings.Join(problems, "; "))
}

// Each checkpoint records the settings its weights were trained with (a param of its
// GoMLX .json, saved with the weights), and Load compares them with config.json: a
// config.json edited after training (activation=tanh over weights trained with relu)
// would otherwise load and compute something else without a word, since only the
// settings that change a weight's shape show in the checkpoint's variables.

// trainedSettingsParam is the checkpoint param that holds Config.trainedSettings.
const trainedSettingsParam = "vaekit_trained_settings"

// trainedSettings are the settings that define what the weights compute and how they were
// trained, in Set syntax: all but those a run may change when it resumes
// (ResumableParams).
func (c Config) trainedSettings() string { return c.settings(ResumableParams) }

// recordTrainedSettings puts m's trained settings into its store, for the next checkpoint.
func (m *Model) recordTrainedSettings() {
	m.store.SetParam(trainedSettingsParam, m.Config.trainedSettings())
}

// checkTrainedSettings compares cfg, config.json's, with the settings checkpoint base in
// dir was trained with; a checkpoint saved before they were recorded has nothing to
// compare.
func checkTrainedSettings(cfg Config, dir, base string) error {
	recorded, found, err := ckptfile.ReadParam(dir, base, trainedSettingsParam)
	if err != nil || !found {
		return err
	}
	trained, current := settingsByName(recorded), settingsByName(cfg.trainedSettings())
	var edited, trainedWith []string
	for _, name := range ParamNames() {
		was, ok := trained[name]
		if !ok || current[name] == was { // A setting added since: nothing recorded.
			continue
		}
		edited = append(edited, name+"="+current[name])
		trainedWith = append(trainedWith, name+"="+was)
	}
	if len(edited) == 0 {
		return nil
	}
	return fmt.Errorf("%s says %s, the checkpoint was trained with %s (was config.json edited?): put back %s in config.json, or train a model with the new settings in another directory",
		configFileName, strings.Join(edited, " "), strings.Join(trainedWith, " "), strings.Join(trainedWith, " "))
}

// settingsByName splits settings in String's syntax into their values by name.
func settingsByName(settings string) map[string]string {
	byName := map[string]string{}
	for _, part := range strings.Split(settings, ";") {
		if name, value, ok := strings.Cut(part, "="); ok {
			byName[name] = value
		}
	}
	return byName
}
