package vaekit

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// How a run is watched and computed (WatchedParams) is no part of a model's identity:
// TrainOrLoad with other evaluation settings or another convolution algorithm loads the
// model it trained, while any other setting names another model. An entry named after all
// its settings (as the cache named entries before WatchedParams left the hash) is found
// too.
func TestTrainOrLoadIgnoresHowARunIsWatched(t *testing.T) {
	t.Setenv("VAEKIT_MODELS", t.TempDir())
	cfg := smallConfig()
	cfg.Steps, cfg.EvalEvery = 4, 2
	trainSet, heldOut := syntheticSet(64, 1), syntheticSet(32, 2)
	first, err := TrainOrLoad(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := CachedModelDir(cfg)
	if err != nil {
		t.Fatal(err)
	}
	loads := func(c Config) bool {
		t.Helper()
		trained := false
		m, err := TrainOrLoad(c, trainSet, heldOut, TrainOptions{Quiet: true, OnStart: func(*Model) { trained = true }})
		if err != nil {
			t.Fatal(err)
		}
		return !trained && m.GlobalStep() == 4 && slices.Equal(curves(m.History), curves(first.History))
	}

	watched := cfg.Clone()
	watched.EvalEvery, watched.EvalBatchSize, watched.EvalIWAESamples = 4, 16, 5
	watched.ConvAlgorithm = knownConvAlgorithms[len(knownConvAlgorithms)-1]
	if watched.ConvAlgorithm == cfg.ConvAlgorithm {
		watched.ConvAlgorithm = knownConvAlgorithms[0]
	}
	if watched.Hash() != cfg.Hash() || !loads(watched) {
		t.Errorf("other eval_every, eval_batch_size, eval_iwae and conv_algorithm (%s): hash %s against %s; want the cached model loaded, not trained",
			watched, watched.Hash(), cfg.Hash())
	}
	for _, changed := range []func(*Config){
		func(c *Config) { c.LatentDim = 3 },
		func(c *Config) { c.Steps = 6 },
		func(c *Config) { c.KLWeight = 0.5 },
	} {
		other := cfg.Clone()
		changed(&other)
		if other.Hash() == cfg.Hash() {
			t.Errorf("%s and %s share a hash: they train different models", other, cfg)
		}
	}

	// The cache chooses the directory: TrainOrLoad refuses one given to it.
	_, err = TrainOrLoad(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Dir: t.TempDir()})
	wantError(t, "TrainOrLoad with a Dir", err, "TrainOptions.Dir", "use vaekit.Train")

	// The entry under the name of all its settings, as older vaekit named it.
	earlier := filepath.Join(filepath.Dir(dir), cachedModelName(cfg, TrainingFormat, cfg.settingsHash()))
	if earlier == dir {
		t.Fatal("test setup: cfg's two names are the same")
	}
	if err := os.Rename(dir, earlier); err != nil {
		t.Fatal(err)
	}
	if got, err := CachedModelDir(cfg); err != nil || got != earlier || !loads(cfg) {
		t.Errorf("with the model under its earlier name %s: CachedModelDir = %s, %v; want that entry, loaded", filepath.Base(earlier), got, err)
	}
}
