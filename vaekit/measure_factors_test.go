package vaekit

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit/data"
)

// tinyDSprites trains a small VAE on a few hundred dSprites images for a few steps.
func tinyDSprites(t *testing.T) (*Model, *data.Set) {
	t.Helper()
	train, test, err := data.LoadBoth(data.DSprites, data.Options{DSprites: data.DSpritesOptions{TrainImages: 300, TestImages: 200}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Dataset, cfg.ImageShape = data.DSprites, []int{64, 64, 1}
	cfg.HiddenDims, cfg.LatentDim, cfg.Steps, cfg.EvalEvery = []int{32}, 4, 5, 0
	m, err := Train(cfg, train, test, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	return m, test
}

// Measure's factor scores are MutualInformationGap of the posterior means (Embed) against
// the set's factor columns, and its KL decomposition is Model.KLDecomposition's.
func TestMeasureFactorScores(t *testing.T) {
	m, test := tinyDSprites(t)
	metrics, err := m.Measure(test, MeasureOptions{Seed: 3, FactorScores: true, KLDecomposition: true})
	if err != nil {
		t.Fatal(err)
	}
	codes, err := m.Embed(test)
	if err != nil {
		t.Fatal(err)
	}
	columns := make([][]int32, len(test.Factors.Names))
	for f := range columns {
		for i := range test.N {
			columns[f] = append(columns[f], test.Factors.Of(i)[f])
		}
	}
	want, err := MutualInformationGap(codes, test.Factors.Names, test.Factors.Sizes, columns, MIGBins)
	if err != nil {
		t.Fatal(err)
	}
	got := metrics.FactorScores
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Measure's factor scores %+v, MutualInformationGap of the codes %+v", got, want)
	}
	if len(got.MutualInformation) != 5 || len(got.MutualInformation[0]) != 4 || got.Images != 200 || got.MIG < 0 || got.MIG > 1 {
		t.Errorf("factor scores: %d factors x %d coordinates over %d images, MIG %g: expected 5 x 4 over 200, MIG in [0, 1]",
			len(got.MutualInformation), len(got.MutualInformation[0]), got.Images, got.MIG)
	}
	parts, err := m.KLDecomposition(test, 3)
	if err != nil {
		t.Fatal(err)
	}
	if *metrics.KLDecomposition != parts {
		t.Errorf("Measure's KL decomposition %+v, Model.KLDecomposition's %+v", *metrics.KLDecomposition, parts)
	}
	// The parts add up to a one-sample estimate of the KL term: close to the closed form.
	if sum := parts.IndexCodeMI + parts.TotalCorrelation + parts.DimensionwiseKL; math.Abs(sum-metrics.KL) > 0.2*max(1, metrics.KL) {
		t.Errorf("MI + TC + dimension-wise KL = %g, the closed-form KL term %g", sum, metrics.KL)
	}
	// Measure without the options computes neither.
	plain, err := m.Measure(test, MeasureOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if plain.FactorScores != nil || plain.KLDecomposition != nil {
		t.Errorf("Measure without FactorScores and KLDecomposition gave %+v and %+v", plain.FactorScores, plain.KLDecomposition)
	}
}

func TestMeasureFactorScoresBadInput(t *testing.T) {
	m, test := tinyDSprites(t)
	noFactors := *test
	noFactors.Factors = nil
	_, err := m.Measure(&noFactors, MeasureOptions{FactorScores: true})
	if err == nil || !strings.Contains(err.Error(), "has no known factors") {
		t.Errorf("factor scores of a set without factors: %v, expected an error saying it has none", err)
	}
	cfg := DefaultConfig()
	cfg.Model = "ae"
	ae, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ae.Measure(syntheticSet(20, 1), MeasureOptions{KLDecomposition: true})
	if err == nil || !strings.Contains(err.Error(), "plain autoencoder (model=ae) has none") {
		t.Errorf("KL decomposition of an autoencoder: %v, expected an error saying it has no KL term", err)
	}
}

func TestLatentsByKL(t *testing.T) {
	m := &Metrics{KLPerDim: []float64{0.5, 2, 0, 2, 1}}
	if got, want := m.LatentsByKL(), []int{1, 3, 4, 0, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("LatentsByKL of %v = %v, expected %v", m.KLPerDim, got, want)
	}
	if got := (&Metrics{}).LatentsByKL(); got != nil {
		t.Errorf("LatentsByKL without KL = %v, expected nil", got)
	}
}

// dsprites' splits are samples of a size the loader is given: the trained model's identity
// includes its training set's fingerprint, so two sizes are two models in the cache.
func TestDSpritesModelsKnowTheirData(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Dataset, cfg.ImageShape = data.DSprites, []int{64, 64, 1}
	var hashes []string
	for _, n := range []int{300, 400} {
		train, err := data.Load(data.DSprites, data.Train, data.Options{DSprites: data.DSpritesOptions{TrainImages: n, TestImages: 10}})
		if err != nil {
			t.Fatal(err)
		}
		got := forData(cfg, train)
		if got.DataID != train.Fingerprint() {
			t.Fatalf("%d images: data_id %q, expected the training set's fingerprint %q", n, got.DataID, train.Fingerprint())
		}
		hashes = append(hashes, got.Hash())
	}
	if hashes[0] == hashes[1] {
		t.Errorf("dsprites models trained on 300 and 400 images share the hash %s", hashes[0])
	}
}
