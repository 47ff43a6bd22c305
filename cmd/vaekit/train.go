package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
	"github.com/vaekit/vaekit/vaekit/nb"
	"github.com/vaekit/vaekit/vaekit/plot"
)

var trainCmd = &command{
	name:    "train",
	summary: "train a model (or continue one); write its metrics and training curves",
	usage:   `-dir DIR [--name=value ...] [-set "name=value;..."] [flags]`,
	doc: `
Trains a VAE with the hyperparameters given as flags (defaults below) on the training
set, evaluating on the test set, and checkpoints it in DIR. Then it measures the model on
the test set, writes

  DIR/metrics.json  the metrics (negative ELBO and its terms, IWAE with -iwae, active
                    units, KL per dimension, ...) and the hyperparameters
  DIR/curves.png    the training curves (loss, reconstruction and KL; train and test)

and prints a one-line summary.

When DIR already holds a model, train continues it up to the new budget: the
hyperparameters start from the saved ones and the flags given change them. Only the
budget and the step size may change (train_steps, epochs, eval_every, eval_batch_size,
learning_rate); for anything else, use another directory. One train works in a
DIR at a time: a second one is refused, naming the process that holds DIR.

Example: a 2-D latent space, 5,000 steps, evaluated every 1,000:
  vaekit train -dir models/vae2 --latent_dim=2 --train_steps=5000 --eval_every=1000
or, in GoMLX's -set syntax:
  vaekit train -dir models/vae2 -set "latent_dim=2;train_steps=5000;eval_every=1000"`,
	flags: func(fs *flag.FlagSet) func(e *env) error {
		var o trainOptions
		registerHyperparameters(fs, &o.settings)
		fs.StringVar(&o.dir, "dir", "", "model directory (required): where the model is checkpointed, created if needed")
		o.dataDir = dataDirFlag(fs)
		fs.IntVar(&o.iwae, "iwae", 0, "also estimate -log p(x) with the IWAE bound of this many samples\n"+
			"per image (e.g. 100; costs about that many decodings per image; 0: skip)")
		fs.IntVar(&o.evalN, "eval_n", 0, "test images for the evaluations and the metrics (0: all)")
		fs.IntVar(&o.trainEvalN, "train_eval_n", 0, "training images scored at each evaluation, for the train curves\n"+
			"(0: 10,000, or 1,000 with -quick)")
		fs.BoolVar(&o.quick, "quick", nb.QuickMode(), "quick mode, the notebooks' CI budget (nb.Quick): at most 150 steps\n"+
			"(20 for conv), evaluated three times, on 1,000 test images unless -eval_n\n"+
			"(default from $VAEKIT_QUICK)")
		fs.BoolVar(&o.quiet, "quiet", false, "print only the summary (the progress bar shows only on a terminal)")
		return o.runCaught
	},
}

type trainOptions struct {
	settings          settings
	dir               string
	dataDir           *string
	iwae              int
	evalN, trainEvalN int
	quick, quiet      bool
	configFile        string          // The config.json without a checkpoint that gave the hyperparameters.
	stop              <-chan struct{} // Closed on Ctrl-C (runCaught).
}

func (o *trainOptions) run(e *env) error {
	if err := o.checkFlags(); err != nil {
		return err
	}
	cfg, continuing, err := o.config()
	if err != nil {
		return err
	}
	if err := o.beforeLock(e, cfg); err != nil {
		return err
	}
	// One train per directory: another one at work there is refused now, by name. The
	// lock is held until the metrics and curves are written too.
	lock, err := vaekit.LockModelDir(o.dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	cfg, trainSet, testSet, err := o.loadData(cfg, continuing, e)
	if err != nil {
		return err
	}
	if err := e.checkModel(cfg, o.memoryUse()); err != nil { // The data's own image shape.
		return err
	}

	log := io.Discard
	if !o.quiet {
		log = e.stdout
		e.printf("backend: %s", vaekit.BackendDescription())
		e.printf("data: %s, %d training and %d test images (from %s)", cfg.Dataset, trainSet.N, testSet.N, trainSet.Source)
		if continuing {
			e.printf("continuing the model in %s, up to step %d: %s", o.dir, cfg.StepsFor(trainSet.N), cfg)
		} else {
			e.printf("training a new model in %s for %d steps: %s", o.dir, cfg.StepsFor(trainSet.N), cfg)
		}
	}
	start := time.Now()
	startStep := 0
	m, err := vaekit.Train(cfg, trainSet, testSet, vaekit.TrainOptions{
		Dir:           o.dir,
		Lock:          lock,
		Quiet:         o.quiet || e.stdout != os.Stdout || !isTerminal(os.Stdout), // GoMLX's bar writes to os.Stdout.
		Log:           log,
		TrainEvalSize: o.trainEvalSize(),
		OnStart:       func(m *vaekit.Model) { startStep = m.GlobalStep() },
		MemoryLimit:   e.memoryLimit.get(),
		Stop:          o.stop,
	})
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	return o.writeResults(e, m, testSet, m.GlobalStep()-startStep, elapsed)
}

// checkFlags checks the flags that are not hyperparameters.
func (o *trainOptions) checkFlags() error {
	switch {
	case o.dir == "":
		return usagef("-dir is required: the directory to write the model to")
	case o.iwae < 0:
		return usagef("-iwae=%d: expected a number of samples >= 0", o.iwae)
	case o.evalN < 0:
		return usagef("-eval_n=%d: expected a number of images >= 0 (0: all)", o.evalN)
	case o.trainEvalN < 0:
		return usagef("-train_eval_n=%d: expected a number of images >= 1 (0: the default)", o.trainEvalN)
	}
	return nil
}

// config is the run's hyperparameters: the flags given, over the saved model's (when the
// directory holds one: continuing), a config.json's or the defaults (baseConfig).
func (o *trainOptions) config() (cfg vaekit.Config, continuing bool, err error) {
	continuing = vaekit.HasSavedModel(o.dir)
	base, err := o.baseConfig(continuing)
	if err != nil {
		return cfg, continuing, err
	}
	if cfg, err = o.settings.apply(base); err != nil {
		return cfg, continuing, err
	}
	if o.iwae > 0 && cfg.Autoencoder() {
		return cfg, continuing, usagef("-iwae=%d: a plain autoencoder (model=ae) has no likelihood to bound", o.iwae)
	}
	if o.quick {
		cfg = nb.Quick(cfg)
	}
	return cfg, continuing, nil
}

// loadData loads the training and test sets of cfg's data set (the test set cut to
// -eval_n, or to the quick mode's size). A new model of data of one's own takes the
// data's image shape, unless -image_shape gives one.
func (o *trainOptions) loadData(cfg vaekit.Config, continuing bool, e *env) (vaekit.Config, *data.Set, *data.Set, error) {
	name, err := data.ParseName(string(cfg.Dataset))
	if err != nil {
		return cfg, nil, nil, err
	}
	options := dataOptions(cfg, *o.dataDir, e.stderr)
	ownShape := !continuing && o.configFile == "" && (name == data.IDXFiles || name == data.ImageFolder) && !o.settings.gives("image_shape")
	if ownShape && name == data.ImageFolder {
		options.Folder.Height, options.Folder.Width, options.Folder.Channels = 0, 0, 0 // The images' own size.
	}
	trainSet, testSet, err := data.LoadBoth(name, options)
	if err != nil {
		return cfg, nil, nil, err
	}
	if ownShape {
		cfg = cfg.WithImageShape(trainSet.Shape())
		if err := cfg.Validate(); err != nil {
			return cfg, nil, nil, usagef("%s", strings.TrimPrefix(err.Error(), "vaekit: "))
		}
	}
	switch {
	case o.evalN > 0:
		testSet = testSet.Head(o.evalN)
	case o.quick:
		testSet = testSet.Head(nb.QuickHeldOut)
	}
	return cfg, trainSet, testSet, nil
}

// trainEvalSize is how many training images each evaluation scores: -train_eval_n, the
// quick mode's size, or 10,000.
func (o *trainOptions) trainEvalSize() int {
	switch {
	case o.trainEvalN > 0:
		return o.trainEvalN
	case o.quick:
		return nb.QuickHeldOut
	}
	return 10_000
}

// writeResults measures the trained model on the test set, writes metrics.json and
// curves.png into the model directory, and prints the summary line.
func (o *trainOptions) writeResults(e *env, m *vaekit.Model, testSet *data.Set, newSteps int, elapsed time.Duration) error {
	metrics, err := m.Measure(testSet, withFactorScores(m, testSet, vaekit.MeasureOptions{IWAESamples: o.iwae}))
	if err != nil {
		return err
	}
	metricsPath, curvesPath := filepath.Join(o.dir, "metrics.json"), filepath.Join(o.dir, "curves.png")
	content, err := metricsJSON(m, o.dir, metrics)
	if err != nil {
		return err
	}
	if err := writeFile(metricsPath, content); err != nil {
		return err
	}
	curves, err := plot.TrainingCurves(m.History, plot.CurvesOptions{})
	if err != nil {
		return err
	}
	if err := e.writePNG(curvesPath, curves); err != nil {
		return err
	}
	iwae := ""
	if metrics.IWAESamples > 0 {
		iwae = fmt.Sprintf(", IWAE-%d NLL %.2f", metrics.IWAESamples, metrics.IWAENLL)
	}
	if metrics.FactorScores != nil {
		iwae += fmt.Sprintf(", MIG %.3f", metrics.FactorScores.MIG)
	}
	e.printf("%s at step %d (%d new steps in %.1fs): test negative ELBO %.2f nats per image (reconstruction %.2f + KL %.2f)%s, %d of %d units active; wrote %s and %s",
		m.Config.Model, m.GlobalStep(), newSteps, elapsed.Seconds(), metrics.NegELBO, metrics.Reconstruction, metrics.KL,
		iwae, metrics.ActiveUnits, m.Config.LatentDim, metricsPath, curvesPath)
	return nil
}

// isTerminal reports whether f is a terminal (not a file or a pipe).
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
