package vaekit

import (
	"fmt"

	"github.com/vaekit/vaekit/vaekit/data"
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
	ActiveUnits       int       `json:"active_units"`            // Units with Var_x(E_q[z_u|x]) > ActivityThreshold.
	Activity          []float64 `json:"activity"`                // Var_x(E_q[z_u|x]) per unit.
	KLPerDim          []float64 `json:"kl_per_dim,omitempty"`    // Mean KL of each latent dimension (VAE only).
	ReconstructionMSE float64   `json:"reconstruction_mse"`      // Mean squared pixel error of the posterior-mean reconstruction.
	PosteriorStd      *StdStats `json:"posterior_std,omitempty"` // Posterior sigma statistics (VAE only).
}

// MeasureOptions choose the costlier metrics.
type MeasureOptions struct {
	IWAESamples int // k for the IWAE bound; 0 skips it (it decodes k times per image).
}

// Measure computes Metrics on set: the ELBO and its terms, IWAE (if asked), active units,
// KL per dimension, reconstruction MSE and posterior standard deviations.
func (m *Model) Measure(set *data.Set, opts MeasureOptions) (*Metrics, error) {
	if opts.IWAESamples < 0 {
		return nil, fmt.Errorf("vaekit: Measure: iwae samples %d, expected >= 0", opts.IWAESamples)
	}
	terms, err := m.Evaluate(set)
	if err != nil {
		return nil, err
	}
	metrics := &Metrics{Dataset: string(set.Name), Split: string(set.Split), Images: set.N, Step: m.GlobalStep(),
		Terms: terms, ELBO: -terms.NegELBO}
	images := m.evalImages(set).ImageSlices(0)
	means, logVars, err := m.Encode(images)
	if err != nil {
		return nil, err
	}
	if metrics.ActiveUnits, metrics.Activity, err = ActiveUnits(means, ActivityThreshold); err != nil {
		return nil, err
	}
	reconstructions, err := m.Decode(means)
	if err != nil {
		return nil, err
	}
	if metrics.ReconstructionMSE, err = ReconstructionMSE(images, reconstructions); err != nil {
		return nil, err
	}
	if logVars != nil {
		if metrics.KLPerDim, err = KLPerDim(means, logVars); err != nil {
			return nil, err
		}
		stats, err := PosteriorStdStats(logVars)
		if err != nil {
			return nil, err
		}
		metrics.PosteriorStd = &stats
	}
	if opts.IWAESamples > 0 && m.Config.Model != "ae" {
		if metrics.IWAENLL, err = m.IWAE(set, opts.IWAESamples); err != nil {
			return nil, err
		}
		metrics.IWAESamples = opts.IWAESamples
	}
	return metrics, nil
}
