package vaekit

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A saved model carries the training format of the code that trained it, and the cache
// keeps models of different formats apart.
func TestTrainingFormatIsSavedAndKeyed(t *testing.T) {
	t.Setenv("VAEKIT_MODELS", t.TempDir())
	cfg := smallConfig()
	cfg.Steps = 4
	trainSet, heldOut := syntheticSet(64, 1), syntheticSet(32, 2)

	dir, err := CachedModelDir(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tag := fmt.Sprintf("-f%d-", TrainingFormat)
	if want := tag + cfg.Hash(); !strings.HasSuffix(dir, want) {
		t.Errorf("CachedModelDir = %s, want a name ending in %s (the training format before the hash)", dir, want)
	}

	// The same Config trained by older code (format 0: before formats were recorded).
	older := filepath.Join(filepath.Dir(dir), strings.Replace(filepath.Base(dir), tag, "-", 1))
	old, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Dir: older})
	if err != nil {
		t.Fatal(err)
	}
	if old.TrainingFormat != TrainingFormat || old.TrainSeconds() <= 0 {
		t.Fatalf("a new model has TrainingFormat %d (want %d) and TrainSeconds %g (want > 0)", old.TrainingFormat, TrainingFormat, old.TrainSeconds())
	}
	old.TrainingFormat = 0 // As older code would have saved it.
	if err := old.Save(older); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(older)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.TrainingFormat != 0 {
		t.Errorf("Load of a model saved with training_format 0 says format %d", loaded.TrainingFormat)
	}
	// It cannot be resumed with today's code: the two halves would be different functions.
	cfg2 := cfg.Clone()
	cfg2.Steps = 8
	if _, err := Train(cfg2, trainSet, heldOut, TrainOptions{Quiet: true, Dir: older}); err == nil ||
		!strings.Contains(err.Error(), fmt.Sprintf("trained by training format 0, this vaekit trains format %d", TrainingFormat)) {
		t.Errorf("resuming a format-0 model: %v, want an error naming both formats", err)
	}

	// TrainOrLoad does not load it as today's: it trains anew, and says why in one line.
	var log bytes.Buffer
	m, err := TrainOrLoad(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if m.TrainingFormat != TrainingFormat || !HasSavedModel(dir) {
		t.Errorf("TrainOrLoad gave a model of format %d (want %d); saved in %s: %v", m.TrainingFormat, TrainingFormat, dir, HasSavedModel(dir))
	}
	if lines := strings.Split(strings.TrimSpace(log.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "trained by older code (training format 0)") {
		t.Errorf("TrainOrLoad said %q, want one line about the older format", log.String())
	}
	// Loaded again: today's format, with its training time.
	log.Reset()
	again, err := TrainOrLoad(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if again.TrainingFormat != TrainingFormat || again.TrainSeconds() != m.TrainSeconds() || log.Len() != 0 {
		t.Errorf("reloaded: format %d, TrainSeconds %g (trained: %g), log %q", again.TrainingFormat, again.TrainSeconds(), m.TrainSeconds(), log.String())
	}
}

// Frames keep the reconstructions at every evaluation with the model, without changing
// what is trained, and come back with it from disk.
func TestFramesAreKeptWithTheModel(t *testing.T) {
	cfg := smallConfig()
	trainSet, heldOut := syntheticSet(64, 1), syntheticSet(32, 2)
	plain, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Dir: dir, Frames: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(curves(m.History), curves(plain.History)) {
		t.Errorf("keeping frames changed the training curves:\n%v\n%v", curves(m.History), curves(plain.History))
	}
	if len(plain.Frames) != 0 || len(m.Frames) != len(m.History) {
		t.Fatalf("%d frames without TrainOptions.Frames, %d with it for %d evaluations", len(plain.Frames), len(m.Frames), len(m.History))
	}
	for i, f := range m.Frames {
		if f.Step != m.History[i].Step || f.Reconstructions.N != 3 || f.Reconstructions.Shape() != heldOut.Shape() ||
			!slices.Equal(f.Reconstructions.Labels, heldOut.Labels[:3]) {
			t.Errorf("frame %d: step %d (record's %d), %d images of %s", i, f.Step, m.History[i].Step, f.Reconstructions.N, f.Reconstructions.Shape())
		}
	}
	last, err := m.Reconstruct(heldOut.Head(3))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Frames[len(m.Frames)-1].Reconstructions.Images, last.Images) {
		t.Error("the last frame is not the trained model's reconstructions")
	}
	if slices.Equal(m.Frames[0].Reconstructions.Images, last.Images) {
		t.Error("the first frame equals the last: the frames did not follow training")
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Frames) != len(m.Frames) || !slices.Equal(loaded.Frames[0].Reconstructions.Images, m.Frames[0].Reconstructions.Images) {
		t.Errorf("Load read %d frames, saved %d (or other pixels)", len(loaded.Frames), len(m.Frames))
	}
}
