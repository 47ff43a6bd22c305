package vaekit

import (
	"errors"
	"strings"
	"testing"
)

// Closing TrainOptions.Stop ends training after the step under way, with a checkpoint of
// that step (after the last evaluation), which a later Train resumes.
func TestStopSavesTheStepReached(t *testing.T) {
	dir := t.TempDir()
	trainSet, heldOut := syntheticSet(256, 40), syntheticSet(64, 41)
	cfg := smallConfig() // 30 steps, evaluated every 10.
	stop := make(chan struct{})
	_, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Dir: dir, Stop: stop, TrainEvalSize: 64,
		OnEval: func(r Record) {
			if r.Step == 10 {
				close(stop)
			}
		}})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Train with Stop closed at step 10: %v; want an error wrapping ErrInterrupted", err)
	}
	wantError(t, "the interrupted Train", err, "vaekit: training interrupted at step 11 of 30: the model is saved in "+dir+" at step 11")
	m := mustLoad(t, dir)
	if m.GlobalStep() != 11 || m.History[len(m.History)-1].Step != 10 {
		t.Errorf("after the interruption: checkpoint of step %d, last evaluation at %d; want 11 and 10", m.GlobalStep(), m.History[len(m.History)-1].Step)
	}
	m, err = Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Dir: dir, TrainEvalSize: 64})
	if err != nil || m.GlobalStep() != 30 {
		t.Fatalf("resuming the interrupted run: step %d, %v; want step 30", m.GlobalStep(), err)
	}

	// Stopped before it starts: nothing new to save.
	cfg.Steps = 40
	closed := make(chan struct{})
	close(closed)
	_, err = Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Dir: dir, Stop: closed, TrainEvalSize: 64})
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "at step 30, before any new step") {
		t.Errorf("Train with Stop closed before it starts: %v", err)
	}
}

// A non-finite loss stops training with an error that leads with what happened and what
// to do, not with GoMLX's loop (errors.Is still finds ErrNotFinite).
func TestTrainingErrorsLeadWithWhatHappened(t *testing.T) {
	cfg := smallConfig()
	cfg.LearningRate, cfg.Reconstruction, cfg.EvalEvery = 1e30, "gaussian", 0
	dir := t.TempDir()
	_, err := Train(cfg, syntheticSet(256, 10), syntheticSet(64, 11), TrainOptions{Quiet: true, Dir: dir})
	if !errors.Is(err, ErrNotFinite) {
		t.Fatalf("a diverging run: %v; want an error wrapping ErrNotFinite", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "vaekit: at step ") || strings.Contains(msg, "Loop.") ||
		!strings.Contains(msg, "try a lower learning_rate; nothing was saved in "+dir) {
		t.Errorf("a diverging run's error: %q; want it to start with the step, say what to do, and nothing of GoMLX's loop", msg)
	}
}
