// Package nb holds the few conveniences every vaekit notebook needs, so that notebooks
// keep to prose and experiments: loading a data set (smaller in quick mode), training or
// loading a model with a live plot of its curves, and Must for cells that stop on errors.
//
// Quick mode ($VAEKIT_QUICK=1, see QuickMode) is how CI runs every notebook: the
// same cells with Quick's small budgets and QuickHeldOut held-out images.
package nb

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

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

// Data loads the training and held-out (test) sets of a data set ("mnist" or
// "fashion-mnist"); in quick mode the held-out set is its first QuickHeldOut images.
func Data(dataset data.Name) (train, test *data.Set) {
	name := Must(data.ParseName(string(dataset)))
	train, test = Must2(data.LoadBoth(name, data.Options{}))
	if QuickMode() {
		test = test.Head(QuickHeldOut)
	}
	return train, test
}

// Train returns the model trained with cfg (in quick mode, Quick(cfg)) through
// vaekit.TrainOrLoad: loaded in seconds if a run with exactly these settings finished
// before, else trained (resumed, if a run was interrupted) while a live plot of its
// curves updates in the cell. It prints one line with the held-out terms.
func Train(cfg vaekit.Config, train, test *data.Set) *vaekit.Model {
	return trainOrLoad(cfg, train, test, nil, false)
}

// Trained returns the model trained with cfg like Train, but quietly when it is already
// in the cache (no curves, one line): for the cells after the one that trained it.
func Trained(cfg vaekit.Config, train, test *data.Set) *vaekit.Model {
	return trainOrLoad(cfg, train, test, nil, true)
}

// TrainAndWatch is Train that also shows how the reconstructions of the first n held-out
// images changed as the model trained: watch gets, for every evaluation, its record, the
// n originals and their reconstructions at that step. The reconstructions are kept with
// the model (vaekit.TrainOptions.Frames), so a model loaded from the cache shows the same
// frames as the run that trained it.
func TrainAndWatch(cfg vaekit.Config, train, test *data.Set, n int, watch func(r vaekit.Record, originals, reconstructions *data.Set)) *vaekit.Model {
	if n < 1 {
		panic(fmt.Sprintf("nb.TrainAndWatch: n=%d images to watch, expected at least 1", n))
	}
	return trainOrLoad(cfg, train, test, &watcher{n: n, show: watch}, false)
}

// watcher shows the frames of a training run (TrainAndWatch).
type watcher struct {
	n    int
	show func(r vaekit.Record, originals, reconstructions *data.Set)
}

// stdout is where the cells' lines go (the cell's output); tests replace it.
var stdout io.Writer = os.Stdout

// trainOrLoad is vaekit.TrainOrLoad with live curves (and watch's frames) while the model
// trains. A model the cache holds finished is shown once, or with quietIfLoaded in one line.
func trainOrLoad(cfg vaekit.Config, train, test *data.Set, watch *watcher, quietIfLoaded bool) *vaekit.Model {
	opts := vaekit.TrainOptions{TrainEvalSize: 2000, Quiet: true, Log: stdout}
	if QuickMode() {
		cfg = Quick(cfg)
		opts.TrainEvalSize = QuickHeldOut
	}
	var originals *data.Set
	if watch != nil {
		opts.Frames = watch.n
		originals = test.Head(min(watch.n, test.N))
	}
	live := plot.NewLiveCurves(plot.CurvesOptions{})
	var training *vaekit.Model // Set when training starts; stays nil when the cache had the model.
	opts.OnStart = func(m *vaekit.Model) {
		training = m
		for _, r := range m.History { // A resumed model's curves so far.
			live.Update(r)
		}
	}
	opts.OnEval = func(r vaekit.Record) {
		live.Update(r)
		if watch != nil && len(training.Frames) > 0 {
			watch.show(r, originals, training.Frames[len(training.Frames)-1].Reconstructions)
		}
	}
	m := Must(vaekit.TrainOrLoad(cfg, train, test, opts))
	// The entry's name, not its path: saved notebooks should not carry a machine's paths.
	entry := filepath.Base(Must(vaekit.CachedModelDir(m.Config)))
	Check(recordModel(modelRecord{Kind: "model", Entry: entry, TrainingFormat: m.TrainingFormat, TrainSeconds: m.TrainSeconds(), FromCache: training == nil}))
	last := m.History[len(m.History)-1]
	name := cfg.Model // The model's kind, one word: vae, ae, cvae, iwae(k=5), beta-tcvae.
	switch cfg.Objective {
	case "iwae":
		name = fmt.Sprintf("iwae(k=%d)", cfg.IWAESamples)
	case "beta_tcvae":
		name = "beta-tcvae"
	}
	if cfg.Conditional() {
		name = "c" + name
	}
	if training == nil {
		if quietIfLoaded {
			fmt.Fprintf(stdout, "(%s model of %d steps, loaded from the model cache: %s)\n", name, m.GlobalStep(), entry)
			return m
		}
		fmt.Fprintf(stdout, "found a model trained earlier with these settings in the model cache: %s (training format %d; its training took %s)\n",
			entry, m.TrainingFormat, time.Duration(m.TrainSeconds()*float64(time.Second)).Round(time.Second))
		for _, r := range m.History {
			live.Update(r)
		}
		if watch != nil {
			showFrames(m, originals, watch)
		}
	}
	Check(live.Err())
	fmt.Fprintf(stdout, "%s after %d steps: held-out reconstruction %.1f + KL %.1f = %.1f nats per image (negative ELBO) of %d values; %d active units\n",
		name, m.GlobalStep(), last.HeldOut.Reconstruction, last.HeldOut.KL, last.HeldOut.NegELBO, m.Pixels(), last.ActiveUnits)
	return m
}

// showFrames shows a loaded model's frames, each with the record of its step; a model
// that kept none for as many images (trained without frames, or with fewer) is shown
// once, at its last step.
func showFrames(m *vaekit.Model, originals *data.Set, watch *watcher) {
	records := map[int]vaekit.Record{}
	for _, r := range m.History {
		records[r.Step] = r
	}
	if len(m.Frames) == 0 || m.Frames[0].Reconstructions.N < originals.N {
		fmt.Fprintf(stdout, "(this cached model kept no frames of its training for %d images: its reconstructions at step %d only)\n", originals.N, m.GlobalStep())
		watch.show(m.History[len(m.History)-1], originals, Must(m.Reconstruct(originals)))
		return
	}
	for _, f := range m.Frames {
		watch.show(records[f.Step], originals, f.Reconstructions.Head(originals.N))
	}
}

// Show displays a figure inline (under GoNB), panicking on err, the error of the call
// that made it: nb.Show(plot.Grid(...)).
func Show[F plot.Figure](fig F, err error) {
	Check(err)
	Check(fig.Display())
}
