package vaekit

import (
	"fmt"
	"strings"

	"github.com/vaekit/vaekit/internal/ckptfile"
)

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
