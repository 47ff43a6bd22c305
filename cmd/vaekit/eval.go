package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
)

var evalCmd = &command{
	name:    "eval",
	summary: "measure a model on the test set; print (and write) the metrics as JSON",
	usage:   "-dir DIR [-iwae K] [-judge N] [-n N] [-split test|train] [-out FILE.json]",
	doc: `
Measures the model in DIR on a data split and prints the metrics as JSON on stdout:
the negative ELBO and its terms (nats per image, one z sample per image), the IWAE
estimate of -log p(x) with -iwae K (never above the negative ELBO, up to sampling noise),
active units, KL per latent dimension, reconstruction MSE and posterior standard
deviations, with the model's hyperparameters. On data with known factors (dsprites) also
how the code relates to them: factor_scores (the mutual information of each latent
coordinate with each factor, and its summary, the MIG of Chen et al. 2018) and
kl_decomposition (the KL term's index-code mutual information, total correlation and
dimension-wise KL). -out also writes them to a file.
-judge N also scores N samples from the prior by FD_judge (judge_frechet): the Fréchet
distance between the samples and the measured images in the feature space of the data
set's judge, a small classifier trained once (about a minute) and kept in the model
cache. It is FID's idea with another network: its values are not comparable to
published FIDs.

Example: the log-likelihood estimate of Burda et al. (2016), k = 5000, on all test images:
  vaekit eval -dir models/vae2 -iwae 5000 -out vae2-eval.json`,
	flags: func(fs *flag.FlagSet) func(e *env) error {
		dir := dirFlag(fs, "the model to measure")
		dataDir := dataDirFlag(fs)
		iwae := fs.Int("iwae", 0, "also estimate -log p(x) with the IWAE bound of this many samples\n"+
			"per image (e.g. 100 or 5000; costs about that many decodings per image, so the\n"+
			"progress goes to stderr; 0: skip)")
		judgeN := fs.Int("judge", 0, "also score this many samples from the prior by FD_judge against the\n"+
			"measured images (e.g. 10000; 0: skip)")
		n := fs.Int("n", 0, "measure on the first N images of the split (0: all)")
		split := fs.String("split", "test", "data split: test | train")
		out := fs.String("out", "", "also write the JSON to this file (.json, outside any model directory)")
		return func(e *env) error {
			switch {
			case *iwae < 0:
				return usagef("-iwae=%d: expected a number of samples >= 0", *iwae)
			case *judgeN < 0 || *judgeN == 1:
				return usagef("-judge=%d: expected a number of samples >= 2 (0: skip)", *judgeN)
			case *n < 0:
				return usagef("-n=%d: expected a number of images >= 0 (0: all)", *n)
			case *split != "test" && *split != "train":
				return usagef("-split=%q: expected test or train", *split)
			}
			if err := checkIWAESamples(*iwae); err != nil {
				return err
			}
			if err := checkOut(*out, ".json", *dir, ""); err != nil {
				return err
			}
			m, err := loadModel(*dir, e.stderr)
			if err != nil {
				return err
			}
			if err := e.checkModel(m.Config, vaekit.MemoryUse{IWAESamples: *iwae}); err != nil {
				return err
			}
			if *iwae > 0 && m.Config.Autoencoder() {
				return usagef("-iwae=%d: the model in %s is a plain autoencoder (model=ae), which has no likelihood to bound", *iwae, *dir)
			}
			set, err := loadSplit(m, *split, *dataDir)
			if err != nil {
				return err
			}
			if *n > set.N { // Not quietly fewer than asked for.
				return usagef("-n=%d: the %s split has %d images", *n, *split, set.N)
			}
			if *n > 0 {
				set = set.Head(*n)
			}
			opts := withFactorScores(m, set, vaekit.MeasureOptions{IWAESamples: *iwae})
			if *iwae > 0 {
				opts.IWAEProgress = iwaeProgress(e.stderr, *iwae, time.Now)
			}
			if *judgeN > 0 {
				if opts.Judge, err = loadJudge(m, *dir, *dataDir, e.stderr); err != nil {
					return err
				}
				opts.SampleQuality = *judgeN
			}
			metrics, err := m.Measure(set, opts)
			if err != nil {
				return err
			}
			content, err := metricsJSON(m, *dir, metrics)
			if err != nil {
				return err
			}
			return e.writeMetrics(*out, content)
		}
	},
}

// withFactorScores asks Measure for the factor scores, and for a VAE the KL term's three
// parts, when the data has known factors (dsprites): what its models are trained to show.
func withFactorScores(m *vaekit.Model, set *data.Set, opts vaekit.MeasureOptions) vaekit.MeasureOptions {
	if set.Factors != nil {
		opts.FactorScores = true
		opts.KLDecomposition = !m.Config.Autoencoder()
	}
	return opts
}

// progressEvery is how often the IWAE bound's progress is reported.
const progressEvery = 10 * time.Second

// iwaeProgress returns a MeasureOptions.IWAEProgress that writes to w, every
// progressEvery, how far the IWAE-k bound has got and about how long it has left, and
// when the last image is done, how long it took (a bound done within progressEvery is
// quiet).
func iwaeProgress(w io.Writer, k int, now func() time.Time) func(done, total int) {
	start := now()
	reported := start
	return func(done, total int) {
		t := now()
		elapsed := t.Sub(start)
		switch {
		case elapsed < progressEvery:
		case done == total:
			fmt.Fprintf(w, "IWAE-%d: %d images in %s (%.1f ms per image)\n", k, total,
				elapsed.Round(time.Second), float64(elapsed.Microseconds())/1000/float64(total))
		case t.Sub(reported) >= progressEvery:
			reported = t
			left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
			fmt.Fprintf(w, "IWAE-%d: %d of %d images (%.0f%%), %s so far, about %s left\n", k, done, total,
				100*float64(done)/float64(total), elapsed.Round(time.Second), left.Round(time.Second))
		}
	}
}
