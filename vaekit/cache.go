package vaekit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vaekit/vaekit/internal/cachedir"
	"github.com/vaekit/vaekit/vaekit/data"
)

// ModelCacheDir is where TrainOrLoad keeps trained models: $VAEKIT_MODELS if set, else
// <user cache dir>/vaekit/models (~/.cache/vaekit/models on Linux).
func ModelCacheDir() (string, error) { return cachedir.Models() }

// CachedModelDir is the directory TrainOrLoad uses for cfg: one per distinct Config
// (Config.Hash) and TrainingFormat, named so a person can tell them apart, e.g.
// "vae-mlp-mnist-z20-f1-3f9a...". A model trained by older code (another format) lives
// in another directory, so it is never loaded as today's.
func CachedModelDir(cfg Config) (string, error) {
	root, err := ModelCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, cachedModelName(cfg, TrainingFormat, cfg.Hash()))
	if earlier := filepath.Join(root, cachedModelName(cfg, TrainingFormat, cfg.settingsHash())); !HasSavedModel(dir) && HasSavedModel(earlier) {
		return earlier, nil // Named before WatchedParams were left out of Hash: the same model.
	}
	return dir, nil
}

// cachedModelName is the name of cfg's entry, with the given hash of its settings, for
// models of a training format; format 0 is the name entries had before formats were
// recorded.
func cachedModelName(cfg Config, format int, hash string) string {
	tag := ""
	if format > 0 {
		tag = fmt.Sprintf("f%d-", format)
	}
	return fmt.Sprintf("%s-%s-%s-z%d-%s%s", cfg.Model, cfg.Architecture, cfg.Dataset, cfg.LatentDim, tag, hash)
}

// olderFormats lists the training formats, older than today's, of models of cfg in the
// cache root: models that older code trained with the same settings.
func olderFormats(cfg Config, root string) []int {
	var formats []int
	for format := TrainingFormat - 1; format >= 0; format-- {
		for _, hash := range []string{cfg.Hash(), cfg.settingsHash()} {
			if HasSavedModel(filepath.Join(root, cachedModelName(cfg, format, hash))) {
				formats = append(formats, format)
				break
			}
		}
	}
	return formats
}

// TrainOrLoad returns the model trained with exactly cfg: loaded from the model cache if
// an earlier run (a notebook cell re-run with the same settings) finished it, else
// trained, resuming from the cache's checkpoint if a run was interrupted (and saying
// so on opts.Log). Any changed setting but WatchedParams gives another Config.Hash, so
// another directory, and a new model.
//
// It is the one lookup of the model cache, safe between processes: it holds the
// entry's lock (see LockModelDir) from the lookup to the end of training. While another
// process (a second notebook, the vaekit command) holds it, TrainOrLoad waits, saying
// on opts.Log for which process, and then loads the model that process finished. A
// model counts as finished only once it has trained cfg's whole budget.
// The cache decides the directory and holds its lock: opts.Dir and opts.Lock must be
// unset (Train trains in a directory of one's own).
func TrainOrLoad(cfg Config, trainSet, heldOut *data.Set, opts TrainOptions) (*Model, error) {
	if opts.Dir != "" || opts.Lock != nil {
		return nil, fmt.Errorf("vaekit.TrainOrLoad: TrainOptions.Dir (%q) and Lock are the model cache's to choose, expected them unset; use vaekit.Train to train in a directory of your own", opts.Dir)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if trainSet == nil {
		return nil, errors.New("vaekit: no training set given (nil)")
	}
	cfg = forData(cfg, trainSet)
	dir, err := CachedModelDir(cfg)
	if err != nil {
		return nil, err
	}
	lock, err := waitForModelDir(dir, "loading this model", opts.log())
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	m, err := openModel(cfg, dir)
	if err != nil {
		return nil, fmt.Errorf("%w (the cached model in %s; delete the directory to retrain)", err, dir)
	}
	if m.finished(trainSet.N) {
		return m, nil
	}
	if older := olderFormats(cfg, filepath.Dir(dir)); len(older) > 0 && m.GlobalStep() == 0 {
		fmt.Fprintf(opts.log(), "vaekit: the model cache holds this Config trained by older code (training format %s); training it anew with today's format %d\n",
			intList(older), TrainingFormat)
	}
	if err := lock.SetActivity("training this model"); err != nil {
		return nil, fmt.Errorf("vaekit: %w", err)
	}
	opts.Dir, opts.Lock = dir, lock
	return m, m.Fit(trainSet, heldOut, opts)
}

// LoadConfig reads the Config of the model saved in dir without loading its weights.
func LoadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, configFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("vaekit: %s is not a vaekit model directory: %w", dir, err)
	}
	var f modelFile
	if err := json.Unmarshal(b, &f); err != nil {
		return Config{}, fmt.Errorf("vaekit: reading %s: %w", path, err)
	}
	return f.Config, nil
}
