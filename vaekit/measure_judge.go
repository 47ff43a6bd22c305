package vaekit

import (
	"errors"
	"fmt"

	"github.com/vaekit/vaekit/vaekit/data"
	"github.com/vaekit/vaekit/vaekit/judge"
)

// checkSampleQuality reports MeasureOptions that cannot score the model's samples.
func (m *Model) checkSampleQuality(opts MeasureOptions) error {
	switch n := opts.SampleQuality; {
	case n == 0:
		return nil
	case n < 0:
		return fmt.Errorf("vaekit: Measure: SampleQuality=%d, expected a number of samples >= 0", n)
	case n < 2:
		return fmt.Errorf("vaekit: Measure: SampleQuality=%d, expected at least 2 samples (a covariance needs two; thousands give a stable FD_judge)", n)
	case opts.Judge == nil:
		return errors.New("vaekit: Measure: SampleQuality is set but Judge is nil: load the data set's judge with judge.Load")
	case m.Config.Autoencoder():
		return fmt.Errorf("vaekit: Measure: SampleQuality=%d, but a plain autoencoder (model=ae) has no prior to sample from", n)
	case opts.Judge.Dataset() != m.Config.Dataset:
		return fmt.Errorf("vaekit: Measure: the judge is of %s, the model of %s: load the judge of %s", opts.Judge.Dataset(), m.Config.Dataset, m.Config.Dataset)
	}
	return nil
}

// scoreSamples puts FD_judge of opts.SampleQuality prior samples (drawn with opts.Seed)
// against the measured images into metrics. The samples are the decoder's means, the
// images as they are (not binarised): both are gray levels in [0,1], like the judge's
// training images. A conditional model's samples cycle through the classes, and the
// judge also says how often a sample looks like the class it was asked for.
func (m *Model) scoreSamples(set *data.Set, opts MeasureOptions, metrics *Metrics) error {
	var labels []uint8
	if m.Config.Conditional() {
		labels = make([]uint8, opts.SampleQuality)
		for i := range labels {
			labels[i] = uint8(i % m.Config.Classes)
		}
	}
	samples, err := m.Sample(opts.SampleQuality, opts.Seed, labels...)
	if err != nil {
		return err
	}
	if labels == nil {
		metrics.JudgeFrechet, err = opts.Judge.FrechetDistance(samples, set)
	} else {
		var scores judge.ClassScores
		metrics.JudgeFrechet, scores, err = opts.Judge.FrechetAndClassAccuracy(samples, set)
		metrics.SampleClassAccuracy = scores.Accuracy
	}
	if err != nil {
		return fmt.Errorf("vaekit: Measure: scoring the samples with the judge: %w", err)
	}
	metrics.SamplesScored = opts.SampleQuality
	metrics.JudgeDir, metrics.JudgeTestAccuracy = opts.Judge.Dir(), opts.Judge.Info.TestAccuracy
	return nil
}
