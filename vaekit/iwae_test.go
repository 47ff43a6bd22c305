package vaekit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
)

// objective=iwae with k = 1 is the ELBO: it trains exactly the model objective=elbo does
// (same steps, same records, same weights).
func TestIWAEObjectiveWithOneSampleIsTheELBO(t *testing.T) {
	trainSet, heldOut := syntheticSet(128, 1), syntheticSet(32, 2)
	elbo := smallConfig()
	iwae := elbo.Clone()
	iwae.Objective, iwae.IWAESamples = "iwae", 1
	a, err := Train(elbo, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(iwae, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	ca, cb := curves(a.History), curves(b.History)
	for i := range ca {
		if ca[i] != cb[i] {
			t.Errorf("record %d: ELBO %+v, IWAE k=1 %+v", i, ca[i], cb[i])
		}
	}
	wa, _ := tensorsCopy(a, "/decoder/logits/dense/weights")
	wb, _ := tensorsCopy(b, "/decoder/logits/dense/weights")
	for i := range wa {
		if wa[i] != wb[i] {
			t.Fatalf("decoder weight %d: %g trained on the ELBO, %g on IWAE k=1", i, wa[i], wb[i])
		}
	}
}

// With k > 1 the model trains on the bound: its training loss is the negative bound (at
// most the negative ELBO of the same images, up to noise), it learns, and the curves still
// record the ELBO's terms.
func TestIWAEObjectiveTrains(t *testing.T) {
	trainSet, heldOut := syntheticSet(256, 3), syntheticSet(64, 4)
	cfg := smallConfig()
	cfg.Objective, cfg.IWAESamples, cfg.Steps, cfg.EvalEvery = "iwae", 5, 60, 30
	start := untrainedTerms(t, cfg, heldOut)
	m, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	last := m.History[len(m.History)-1].HeldOut
	if !(last.NegELBO < start.NegELBO) {
		t.Errorf("held-out negative ELBO %.2f after training, %.2f before: expected a fall", last.NegELBO, start.NegELBO)
	}
	// Loss is -IWAE_5, evaluated with other draws than the terms' single-sample ELBO, so the
	// comparison allows for noise: 64 images, a fraction of a nat.
	if last.Loss > last.NegELBO+1 {
		t.Errorf("held-out loss (negative IWAE_5 bound) %.2f above the negative ELBO %.2f", last.Loss, last.NegELBO)
	}
	if math.Abs(last.NegELBO-(last.Reconstruction+last.KL)) > 1e-3 {
		t.Errorf("the recorded terms do not add up: %.3f + %.3f != %.3f", last.Reconstruction, last.KL, last.NegELBO)
	}
}

// LogMeanExp and its gradient, the softmax of x, against float64: computed naively where
// exp does not overflow or underflow, and with the maximum subtracted where it would
// (weights near e^1000 and e^-1000, as a trained model's importance weights are).
func TestLogMeanExpGradient(t *testing.T) {
	for _, row := range [][]float64{{0.5, -1, 2, 0}, {-3, -3.5, -2.8, -10}, {1000, 998, 1001, 990}, {-1000, -1003, -999, -1100}} {
		x := make([]float32, len(row))
		for i, v := range row {
			x[i] = float32(v)
		}
		outs := MustExecOnceN(testBackend(t), func(x *Node) []*Node {
			value := LogMeanExp(x, -1)
			return []*Node{value, Gradient(value, x)[0]}
		}, x)
		value, grad := float64(tensors.ToScalar[float32](outs[0])), tensors.MustCopyFlatData[float32](outs[1])
		// float64 reference: naive where safe, else shifted by the maximum.
		shift := 0.0
		if math.Abs(row[0]) > 100 {
			shift = row[0]
			for _, v := range row {
				shift = math.Max(shift, v)
			}
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(v - shift)
		}
		want := shift + math.Log(sum/float64(len(row)))
		if math.Abs(value-want) > 1e-4*(1+math.Abs(want)) {
			t.Errorf("LogMeanExp(%v) = %.6f, want %.6f", row, value, want)
		}
		for i, v := range row {
			softmax := math.Exp(v-shift) / sum
			if math.Abs(float64(grad[i])-softmax) > 1e-6 {
				t.Errorf("x=%v: gradient[%d] = %g, want softmax %g", row, i, grad[i], softmax)
			}
		}
	}
}

// The IWAE bound of each image, recomputed in float64 from the model's parts: the
// encoder's posterior, the same standard-normal draws (seeded by (seed, image)), the
// decoder's pixel probabilities, and log-mean-exp of the weights, for both Bernoulli
// losses (whose evaluation takes the batched x.l shortcut) and the Gaussian one.
func TestIWAEBoundsAgainstAFloat64Computation(t *testing.T) {
	for _, reconstruction := range []string{"bernoulli", "bernoulli_mean", "gaussian"} {
		t.Run(reconstruction, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Reconstruction, cfg.Binarize = reconstruction, "none"
			m, err := NewModel(cfg)
			if err != nil {
				t.Fatal(err)
			}
			set := syntheticSet(5, 4)
			const k, seed = 7, 3
			bounds, err := m.iwaeBounds(set, k, seed, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			means, logVars, err := m.encode(set)
			if err != nil {
				t.Fatal(err)
			}
			for i := range set.N {
				draws := rand.New(rand.NewPCG(seed, uint64(i)))
				z := make([][]float32, k)
				eps := make([][]float64, k)
				for s := range z {
					z[s], eps[s] = make([]float32, cfg.LatentDim), make([]float64, cfg.LatentDim)
					for d := range z[s] {
						eps[s][d] = float64(float32(draws.NormFloat64()))
						z[s][d] = float32(float64(means[i][d]) + math.Exp(0.5*float64(logVars[i][d]))*eps[s][d])
					}
				}
				decoded, err := m.Decode(z)
				if err != nil {
					t.Fatal(err)
				}
				x := set.Image(i)
				logWeights := make([]float64, k)
				for s := range k {
					var logPxz, logPz, logQz float64
					for p, mean := range decoded.Image(s) {
						mu, xp := float64(mean), float64(x[p])
						if reconstruction == "gaussian" {
							logPxz += -0.5*(xp-mu)*(xp-mu) - 0.5*math.Log(2*math.Pi)
						} else {
							logPxz += xp*math.Log(mu) + (1-xp)*math.Log(1-mu)
						}
					}
					for d := range cfg.LatentDim {
						logPz += -0.5 * float64(z[s][d]) * float64(z[s][d])
						logQz += -0.5 * (eps[s][d]*eps[s][d] + float64(logVars[i][d]))
					}
					logWeights[s] = logPxz + logPz - logQz
				}
				maxW := slices.Max(logWeights)
				var sum float64
				for _, w := range logWeights {
					sum += math.Exp(w - maxW)
				}
				want := maxW + math.Log(sum/k)
				if math.Abs(bounds[i]-want) > 1e-4*math.Abs(want) {
					t.Errorf("image %d: IWAE-%d bound %.5f, the float64 computation gives %.5f", i, k, bounds[i], want)
				}
			}
		})
	}
}

// An image's bound does not depend on the batch it ran in (batches of 8, against one
// batch of 20), and progress counts up to every image.
func TestIWAEBoundsDoNotDependOnBatching(t *testing.T) {
	m, err := NewModel(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	set := syntheticSet(20, 5)
	const k = 50
	var calls []int
	batched, err := m.iwaeBounds(set, k, 1, 8, func(done, total int) {
		if total != 20 {
			t.Errorf("progress: total %d, want 20", total)
		}
		calls = append(calls, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(calls, []int{8, 16, 20}) && !slices.Equal(calls, []int{8, 12, 20}) {
		t.Errorf("progress calls %v, want 8, 16, 20 images done (or 8, 12, 20 when the last batch finishes second)", calls)
	}
	whole, err := m.iwaeBounds(set, k, 1, 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range whole {
		if math.Abs(b-batched[i]) > 1e-5*math.Abs(b) {
			t.Errorf("image %d: bound %.6f in a batch of 20, %.6f in batches of 8", i, b, batched[i])
		}
	}
}

// Measure's IWAE estimate is the mean of the images' -bounds, and its standard error
// their sample standard deviation over sqrt(n).
func TestMeasureIWAEStandardError(t *testing.T) {
	m, err := NewModel(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	set := syntheticSet(30, 6)
	const k, seed = 20, 9
	metrics, err := m.Measure(set, MeasureOptions{IWAESamples: k, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	bounds, err := m.iwaeBounds(set, k, seed, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var mean, variance float64
	for _, b := range bounds {
		mean -= b / float64(len(bounds))
	}
	for _, b := range bounds {
		variance += (-b - mean) * (-b - mean) / float64(len(bounds)-1)
	}
	stdErr := math.Sqrt(variance / float64(len(bounds)))
	if math.Abs(metrics.IWAENLL-mean) > 1e-4 || math.Abs(metrics.IWAEStdErr-stdErr) > 1e-6 || !(stdErr > 0) {
		t.Errorf("Measure: IWAE NLL %.5f ± %.6f, from the bounds %.5f ± %.6f", metrics.IWAENLL, metrics.IWAEStdErr, mean, stdErr)
	}
}

// eval_iwae puts the held-out IWAE estimate in every record: the last one is what
// measuring the trained model with the same k and draws gives.
func TestEvalIWAERecordsTheLikelihoodCurve(t *testing.T) {
	cfg := smallConfig()
	cfg.EvalIWAESamples = 10
	heldOut := syntheticSet(40, 2)
	m, err := Train(cfg, syntheticSet(128, 1), heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.History) != 3 {
		t.Fatalf("%d records, want 3 (eval_every=10 of 30 steps)", len(m.History))
	}
	for _, r := range m.History {
		if !(r.HeldOutIWAENLL > 0) || r.HeldOutIWAENLL > r.HeldOut.NegELBO+5 {
			t.Errorf("step %d: held-out NLL %.2f, want > 0 and not above the negative ELBO %.2f (+5 of noise)", r.Step, r.HeldOutIWAENLL, r.HeldOut.NegELBO)
		}
	}
	want, _, err := m.iwae(heldOut, 10, cfg.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if last := m.History[2].HeldOutIWAENLL; math.Abs(last-want) > 1e-9 {
		t.Errorf("last record's held-out NLL %.6f, measuring the model gives %.6f", last, want)
	}
	ae := smallConfig()
	ae.Model, ae.EvalIWAESamples = "ae", 10
	if err := ae.Validate(); err == nil || !strings.Contains(err.Error(), "eval_iwae=10") {
		t.Errorf("model=ae with eval_iwae=10: error %v, want one naming eval_iwae=10", err)
	}
}

// An image's k samples spread over blocks give the bound one call of all k gives, up to
// rounding: the same draws, in the same order, their log-mean-exp taken in float64.
// Past the samples one batch holds (iwaeRowsFor), the bound is computed in such blocks,
// so its memory does not grow with k.
func TestIWAEBoundsInBlocks(t *testing.T) {
	agree := func(t *testing.T, what string, whole, blocks []float64) {
		t.Helper()
		for i, b := range whole {
			if math.Abs(b-blocks[i]) > 1e-5*math.Abs(b) {
				t.Errorf("%s, image %d: bound %.6f in one call, %.6f in blocks", what, i, b, blocks[i])
			}
		}
	}
	for _, condition := range []string{"none", "label"} {
		cfg := smallConfig()
		cfg.Condition = condition
		m, err := NewModel(cfg)
		if err != nil {
			t.Fatal(err)
		}
		set := syntheticSet(3, 7)
		const k = 50
		whole, err := m.iwaeBoundsIn(set, iwaeJob{k: k, seed: 2, images: 3, samples: k}, nil)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := m.iwaeBoundsIn(set, iwaeJob{k: k, seed: 2, images: 3, samples: 16}, nil)
		if err != nil {
			t.Fatal(err)
		}
		agree(t, "condition="+condition+", k=50 in blocks of 16", whole, blocks)
	}

	m, err := NewModel(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	rows := iwaeRowsFor(&m.Config)
	k := 2*rows + 3
	one := syntheticSet(1, 8)
	whole, err := m.iwaeBoundsIn(one, iwaeJob{k: k, seed: 4, images: 1, samples: k}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.weightsExec != nil {
		t.Fatal("one call of all k samples went through the blocks' graph")
	}
	nll, _, err := m.iwae(one, k, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.weightsExec == nil {
		t.Errorf("k=%d, more than the %d samples of one batch, was not cut into blocks", k, rows)
	}
	agree(t, fmt.Sprintf("k=%d", k), whole, []float64{-nll})
}

// Past the rows one call holds, k is cut into the fewest blocks that fit, all of one
// size, so that padding the last block decodes fewer than one extra sample per block
// (blocks of the full rows would decode 8,192 rows for k = 5000 and 4,096).
func TestIWAEBlockSize(t *testing.T) {
	if got := iwaeBlockSize(5000, 4096); got != 2500 {
		t.Errorf("iwaeBlockSize(5000, 4096) = %d, want 2500", got)
	}
	for _, rows := range []int{1, 7, 100, 4096} {
		for k := 1; k <= 3*rows+5; k++ {
			size := iwaeBlockSize(k, rows)
			if k <= rows {
				if size != k {
					t.Fatalf("k=%d, rows=%d: block of %d, want all k in one", k, rows, size)
				}
				continue
			}
			blocks := (k + size - 1) / size
			if size > rows || blocks != (k+rows-1)/rows || blocks*size-k >= blocks {
				t.Fatalf("k=%d, rows=%d: %d blocks of %d (%d padded), want %d blocks of at most %d, fewer than one padded sample per block",
					k, rows, blocks, size, blocks*size-k, (k+rows-1)/rows, rows)
			}
		}
	}
}
