package vaekit

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/internal/ckptfile"
)

// A config.json edited after training is refused on load when the edit changes what the
// weights compute or how they were trained, even where no weight's shape changes; the
// error names the settings, both values and what to do. Settings a resumed run may change
// (the budget, the watching) load.
func TestLoadRefusesAnEditedConfig(t *testing.T) {
	saved := trainedModelDir(t)
	for _, tc := range []struct {
		name string
		edit func(c map[string]any)
		want []string // nil: loads.
	}{
		{"activation", func(c map[string]any) { c["activation"] = "tanh" },
			[]string{"does not match its config.json", `config.json says activation=tanh, the checkpoint was trained with activation=relu`,
				"put back activation=relu in config.json, or train a model with the new settings in another directory"}},
		{"reconstruction and kl_weight", func(c map[string]any) { c["reconstruction"], c["kl_weight"] = "gaussian", 0.5 },
			[]string{"reconstruction=gaussian kl_weight=0.5", "trained with reconstruction=bernoulli kl_weight=1"}},
		{"seed", func(c map[string]any) { c["seed"] = 7 }, []string{"seed=7", "seed=1"}},
		{"train_steps", func(c map[string]any) { c["train_steps"] = 500 }, nil},
		{"eval_every and learning_rate", func(c map[string]any) { c["eval_every"], c["learning_rate"] = 3, 0.01 }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyOf(t, saved)
			editConfigJSON(t, dir, func(_, c map[string]any) { tc.edit(c) })
			_, err := Load(dir)
			if tc.want == nil {
				if err != nil {
					t.Errorf("Load after editing %s: %v; want it to load", tc.name, err)
				}
				return
			}
			wantError(t, "Load after editing "+tc.name, err, append(tc.want, newestCheckpoint(t, dir))...)
		})
	}
}

// The settings are recorded in the checkpoint's own .json, where GoMLX keeps a store's
// params; a checkpoint without them (saved before they were recorded) loads unchecked.
func TestTrainedSettingsAreInTheCheckpoint(t *testing.T) {
	dir := copyOf(t, trainedModelDir(t))
	newest := newestCheckpoint(t, dir)
	recorded, found, err := ckptfile.ReadParam(dir, filepath.Base(newest), trainedSettingsParam)
	if err != nil || !found || !strings.Contains(recorded, "activation=relu") || strings.Contains(recorded, "train_steps=") {
		t.Fatalf("the checkpoint records %q (found %v, %v); want the trained settings without the resumable ones", recorded, found, err)
	}
	editFile(t, newest+".json", func(b []byte) []byte {
		return []byte(strings.Replace(string(b), `"Key": "`+trainedSettingsParam+`"`, `"Key": "something_else"`, 1))
	})
	editConfigJSON(t, dir, func(_, c map[string]any) { c["activation"] = "tanh" })
	if _, err := Load(dir); err != nil {
		t.Errorf("a checkpoint without recorded settings: %v; want it to load as before", err)
	}
}
