package vaekit

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/vaekit/vaekit/vaekit/data"
	"github.com/vaekit/vaekit/vaekit/judge"
)

// Metrics is everything vaekit measures about a trained model on one data set. Values
// are per image, in nats where that applies.
type Metrics struct {
	Dataset string `json:"dataset"`
	Split   string `json:"split"`
	Images  int    `json:"images"`
	Step    int    `json:"step"` // Training steps the model had taken.

	Terms                       // Held-out loss, reconstruction, KL and negative ELBO (one z sample per image).
	ELBO              float64   `json:"elbo"`                    // -NegELBO: the evidence lower bound on log p(x).
	IWAESamples       int       `json:"iwae_samples,omitempty"`  // k of the IWAE bound (0: not computed).
	IWAENLL           float64   `json:"iwae_nll,omitempty"`      // -IWAE_k bound: the NLL estimate, <= NegELBO.
	IWAEStdErr        float64   `json:"iwae_std_err,omitempty"`  // Standard error of IWAENLL over the images (the sampling error of using these images).
	ActiveUnits       int       `json:"active_units"`            // Units with Var_x(E_q[z_u|x]) > ActivityThreshold.
	Activity          []float64 `json:"activity"`                // Var_x(E_q[z_u|x]) per unit.
	KLPerDim          []float64 `json:"kl_per_dim,omitempty"`    // Mean KL of each latent dimension (VAE only).
	ReconstructionMSE float64   `json:"reconstruction_mse"`      // Mean squared pixel error of the posterior-mean reconstruction.
	PosteriorStd      *StdStats `json:"posterior_std,omitempty"` // Posterior sigma statistics (VAE only).

	// FD_judge of SamplesScored prior samples against the measured images (with
	// MeasureOptions.Judge): see judge.Judge.FrechetDistance. Not comparable to
	// published FIDs.
	JudgeFrechet  float64 `json:"judge_frechet,omitempty"`
	SamplesScored int     `json:"samples_scored,omitempty"`
	// For a conditional model, whose samples are asked for in equal numbers of each
	// class: how often the judge gives a sample the class it was asked for.
	SampleClassAccuracy float64 `json:"sample_class_accuracy,omitempty"`
	// The judge that scored the samples: its directory and its accuracy on the test set.
	JudgeDir          string  `json:"judge_dir,omitempty"`
	JudgeTestAccuracy float64 `json:"judge_test_accuracy,omitempty"`
}

// MeasureOptions choose the costlier metrics, and seed the random ones.
type MeasureOptions struct {
	// IWAESamples is k for the IWAE bound (it decodes k times per image); 0 skips it. A
	// plain autoencoder has no likelihood bound: asking for one is an error.
	IWAESamples int

	// IWAEProgress, if not nil, is called as the IWAE bound's images are done (IWAE-5000
	// of MNIST's test set takes minutes): done of total images.
	IWAEProgress func(done, total int)

	// Seed seeds the Monte Carlo draws (one z per image for the ELBO's terms, k for the
	// IWAE bound): the same model, data and seed give the same numbers, whatever ran
	// before. The model's own random state (for training) is left as it was.
	Seed uint64

	// Judge and SampleQuality score the model's samples: SampleQuality images decoded
	// from prior codes drawn with Seed are compared with the measured images by FD_judge,
	// the Fréchet distance in the judge's feature space (judge.Judge.FrechetDistance;
	// thousands of samples give a stable value). 0 skips it. Judge is the judge of the
	// model's data set (judge.Load).
	Judge         *judge.Judge
	SampleQuality int
}

// Measure is the one way to score a model on a data set: the ELBO and its terms, the
// IWAE bound (if asked), active units, KL per dimension, the reconstruction's pixel MSE,
// the posterior's standard deviations and, with a judge, FD_judge of its samples.
func (m *Model) Measure(set *data.Set, opts MeasureOptions) (*Metrics, error) {
	if opts.IWAESamples < 0 {
		return nil, fmt.Errorf("vaekit: Measure: IWAESamples=%d, expected >= 0", opts.IWAESamples)
	}
	if opts.IWAESamples > 0 && m.Config.Model == "ae" {
		return nil, fmt.Errorf("vaekit: Measure: IWAESamples=%d, but a plain autoencoder (model=ae) has no posterior or prior, so no likelihood bound", opts.IWAESamples)
	}
	if err := m.checkSampleQuality(opts); err != nil {
		return nil, err
	}
	if err := m.checkSet(set, "evaluation set"); err != nil {
		return nil, err
	}
	metrics := &Metrics{Dataset: string(set.Name), Split: string(set.Split), Images: set.N, Step: m.GlobalStep()}
	err := m.withSeed(opts.Seed, func() error {
		terms, err := m.evaluate(set)
		if err != nil {
			return err
		}
		metrics.Terms, metrics.ELBO = terms, -terms.NegELBO
		if opts.IWAESamples > 0 {
			metrics.IWAESamples = opts.IWAESamples
			metrics.IWAENLL, metrics.IWAEStdErr, err = m.iwae(set, opts.IWAESamples, opts.Seed, opts.IWAEProgress)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	images := m.evalImages(set)
	means, logVars, err := m.encode(images)
	if err != nil {
		return nil, err
	}
	if metrics.Activity, err = UnitActivity(means); err != nil {
		return nil, err
	}
	metrics.ActiveUnits = countActive(metrics.Activity)
	reconstructions, err := m.Decode(means, m.ownLabels(images)...)
	if err != nil {
		return nil, err
	}
	if metrics.ReconstructionMSE, err = ReconstructionMSE(images, reconstructions); err != nil {
		return nil, err
	}
	if logVars != nil {
		if metrics.KLPerDim, err = klPerDim(means, logVars); err != nil {
			return nil, err
		}
		stats, err := PosteriorStdStats(logVars)
		if err != nil {
			return nil, err
		}
		metrics.PosteriorStd = &stats
	}
	if opts.SampleQuality > 0 {
		if err := m.scoreSamples(set, opts, metrics); err != nil {
			return nil, err
		}
	}
	return metrics, nil
}

// withSeed runs fn with the model's random state seeded from seed, and restores the state
// afterwards.
func (m *Model) withSeed(seed uint64, fn func() error) error {
	if err := m.initVariables(); err != nil { // The state exists once a graph has run.
		return err
	}
	state := m.store.GetVariable(model.JoinPath("/", model.RNGStateVariableName))
	var saved *tensors.Tensor
	if state != nil && state.HasValue() {
		value, err := state.Value()
		if err != nil {
			return err
		}
		if saved, err = value.LocalClone(); err != nil {
			return err
		}
	}
	if err := m.store.SetRNGStateFromSeed(int64(seed)); err != nil {
		return fmt.Errorf("vaekit: seeding the measurement: %w", err)
	}
	err := fn()
	if saved != nil {
		if restoreErr := state.SetValue(saved); restoreErr != nil && err == nil {
			err = fmt.Errorf("vaekit: restoring the model's random state: %w", restoreErr)
		}
	}
	return err
}
