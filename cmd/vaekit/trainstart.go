package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vaekit/vaekit/vaekit"
)

// What train settles before it takes its directory: the Config the flags apply to, and
// the checks that refuse a run which would crash or damage files.

// baseConfig is the Config the flags apply to: the saved model's when continuing; the
// hyperparameters of a config.json without a checkpoint (copied there by the user, or
// left by a first training that failed before its first checkpoint), which a new model
// takes instead of the defaults, so that it is never overwritten with them; else the
// defaults.
func (o *trainOptions) baseConfig(continuing bool) (vaekit.Config, error) {
	path := filepath.Join(o.dir, "config.json")
	if !continuing {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return vaekit.DefaultConfig(), nil
		}
		if err := checkConfigFile(path); err != nil {
			return vaekit.Config{}, err
		}
		o.configFile = path
		cfg, err := vaekit.LoadConfig(o.dir)
		if err == nil {
			if err = cfg.Validate(); err != nil { // Not the flags' fault.
				err = fmt.Errorf("%s: %s; fix it, or train in another directory", path, strings.TrimPrefix(err.Error(), "vaekit: "))
			}
		}
		return cfg, err
	}
	return vaekit.LoadConfig(o.dir)
}

// checkConfigFile refuses a config.json that is not a vaekit model's (another program's
// file of that name): train would replace it.
func checkConfigFile(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	var head struct {
		Format *int            `json:"format"`
		Config json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return fmt.Errorf("reading %s: %w; fix it, or train in another directory", path, err)
	}
	if head.Format == nil || head.Config == nil {
		return fmt.Errorf("%s is not a vaekit model's config.json (expected its format and config): train in another directory, or move it away", path)
	}
	return nil
}

// memoryUse is what the run needs memory for: training, and the final measure's IWAE.
func (o *trainOptions) memoryUse() vaekit.MemoryUse {
	return vaekit.MemoryUse{Training: true, IWAESamples: o.iwae}
}

// beforeLock checks the run's places and memory, and says where its hyperparameters come
// from when a config.json gave them.
func (o *trainOptions) beforeLock(e *env, cfg vaekit.Config) error {
	if err := checkIWAESamples(o.iwae); err != nil {
		return err
	}
	if err := checkDataDir(o.dir, *o.dataDir); err != nil {
		return err
	}
	if err := e.checkModel(cfg, o.memoryUse()); err != nil {
		return err
	}
	if o.configFile != "" {
		fmt.Fprintf(e.stderr, "vaekit train: %s holds no checkpoint: training a new model with the hyperparameters of %s, changed by the flags given\n", o.dir, o.configFile)
	}
	return nil
}
