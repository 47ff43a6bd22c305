package vaekit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vaekit/vaekit/vaekit/data"
)

// ModelCacheDir is where TrainOrLoad keeps trained models: $VAEKIT_MODELS if set, else
// <user cache dir>/vaekit/models (~/.cache/vaekit/models on Linux).
func ModelCacheDir() (string, error) {
	if dir := os.Getenv("VAEKIT_MODELS"); dir != "" {
		return dir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("vaekit: no cache directory for trained models (set $VAEKIT_MODELS): %w", err)
	}
	return filepath.Join(cache, "vaekit", "models"), nil
}

// CachedModelDir is the directory TrainOrLoad uses for cfg: one per distinct Config
// (Config.Hash), named so a person can tell them apart, e.g. "vae-mlp-z20-3f9a...".
func CachedModelDir(cfg Config) (string, error) {
	root, err := ModelCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, fmt.Sprintf("%s-%s-%s-z%d-%s", cfg.Model, cfg.Architecture, cfg.Dataset, cfg.LatentDim, cfg.Hash())), nil
}

// TrainOrLoad returns the model trained with exactly cfg: loaded from the model cache if
// an earlier run (a notebook cell re-run with the same settings) finished it, else
// trained, resuming from the cache's checkpoint if one was interrupted. Any changed
// setting gives another Config.Hash, so another directory, and a new model.
// opts.Dir is ignored: the cache decides the directory.
func TrainOrLoad(cfg Config, trainSet, heldOut *data.Set, opts TrainOptions) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dir, err := CachedModelDir(cfg)
	if err != nil {
		return nil, err
	}
	if HasSavedModel(dir) {
		m, err := Load(dir)
		if err != nil {
			return nil, fmt.Errorf("vaekit: the cached model in %s does not load (delete the directory to retrain): %w", dir, err)
		}
		if m.GlobalStep() >= cfg.StepsFor(trainSet.N) {
			return m, nil
		}
	}
	opts.Dir = dir
	return Train(cfg, trainSet, heldOut, opts)
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
