package vaekit

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/vaekit/vaekit/vaekit/data"
)

// Measure is the one way to score a model on a data set: the ELBO and its terms, the
// IWAE bound (if asked), active units, KL per dimension, the reconstruction's pixel MSE,
// the posterior's standard deviations, with a judge, FD_judge of its samples, and on data
// with known factors how the code relates to them (MIG).
func (m *Model) Measure(set *data.Set, opts MeasureOptions) (*Metrics, error) {
	if opts.IWAESamples < 0 {
		return nil, fmt.Errorf("vaekit: Measure: IWAESamples=%d, expected >= 0", opts.IWAESamples)
	}
	if opts.IWAESamples > 0 && m.Config.Autoencoder() {
		return nil, fmt.Errorf("vaekit: Measure: IWAESamples=%d, but a plain autoencoder (model=ae) has no posterior or prior, so no likelihood bound", opts.IWAESamples)
	}
	if err := m.checkSampleQuality(opts); err != nil {
		return nil, err
	}
	if err := m.checkDisentanglement(set, opts); err != nil {
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
	if opts.FactorScores {
		if metrics.FactorScores, err = factorScores(means, set.Factors); err != nil {
			return nil, err
		}
	}
	if opts.KLDecomposition { // The posteriors encoded above: Model.KLDecomposition's estimate.
		parts, err := klDecompositionOf(means, logVars, opts.Seed)
		if err != nil {
			return nil, err
		}
		metrics.KLDecomposition = &parts
	}
	return metrics, nil
}

// checkDisentanglement checks, before anything is computed, that the set and the model
// have what FactorScores and KLDecomposition need.
func (m *Model) checkDisentanglement(set *data.Set, opts MeasureOptions) error {
	if opts.FactorScores && set != nil && set.Factors == nil {
		return fmt.Errorf("vaekit: Measure: FactorScores asks how the code relates to the data's generative factors, but the %s %s set has no known factors: only data made from its factors has them (dataset=%s)",
			set.Name, set.Split, data.DSprites)
	}
	if opts.KLDecomposition && m.Config.Autoencoder() {
		return fmt.Errorf("vaekit: Measure: KLDecomposition splits the KL term, but a plain autoencoder (model=ae) has none")
	}
	return nil
}

// factorScores is MutualInformationGap of the codes against a data set's factor table.
func factorScores(codes [][]float32, factors *data.Factors) (*FactorScores, error) {
	if err := factors.Check(len(codes)); err != nil {
		return nil, fmt.Errorf("vaekit: Measure: %w", err)
	}
	columns := make([][]int32, len(factors.Names))
	for f, name := range factors.Names {
		columns[f], _ = factors.Column(name) // A name of the table's own.
	}
	return MutualInformationGap(codes, factors.Names, factors.Sizes, columns, MIGBins)
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
