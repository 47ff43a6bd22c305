// Package nb holds the few conveniences every vaekit notebook needs, so that notebooks
// keep to prose and experiments: loading a data set (smaller in quick mode), training or
// loading a model with a live plot of its curves, and Must for cells that stop on errors.
//
// Quick mode ($VAEKIT_QUICK=1, see vaekit.QuickMode) is how CI runs every notebook: the
// same cells with small budgets (QuickSteps) and 1,000 held-out images.
package nb

import (
	"fmt"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
	"github.com/vaekit/vaekit/vaekit/plot"
)

// Must returns v, or panics with err: in a notebook cell, the panic's message is shown
// as the cell's error.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Must2 is Must for functions with two results.
func Must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// Check panics on a non-nil error.
func Check(err error) {
	if err != nil {
		panic(err)
	}
}

// QuickHeldOut is how many held-out images quick mode evaluates on.
const QuickHeldOut = 1000

// QuickSteps is the training budget of quick mode: enough steps to see the curves move.
// Convolutional models are about 50 times slower per step on the Go backend.
func QuickSteps(cfg vaekit.Config) int {
	if cfg.Architecture == "conv" {
		return 20
	}
	return 150
}

// Data loads the training and held-out (test) sets of a data set ("mnist" or
// "fashion-mnist"); in quick mode the held-out set is its first QuickHeldOut images.
func Data(dataset string) (train, test *data.Set) {
	name := Must(data.ParseName(dataset))
	train, test = Must2(data.LoadBoth(name, data.Options{}))
	if vaekit.QuickMode() {
		test = test.Head(QuickHeldOut)
	}
	return train, test
}

// Quick returns cfg with quick mode's budget when quick mode is on, else cfg unchanged:
// at most QuickSteps steps, evaluated three times.
func Quick(cfg vaekit.Config) vaekit.Config {
	if !vaekit.QuickMode() {
		return cfg
	}
	cfg = cfg.Clone()
	cfg.Steps, cfg.Epochs = QuickSteps(cfg), 0
	cfg.EvalEvery = max(1, cfg.Steps/3)
	return cfg
}

// Train returns the model trained with cfg (in quick mode, Quick(cfg)): loaded in
// seconds if a run with exactly these settings finished before (vaekit.TrainOrLoad),
// else trained while a live plot of its curves updates in the cell. It prints one line
// with the held-out terms.
func Train(cfg vaekit.Config, train, test *data.Set) *vaekit.Model {
	return TrainAndWatch(cfg, train, test, nil)
}

// Trained returns the model trained with cfg like Train, but quietly when it is already
// in the cache (no curves, one line): for the cells after the one that trained it.
func Trained(cfg vaekit.Config, train, test *data.Set) *vaekit.Model {
	cfg = Quick(cfg)
	if dir, err := vaekit.CachedModelDir(cfg); err == nil && vaekit.HasSavedModel(dir) {
		if m, err := vaekit.Load(dir); err == nil && m.GlobalStep() >= cfg.StepsFor(train.N) {
			fmt.Printf("(%s model of %d steps, loaded from %s)\n", cfg.Model, m.GlobalStep(), dir)
			return m
		}
	}
	return Train(cfg, train, test)
}

// TrainAndWatch is Train that also calls watch after every evaluation during training,
// with the model as it is at that step (e.g. to show its reconstructions as training
// goes). A model loaded from the cache is shown once, at its last step.
func TrainAndWatch(cfg vaekit.Config, train, test *data.Set, watch func(*vaekit.Model, vaekit.Record)) *vaekit.Model {
	cfg = Quick(cfg)
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	live := plot.NewLiveCurves(plot.CurvesOptions{})
	opts := vaekit.TrainOptions{TrainEvalSize: 2000, Quiet: true}
	if vaekit.QuickMode() {
		opts.TrainEvalSize = 500
	}
	dir := Must(vaekit.CachedModelDir(cfg))
	var m *vaekit.Model
	if vaekit.HasSavedModel(dir) {
		fmt.Printf("found a model trained earlier with these settings: %s\n", dir)
		m = Must(vaekit.Load(dir))
		m.Config = cfg // Same settings (same hash); only the budget could differ if interrupted.
	} else {
		m = Must(vaekit.NewModel(cfg))
	}
	if m.GlobalStep() < cfg.StepsFor(train.N) {
		opts.Dir = dir
		opts.OnEval = func(r vaekit.Record) {
			live.Update(r)
			if watch != nil {
				watch(m, r)
			}
		}
		Check(m.Fit(train, test, opts))
	} else {
		for _, r := range m.History { // Loaded: show its curves once.
			live.Update(r)
		}
		if watch != nil {
			watch(m, m.History[len(m.History)-1])
		}
	}
	Check(live.Err())
	last := m.History[len(m.History)-1]
	fmt.Printf("%s after %d steps: held-out reconstruction %.1f + KL %.1f = %.1f nats per image (negative ELBO); %d active units\n",
		cfg.Model, m.GlobalStep(), last.HeldOut.Reconstruction, last.HeldOut.KL, last.HeldOut.NegELBO, last.ActiveUnits)
	return m
}

// Show displays a figure inline (under GoNB), panicking on err, the error of the call
// that made it: nb.Show(plot.Grid(...)).
func Show[F plot.Figure](fig F, err error) {
	Check(err)
	Check(fig.Display())
}
