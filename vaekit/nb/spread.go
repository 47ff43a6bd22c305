package nb

import (
	"fmt"
	"math"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
)

// Number is one number a notebook reports about a model.
type Number struct {
	Name   string // What it is, with its unit: "held-out -ELBO (nats)".
	Format string // How to print it: "%.1f".
	Value  float64
}

// Spread is one Number measured on the notebook's model and on the same Config trained
// from another seed.
type Spread struct {
	Name          string
	First, Second float64 // The notebook's model (cfg.Seed), the other seed's (cfg.Seed+1).
}

// Difference is the second seed's value minus the first's.
func (s Spread) Difference() float64 { return s.Second - s.First }

// SeedSpread measures how much the seed alone moves a notebook's numbers: it trains cfg
// again with the seed cfg.Seed+1 (through the model cache, as Trained does), measures
// both models with measure, and prints each number of the two side by side with their
// difference. A rerun of the notebook from scratch, with another machine's rounding or
// another seed, should agree with its printed numbers to about these differences; a much
// larger gap means that what trains has changed.
func SeedSpread(cfg vaekit.Config, train, test *data.Set, measure func(m *vaekit.Model) []Number) []Spread {
	other := cfg.Clone()
	other.Seed = cfg.Seed + 1
	first := measure(Trained(cfg, train, test))
	second := measure(Trained(other, train, test))
	if len(first) == 0 || len(second) != len(first) {
		panic(fmt.Sprintf("nb.SeedSpread: measure gave %d numbers for seed %d and %d for seed %d, expected the same numbers (at least one)",
			len(first), cfg.Seed, len(second), other.Seed))
	}
	spreads := make([]Spread, len(first))
	rows := make([][]any, len(first))
	for i, a := range first {
		b := second[i]
		if b.Name != a.Name {
			panic(fmt.Sprintf("nb.SeedSpread: number %d is %q for seed %d and %q for seed %d, expected the same", i, a.Name, cfg.Seed, b.Name, other.Seed))
		}
		s := Spread{Name: a.Name, First: a.Value, Second: b.Value}
		spreads[i] = s
		rows[i] = []any{a.Name, fmt.Sprintf(a.Format, s.First), fmt.Sprintf(a.Format, s.Second), signed(a.Format, s.Difference())}
	}
	fmt.Fprintf(stdout, "the seed-to-seed spread: the same Config trained from seed %d (this notebook's) and from seed %d\n", cfg.Seed, other.Seed)
	Table([]string{"number", fmt.Sprintf("seed %d", cfg.Seed), fmt.Sprintf("seed %d", other.Seed), "difference"}, rows)
	return spreads
}

// signed formats a difference with its sign, and one that prints as zero without one.
func signed(format string, d float64) string {
	magnitude := fmt.Sprintf(format, math.Abs(d))
	if magnitude == fmt.Sprintf(format, 0.0) {
		return magnitude
	}
	if d < 0 {
		return "-" + magnitude
	}
	return "+" + magnitude
}

// MetricNumbers are the numbers of a measurement of a model of cfg that a notebook reports,
// as Numbers for SeedSpread: the held-out terms, the active units and pixel MSE, and
// whichever of the posterior's sigma (a VAE), the IWAE bound, the judge's scores (with
// the class accuracy of a conditional model's samples), the KL term's three parts and the
// MIG were measured. Which numbers
// come back depends on cfg and on what was asked of Measure, never on their values.
func MetricNumbers(cfg vaekit.Config, m *vaekit.Metrics) []Number {
	isVAE := !cfg.Autoencoder()
	numbers := []Number{{Name: "reconstruction term (nats)", Format: "%.1f", Value: m.Reconstruction}}
	if isVAE {
		numbers = append(numbers,
			Number{Name: "KL term (nats)", Format: "%.2f", Value: m.KL},
			Number{Name: "-ELBO (nats)", Format: "%.1f", Value: m.NegELBO},
			Number{Name: "held-out loss (the training objective)", Format: "%.1f", Value: m.Loss})
	}
	if m.IWAESamples > 0 {
		numbers = append(numbers, Number{Name: fmt.Sprintf("IWAE(k=%d) NLL (nats)", m.IWAESamples), Format: "%.1f", Value: m.IWAENLL})
	}
	numbers = append(numbers,
		Number{Name: fmt.Sprintf("active units (of %d)", len(m.Activity)), Format: "%.0f", Value: float64(m.ActiveUnits)},
		Number{Name: "pixel MSE", Format: "%.4f", Value: m.ReconstructionMSE})
	if m.PosteriorStd != nil {
		numbers = append(numbers, Number{Name: "mean posterior sigma", Format: "%.4f", Value: m.PosteriorStd.Mean})
	}
	if m.SamplesScored > 0 {
		numbers = append(numbers, Number{Name: fmt.Sprintf("FD_judge of %d prior samples", m.SamplesScored), Format: "%.1f", Value: m.JudgeFrechet})
	}
	if m.SamplesScored > 0 && cfg.Conditional() {
		numbers = append(numbers, Number{Name: "judge's class accuracy of the samples (%)", Format: "%.1f", Value: 100 * m.SampleClassAccuracy})
	}
	if d := m.KLDecomposition; d != nil {
		numbers = append(numbers,
			Number{Name: "index-code mutual information (nats)", Format: "%.2f", Value: d.IndexCodeMI},
			Number{Name: "total correlation (nats)", Format: "%.2f", Value: d.TotalCorrelation},
			Number{Name: "dimension-wise KL (nats)", Format: "%.2f", Value: d.DimensionwiseKL})
	}
	if s := m.FactorScores; s != nil {
		numbers = append(numbers, Number{Name: "MIG", Format: "%.3f", Value: s.MIG})
	}
	return numbers
}
