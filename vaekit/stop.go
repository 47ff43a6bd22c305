package vaekit

import (
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
)

// How a training run ends early: one of its hooks returns an error (a non-finite loss, a
// checkpoint that cannot be written), or the caller closes TrainOptions.Stop. Either way
// the error Fit returns leads with what happened, not with where in GoMLX's loop it was
// noticed ("Loop.RunSteps(40): failed TrainStep(LoopStep=19): train.Loop.OnStep(hook ...").

// ErrInterrupted is wrapped by the error of Train and Fit when TrainOptions.Stop ended the
// run.
var ErrInterrupted = errors.New("training interrupted")

// errStop is the stop hook's way to end GoMLX's loop.
var errStop = errors.New("stop requested")

// onStep adds a hook to the loop that records the error it stops the loop with.
func (r *fitRun) onStep(loop *train.Loop, name string, priority int, hook func(*train.Loop, []*tensors.Tensor) error) {
	loop.OnStep(name, train.Priority(priority), func(loop *train.Loop, metrics []*tensors.Tensor) error {
		err := hook(loop, metrics)
		if err != nil {
			r.hookErr = err
		}
		return err
	})
}

// checkStop ends the loop once TrainOptions.Stop is closed.
func (r *fitRun) checkStop(*train.Loop, []*tensors.Tensor) error {
	if stopRequested(r.opts.Stop) {
		return errStop
	}
	return nil
}

// stopRequested reports whether stop is closed (never, when nil).
func stopRequested(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// failed is Fit's error for a loop that failed with err: the hook's own error, which says
// what happened and what to do; a checkpoint of the step reached when interrupted.
func (r *fitRun) failed(err error) error {
	switch {
	case errors.Is(r.hookErr, errStop):
		return r.interrupted()
	case r.hookErr != nil:
		return r.hookErr
	}
	return fmt.Errorf("vaekit: training: %w", err)
}

// interrupted saves the model at the step it reached, and says so.
func (r *fitRun) interrupted() error {
	step := r.m.GlobalStep()
	if r.opts.Dir == "" {
		return fmt.Errorf("vaekit: %w at step %d of %d", ErrInterrupted, step, r.steps)
	}
	if err := r.m.Save(r.opts.Dir); err != nil {
		return fmt.Errorf("vaekit: %w at step %d of %d, and its checkpoint failed: %w", ErrInterrupted, step, r.steps, err)
	}
	return fmt.Errorf("vaekit: %w at step %d of %d: the model is saved in %s at step %d", ErrInterrupted, step, r.steps, r.opts.Dir, step)
}
