package vaekit

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// posteriorsOf builds the estimator's posteriors from rows of means and log-variances.
func posteriorsOf(means, logVars [][]float64) *posteriors {
	return newPosteriors(rowsFloat32(means), rowsFloat32(logVars))
}

// oneSampleKL is the mean over the samples of log q(z_s|x_s) - log p(z_s), by direct loops.
func oneSampleKL(means, logVars [][]float64, z []float64) float64 {
	var sum float64
	d := len(means[0])
	for s := range means {
		for j := range d {
			zj := z[s*d+j]
			sum += logNormal(zj, means[s][j], logVars[s][j]) - logNormal(zj, 0, 0)
		}
	}
	return sum / float64(len(means))
}

// repeatRow is n copies of row, each value rounded to float32 as the model gives it.
func repeatRow(row []float64, n int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			out[i][j] = float64(float32(v))
		}
	}
	return out
}

// Identical posteriors for every image: q(z) is q(z|x) itself, so z carries no
// information about the image (MI = 0) and q(z) factorises as q(z|x) does (TC = 0);
// the whole KL is dimension-wise.
func TestKLDecompositionIdenticalPosteriors(t *testing.T) {
	means := repeatRow([]float64{0.3, -0.2, 1.1}, 50)
	logVars := repeatRow([]float64{0.1, -0.5, -2}, 50)
	q := posteriorsOf(means, logVars)
	z := q.sample(rand.New(rand.NewPCG(1, 2)))
	got := q.decompose(z)
	want := oneSampleKL(means, logVars, z)
	if math.Abs(got.IndexCodeMI) > 1e-9 || math.Abs(got.TotalCorrelation) > 1e-9 || math.Abs(got.DimensionwiseKL-want) > 1e-9 || got.Samples != 50 {
		t.Errorf("identical posteriors: %+v; want MI 0, TC 0, dimKL %.9f (the one-sample KL), 50 samples", got, want)
	}
	t.Logf("identical posteriors: MI %.2g TC %.2g dimKL %.6f (one-sample KL %.6f)", got.IndexCodeMI, got.TotalCorrelation, got.DimensionwiseKL, want)
}

// Posteriors of tiny variance at (+-a, +-a), a = 10, far apart: each sample z_s lies under
// its own posterior only (the others' densities there are below exp(-10^6)), so in
// closed form, with K images
//
//	log q(z_s)     = log q(z_s|x_s) - log K                  => MI = log K
//	log q(z_sd)    = log q(z_sd|x_s) - log(K / K_d)          (K_d images share x_s's sign in d)
//	TC             = -log K + sum_d log(K / K_d)
//
// Two images at (+a, +a) and (-a, -a) (dimensions that copy each other): K = 2, K_d = 1,
// TC = -log 2 + 2 log 2 = log 2. The four images of every (+-a, +-a) (independent
// dimensions): K = 4, K_d = 2, TC = -log 4 + 2 log 2 = 0. The three parts sum to the
// one-sample KL in both.
func TestKLDecompositionSeparatedPosteriors(t *testing.T) {
	const a, logVar = 10.0, -9.2 // sigma = 0.01.
	for _, tc := range []struct {
		name   string
		means  [][]float64
		wantMI float64
		wantTC float64
	}{
		{"(+a,+a), (-a,-a)", [][]float64{{a, a}, {-a, -a}}, math.Log(2), math.Log(2)},
		{"all four (+-a, +-a)", [][]float64{{a, a}, {a, -a}, {-a, a}, {-a, -a}}, math.Log(4), 0},
	} {
		logVars := repeatRow([]float64{logVar, logVar}, len(tc.means))
		q := posteriorsOf(tc.means, logVars)
		z := q.sample(rand.New(rand.NewPCG(5, 6)))
		got := q.decompose(z)
		kl := oneSampleKL(tc.means, logVars, z)
		wantDimKL := kl - tc.wantMI - tc.wantTC
		if math.Abs(got.IndexCodeMI-tc.wantMI) > 1e-9 || math.Abs(got.TotalCorrelation-tc.wantTC) > 1e-9 || math.Abs(got.DimensionwiseKL-wantDimKL) > 1e-9 {
			t.Errorf("%s: %+v; want MI %.6f, TC %.6f, dimKL %.6f", tc.name, got, tc.wantMI, tc.wantTC, wantDimKL)
		}
		t.Logf("%s: MI %.9f (log %d = %.9f), TC %.9f, dimKL %.4f, sum %.4f = one-sample KL %.4f", tc.name, got.IndexCodeMI, len(tc.means),
			math.Log(float64(len(tc.means))), got.TotalCorrelation, got.DimensionwiseKL, got.IndexCodeMI+got.TotalCorrelation+got.DimensionwiseKL, kl)
	}
}

// Random overlapping posteriors: the estimator against a direct computation of each
// sample's parts over the whole mixture, and the sum against the one-sample KL.
func TestKLDecompositionAgainstDirectSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	means, logVars, _ := randomPosteriors(rng, 300, 4, 1)
	q := posteriorsOf(means, logVars)
	z := q.sample(rng)
	got := q.decompose(z)
	var mi, tc, dimKL float64
	n, d, logN := len(means), len(means[0]), math.Log(float64(len(means)))
	for s := range n {
		zs := z[s*d : (s+1)*d]
		joint := make([]float64, n)
		var own, sumLogQzd, logPz float64
		for j := range d {
			perDim := make([]float64, n)
			for i := range n {
				perDim[i] = logNormal(zs[j], means[i][j], logVars[i][j])
				joint[i] += perDim[i]
			}
			own += perDim[s]
			sumLogQzd += logSumExp(perDim) - logN
			logPz += logNormal(zs[j], 0, 0)
		}
		logQz := logSumExp(joint) - logN
		mi += (own - logQz) / float64(n)
		tc += (logQz - sumLogQzd) / float64(n)
		dimKL += (sumLogQzd - logPz) / float64(n)
	}
	kl := oneSampleKL(means, logVars, z)
	sum := got.IndexCodeMI + got.TotalCorrelation + got.DimensionwiseKL
	if math.Abs(got.IndexCodeMI-mi) > 1e-9 || math.Abs(got.TotalCorrelation-tc) > 1e-9 || math.Abs(got.DimensionwiseKL-dimKL) > 1e-9 || math.Abs(sum-kl) > 1e-9 {
		t.Errorf("%+v (sum %.9f); direct: MI %.9f TC %.9f dimKL %.9f, one-sample KL %.9f", got, sum, mi, tc, dimKL, kl)
	}
	t.Logf("300 random posteriors, D=4: MI %.6f TC %.6f dimKL %.6f (direct %.6f %.6f %.6f), sum %.6f = one-sample KL %.6f", got.IndexCodeMI, got.TotalCorrelation, got.DimensionwiseKL, mi, tc, dimKL, sum, kl)
}

// The host estimator's time for N = 10,000 images of D = 10 (the cap): 10^9
// log-densities, and as many exponentials. Run with
//
//	go test ./vaekit/ -run '^$' -bench KLDecomposition -benchtime 1x
//
// The CPU time it logs tells the wall time on cores of one's own (CPU time / cores)
// when other processes share the machine.
func BenchmarkKLDecomposition(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	means, logVars, _ := randomPosteriors(rng, klDecompositionImages, 10, 1)
	q := posteriorsOf(means, logVars)
	z := q.sample(rng)
	b.ResetTimer()
	for range b.N {
		start, cpuStart := time.Now(), cpuTime()
		got := q.decompose(z)
		b.Logf("N=%d, D=10: %v wall, %v CPU on %d cores: %+v", klDecompositionImages, time.Since(start).Round(time.Millisecond),
			(cpuTime() - cpuStart).Round(time.Millisecond), runtime.GOMAXPROCS(0), got)
	}
}

// Model.KLDecomposition encodes the images and draws from seed: the same seed gives the
// same numbers, computed from the model's own posteriors; a set over the cap is
// subsampled; an autoencoder has nothing to split.
func TestModelKLDecomposition(t *testing.T) {
	cfg := tcvaeConfig(t, "tc_beta=6;train_steps=20")
	m, err := Train(cfg, syntheticSet(256, 21), syntheticSet(64, 22), TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	set := syntheticSet(300, 23)
	a, err := m.KLDecomposition(set, 4)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.KLDecomposition(set, 4)
	means, logVars, err := m.Encode(set)
	if err != nil {
		t.Fatal(err)
	}
	q := newPosteriors(means, logVars)
	want := q.decompose(q.sample(rand.New(rand.NewPCG(4, 0x2d5))))
	if a != b || a != want || a.Samples != 300 {
		t.Errorf("KLDecomposition: %+v, again %+v; from Encode's posteriors %+v (300 samples)", a, b, want)
	}
	terms, err := m.evaluate(set)
	if err != nil {
		t.Fatal(err)
	}
	sum := a.IndexCodeMI + a.TotalCorrelation + a.DimensionwiseKL
	t.Logf("trained beta-TCVAE, 300 images: MI %.4f (log 300 = %.4f) TC %.4f dimKL %.4f, sum %.4f; closed-form KL %.4f", a.IndexCodeMI, math.Log(300), a.TotalCorrelation, a.DimensionwiseKL, sum, terms.KL)
	if a.IndexCodeMI > math.Log(300)+1e-9 || math.Abs(sum-terms.KL) > 0.2*terms.KL+0.5 {
		t.Errorf("MI %.4f above log N, or the sum %.4f far from the closed-form KL %.4f", a.IndexCodeMI, sum, terms.KL)
	}
	defer func(images int) { klDecompositionImages = images }(klDecompositionImages)
	klDecompositionImages = 100 // A set over the cap, without the cap's cost.
	if got, err := m.KLDecomposition(set, 1); err != nil || got.Samples != 100 || got == a {
		t.Errorf("300 images over a cap of 100: %+v, %v; want 100 samples", got, err)
	}
	ae := smallConfig()
	ae.Model = "ae"
	aeModel, err := NewModel(ae)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := aeModel.KLDecomposition(set, 1); err == nil || !strings.Contains(err.Error(), "autoencoder") {
		t.Errorf("an autoencoder: %v; want an error saying it has no posterior", err)
	}
}

// The estimator's exponential against math.Exp over its range, x <= 0.
func TestExpNonPositive(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	worst := 0.0
	for i := range 2_000_000 {
		x := -rng.Float64() * 708
		if i%2 == 0 {
			x = -rng.Float64() * 2
		}
		want := math.Exp(x)
		worst = max(worst, math.Abs(expNonPositive(x)-want)/want)
	}
	for _, x := range []float64{0, -1e-300, -math.Ln2, -707.9} {
		worst = max(worst, math.Abs(expNonPositive(x)-math.Exp(x))/math.Exp(x))
	}
	if worst > 5e-15 || expNonPositive(-709) != 0 || expNonPositive(math.Inf(-1)) != 0 || expNonPositive(0) != 1 {
		t.Errorf("largest relative error %.3g (want <= 5e-15); e^-709 -> %g, e^-inf -> %g, e^0 -> %g", worst, expNonPositive(-709), expNonPositive(math.Inf(-1)), expNonPositive(0))
	}
	t.Logf("largest relative error against math.Exp: %.3g", worst)
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
