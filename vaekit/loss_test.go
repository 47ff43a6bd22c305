package vaekit

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The analytic KL (appendix B of Kingma & Welling) must agree with a Monte Carlo estimate
// E_q[log q(z) - log p(z)] computed independently, in float64, on the host.
func TestKLDivergenceMatchesMonteCarlo(t *testing.T) {
	mean := [][]float32{{0, 0, 0}, {1.5, -0.7, 0.2}, {-2, 0.3, 1}}
	logVar := [][]float32{{0, 0, 0}, {-1, 0.5, -2}, {1, -0.3, 0.1}}
	out := MustExecOnce(testBackend(t), KLDivergence, mean, logVar)
	got := tensors.MustCopyFlatData[float32](out)

	rng := rand.New(rand.NewPCG(1, 2))
	const samples = 400_000
	for i := range mean {
		var sum float64
		for range samples {
			var logQ, logP float64
			for j := range mean[i] {
				mu, lv := float64(mean[i][j]), float64(logVar[i][j])
				z := mu + math.Exp(lv/2)*rng.NormFloat64()
				logQ += -0.5 * (math.Log(2*math.Pi) + lv + (z-mu)*(z-mu)/math.Exp(lv))
				logP += -0.5 * (math.Log(2*math.Pi) + z*z)
			}
			sum += logQ - logP
		}
		mc := sum / samples
		if math.Abs(float64(got[i])-mc) > 0.02+0.01*math.Abs(mc) {
			t.Errorf("example %d: analytic KL %.4f, Monte Carlo %.4f", i, got[i], mc)
		}
	}
	if math.Abs(float64(got[0])) > 1e-6 {
		t.Errorf("KL(N(0,I)||N(0,I)) = %g, expected 0", got[0])
	}
}

// On safe logits the stable Bernoulli loss equals the textbook formula; on extreme
// logits, where the textbook formula overflows to Inf, it stays finite and exact.
func TestBernoulliNLLStable(t *testing.T) {
	x := [][]float32{{0, 1, 0.3, 1}, {1, 0, 0.5, 0.9}}
	logits := [][]float32{{-2, 3, 0.1, 0}, {1.5, -0.4, 2, -3}}
	got := tensors.MustCopyFlatData[float32](MustExecOnce(testBackend(t), BernoulliNLL, x, logits))
	for i := range x {
		var naive float64
		for j := range x[i] {
			p := 1 / (1 + math.Exp(-float64(logits[i][j])))
			xv := float64(x[i][j])
			naive -= xv*math.Log(p) + (1-xv)*math.Log(1-p)
		}
		if math.Abs(float64(got[i])-naive) > 1e-4 {
			t.Errorf("example %d: stable %.6f, naive %.6f", i, got[i], naive)
		}
	}

	// Logit 200 for a pixel that is 0: -log(1 - sigmoid(200)) = 200 (naive: log(0) = -Inf).
	extreme := tensors.MustCopyFlatData[float32](MustExecOnce(testBackend(t), BernoulliNLL,
		[][]float32{{0, 1}}, [][]float32{{200, -150}}))
	if want := float32(350); math.Abs(float64(extreme[0]-want)) > 1e-2 {
		t.Errorf("extreme logits: got %g, want %g", extreme[0], want)
	}
}

// BernoulliNLL over a whole 28x28 image against the float64 formula, for logits of every
// size a trained decoder produces.
func TestBernoulliNLLImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const pixels = 784
	x, logits := make([][]float32, 2), make([][]float32, 2)
	for i := range x {
		x[i], logits[i] = make([]float32, pixels), make([]float32, pixels)
		for j := range x[i] {
			x[i][j] = float32(rng.IntN(256)) / 255
			logits[i][j] = float32(rng.NormFloat64() * 8)
		}
	}
	got := tensors.MustCopyFlatData[float32](MustExecOnce(testBackend(t), BernoulliNLL, x, logits))
	for i := range x {
		var want float64
		for j := range x[i] {
			l, xv := float64(logits[i][j]), float64(x[i][j])
			want += math.Max(l, 0) + math.Log1p(math.Exp(-math.Abs(l))) - xv*l
		}
		if math.Abs(float64(got[i])-want) > 1e-5*want {
			t.Errorf("image %d: got %.7g, want %.7g (float64)", i, got[i], want)
		}
	}
}

// BernoulliNLL supplies its gradient by hand (a stop-gradient identity): it must be the
// closed form, d/dl = sigmoid(l) - x and d/dx = -l, also where |l| is large.
func TestBernoulliNLLGradient(t *testing.T) {
	x := [][]float32{{0, 1, 0.3, 1, 0}, {1, 0, 0.5, 0.9, 1}}
	logits := [][]float32{{-2, 3, 0.1, 0, 80}, {1.5, -0.4, 2, -3, -90}}
	outs := MustExecOnceN(testBackend(t), func(x, l *Node) []*Node {
		return Gradient(ReduceAllSum(BernoulliNLL(x, l)), x, l)
	}, x, logits)
	dx := tensors.MustCopyFlatData[float32](outs[0])
	dl := tensors.MustCopyFlatData[float32](outs[1])
	for i := range x {
		for j := range x[i] {
			k := i*len(x[i]) + j
			l, xv := float64(logits[i][j]), float64(x[i][j])
			if want := 1/(1+math.Exp(-l)) - xv; math.Abs(float64(dl[k])-want) > 1e-6 {
				t.Errorf("d/dlogit at (%d,%d): got %g, want %g", i, j, dl[k], want)
			}
			if want := -l; math.Abs(float64(dx[k])-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("d/dx at (%d,%d): got %g, want %g", i, j, dx[k], want)
			}
		}
	}
}

// Each reconstruction term against a hand computation from its definition.
func TestReconstructionTerms(t *testing.T) {
	x := []float64{0, 1, 0.25}
	logits := []float64{0, -1, 2}
	var bce, sse float64
	for j := range x {
		p := 1 / (1 + math.Exp(-logits[j]))
		bce += -(x[j]*math.Log(p) + (1-x[j])*math.Log(1-p))
		sse += (x[j] - p) * (x[j] - p)
	}
	d := float64(len(x))
	tests := []struct {
		name                string
		wantObjective, want float64
	}{
		{"bernoulli", bce, bce},
		{"bernoulli_mean", bce / d, bce},
		{"gaussian", 0.5*sse + 0.5*d*math.Log(2*math.Pi), 0.5*sse + 0.5*d*math.Log(2*math.Pi)},
		// SSE is the NLL of a Gaussian of variance 1/2, less its constant D/2 log(pi).
		{"sse", sse, sse + 0.5*d*math.Log(math.Pi)},
	}
	xs := [][]float32{{0, 1, 0.25}}
	ls := [][]float32{{0, -1, 2}}
	for _, tc := range tests {
		outs := MustExecOnceN(testBackend(t), func(x, logits *Node) []*Node {
			objective, nll := ReconstructionTerms(tc.name, x, logits)
			return []*Node{objective, nll}
		}, xs, ls)
		gotObjective := tensors.MustCopyFlatData[float32](outs[0])[0]
		gotNLL := tensors.MustCopyFlatData[float32](outs[1])[0]
		if math.Abs(float64(gotObjective)-tc.wantObjective) > 1e-5 || math.Abs(float64(gotNLL)-tc.want) > 1e-5 {
			t.Errorf("%s: objective %.6f, nll %.6f; want %.6f, %.6f", tc.name, gotObjective, gotNLL, tc.wantObjective, tc.want)
		}
	}
	// The sse term's nll must be exactly GaussianNLL with variance 1/2.
	half := tensors.MustCopyFlatData[float32](MustExecOnce(testBackend(t), func(x, logits *Node) *Node {
		return GaussianNLL(x, logits, 0.5)
	}, xs, ls))[0]
	if want := sse + 0.5*d*math.Log(math.Pi); math.Abs(float64(half)-want) > 1e-5 {
		t.Errorf("GaussianNLL(variance 1/2) = %.6f, want %.6f", half, want)
	}
}

func TestKLWarmupFactor(t *testing.T) {
	for _, tc := range []struct {
		step, n int
		want    float64
	}{{1, 0, 1}, {0, 100, 0}, {1, 100, 0.01}, {50, 100, 0.5}, {100, 100, 1}, {5000, 100, 1}, {3, 4, 0.75}} {
		if got := klWarmupFactor(tc.step, tc.n); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("klWarmupFactor(%d, %d) = %g, want %g", tc.step, tc.n, got, tc.want)
		}
		// The graph version used in training agrees.
		got := tensors.ToScalar[float32](MustExecOnce(testBackend(t), func(step *Node) *Node {
			return klWarmupFactorGraph(step, tc.n, ConvertDType(step, dtypes.Float32))
		}, int64(tc.step)))
		if math.Abs(float64(got)-tc.want) > 1e-6 {
			t.Errorf("klWarmupFactorGraph(%d, %d) = %g, want %g", tc.step, tc.n, got, tc.want)
		}
	}
}

// KLObjective: batch mean of the summed (or averaged) KL; free bits floor each dimension's
// batch mean, and a dimension below the floor gets exactly zero gradient.
func TestKLObjectiveAndFreeBits(t *testing.T) {
	// Two examples, three dimensions. Batch-mean KL per dimension from the closed form.
	means := [][]float32{{0.1, 2, 0.8}, {-0.1, 1, 0.5}}
	logVars := [][]float32{{0, -1, -0.2}, {0, 0.5, -0.2}}
	perDim := make([]float64, 3)
	for i := range means {
		for j := range perDim {
			mu, lv := float64(means[i][j]), float64(logVars[i][j])
			perDim[j] += -0.5 * (1 + lv - mu*mu - math.Exp(lv)) / 2
		}
	}
	const floor = 0.1 // Dimension 0 (KL 0.005) is below it; 1 and 2 are above.
	if !(perDim[0] < floor && perDim[1] > floor && perDim[2] > floor) {
		t.Fatalf("test data: per-dimension KL %v does not straddle the floor %g", perDim, floor)
	}
	for _, tc := range []struct {
		reduction string
		freeBits  float64
		want      float64
	}{
		{"sum", 0, perDim[0] + perDim[1] + perDim[2]},
		{"mean", 0, (perDim[0] + perDim[1] + perDim[2]) / 3},
		{"sum", floor, floor + perDim[1] + perDim[2]},
	} {
		outs := MustExecOnceN(testBackend(t), func(mean, logVar *Node) []*Node {
			kl := KLObjective(klPerDimension(mean, logVar), tc.reduction, tc.freeBits)
			grads := Gradient(kl, mean, logVar)
			return []*Node{kl, grads[0], grads[1]}
		}, means, logVars)
		got := float64(tensors.ToScalar[float32](outs[0]))
		if math.Abs(got-tc.want) > 1e-5 {
			t.Errorf("KLObjective(%s, free bits %g) = %.6f, want %.6f", tc.reduction, tc.freeBits, got, tc.want)
		}
		gradMean := tensors.MustCopyFlatData[float32](outs[1])
		gradLogVar := tensors.MustCopyFlatData[float32](outs[2])
		for i := range 2 {
			for j := range 3 {
				floored := tc.freeBits > 0 && perDim[j] < tc.freeBits
				gm, gl := gradMean[i*3+j], gradLogVar[i*3+j]
				if floored && (gm != 0 || gl != 0) {
					t.Errorf("free bits %g: dimension %d is below the floor but has gradient (%g, %g)", tc.freeBits, j, gm, gl)
				}
				if !floored && j == 1 && gm == 0 {
					t.Errorf("%s, free bits %g: dimension %d above the floor has no gradient", tc.reduction, tc.freeBits, j)
				}
			}
		}
	}
}

// z = mean + exp(logVar/2) * eps must have mean `mean` and variance exp(logVar), and its
// gradients must be the reparameterisation's: for the loss sum z^2, per sample,
//
//	d/dmean   = 2z                                   expectation 2 mean,  variance 4 sigma^2
//	d/dlogVar = 2z * sigma eps / 2 = z (z - mean)    expectation sigma^2, variance mean^2 sigma^2 + 2 sigma^4
//
// (with z = mean + sigma eps: z sigma eps = mean sigma eps + sigma^2 eps^2, E[eps^2] = 1,
// Var(eps^2) = 2, E[eps^3] = 0). Each sample's gradient is checked against its closed form,
// and the sums over n samples against n times the expectation within 5 standard errors.
func TestReparameterizeMoments(t *testing.T) {
	const n = 200_000
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(7); err != nil {
		t.Fatal(err)
	}
	means := []float32{1.5, -2, 0}
	logVars := []float32{0, float32(math.Log(0.25)), float32(math.Log(4))}
	latent := len(means)
	outs, err := model.CallOnceN(testBackend(t), store, func(scope *model.Scope, g *Graph) []*Node {
		mean := BroadcastToDims(InsertAxes(Const(g, means), 0), n, latent)
		logVar := BroadcastToDims(InsertAxes(Const(g, logVars), 0), n, latent)
		z := Reparameterize(scope, mean, logVar)
		grads := Gradient(ReduceAllSum(Square(z)), mean, logVar)
		return []*Node{z, grads[0], grads[1]}
	})
	if err != nil {
		t.Fatal(err)
	}
	z := tensors.MustCopyFlatData[float32](outs[0])
	gMean := tensors.MustCopyFlatData[float32](outs[1])
	gLogVar := tensors.MustCopyFlatData[float32](outs[2])
	for j := range means {
		mu, variance := float64(means[j]), math.Exp(float64(logVars[j]))
		var sum, sumSq, sumGMean, sumGLogVar float64
		for i := range n {
			k := i*latent + j
			v := float64(z[k])
			sum += v
			sumSq += v * v
			gm, gl := float64(gMean[k]), float64(gLogVar[k])
			sumGMean += gm
			sumGLogVar += gl
			if want := 2 * v; math.Abs(gm-want) > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("dim %d, sample %d: gradient wrt mean %g, want 2z = %g", j, i, gm, want)
			}
			if want := v * (v - mu); math.Abs(gl-want) > 1e-4*(1+math.Abs(want)) {
				t.Fatalf("dim %d, sample %d: gradient wrt logVar %g, want z (z - mean) = %g", j, i, gl, want)
			}
		}
		gotMean := sum / n
		gotVar := sumSq/n - gotMean*gotMean
		// Standard errors: sqrt(var/n) for the mean, about var*sqrt(2/n) for the variance.
		if math.Abs(gotMean-mu) > 5*math.Sqrt(variance/n) {
			t.Errorf("dim %d: sample mean %.4f, want %.4f", j, gotMean, mu)
		}
		if math.Abs(gotVar-variance) > 5*variance*math.Sqrt(2.0/n) {
			t.Errorf("dim %d: sample variance %.4f, want %.4f", j, gotVar, variance)
		}
		// The summed gradients: n times the expectation, standard error sqrt(n) times the
		// per-sample standard deviation.
		if want, se := 2*n*mu, math.Sqrt(n*4*variance); math.Abs(sumGMean-want) > 5*se {
			t.Errorf("dim %d: gradient wrt mean %.1f, want %.1f (standard error %.1f)", j, sumGMean, want, se)
		}
		if want, se := n*variance, math.Sqrt(n*(mu*mu*variance+2*variance*variance)); math.Abs(sumGLogVar-want) > 5*se {
			t.Errorf("dim %d: gradient wrt logVar %.1f, want n exp(logVar) = %.1f (standard error %.1f)", j, sumGLogVar, want, se)
		}
	}
}
