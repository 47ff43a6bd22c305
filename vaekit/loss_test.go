package vaekit

import (
	"math"
	"math/rand/v2"
	"testing"

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

func TestGaussianNLL(t *testing.T) {
	x := [][]float32{{0, 1, 0.25}}
	logits := [][]float32{{0, 0, 2}}
	got := tensors.MustCopyFlatData[float32](MustExecOnce(testBackend(t), GaussianNLL, x, logits))
	var want float64
	for j := range x[0] {
		mu := 1 / (1 + math.Exp(-float64(logits[0][j])))
		d := float64(x[0][j]) - mu
		want += 0.5*d*d + 0.5*math.Log(2*math.Pi)
	}
	if math.Abs(float64(got[0])-want) > 1e-5 {
		t.Errorf("GaussianNLL = %.6f, want %.6f", got[0], want)
	}
}

// z = mean + exp(logVar/2) * eps must have mean `mean` and variance exp(logVar), and
// gradients must reach both parameters.
func TestReparameterizeMoments(t *testing.T) {
	const n = 200_000
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(7); err != nil {
		t.Fatal(err)
	}
	means := []float32{1.5, -2, 0}
	logVars := []float32{0, float32(math.Log(0.25)), float32(math.Log(4))}
	outs, err := model.CallOnceN(testBackend(t), store, func(scope *model.Scope, g *Graph) []*Node {
		mean := BroadcastToDims(InsertAxes(Const(g, means), 0), n, len(means))
		logVar := BroadcastToDims(InsertAxes(Const(g, logVars), 0), n, len(logVars))
		z := Reparameterize(scope, mean, logVar)
		grads := Gradient(ReduceAllSum(Square(z)), mean, logVar)
		return []*Node{z, ReduceSum(grads[0], 0), ReduceSum(grads[1], 0)}
	})
	if err != nil {
		t.Fatal(err)
	}
	z := tensors.MustCopyFlatData[float32](outs[0])
	for j := range means {
		var sum, sumSq float64
		for i := range n {
			v := float64(z[i*len(means)+j])
			sum += v
			sumSq += v * v
		}
		gotMean := sum / n
		gotVar := sumSq/n - gotMean*gotMean
		wantVar := math.Exp(float64(logVars[j]))
		// Standard errors: sqrt(var/n) for the mean, about var*sqrt(2/n) for the variance.
		if math.Abs(gotMean-float64(means[j])) > 5*math.Sqrt(wantVar/n) {
			t.Errorf("dim %d: sample mean %.4f, want %.4f", j, gotMean, means[j])
		}
		if math.Abs(gotVar-wantVar) > 5*wantVar*math.Sqrt(2.0/n) {
			t.Errorf("dim %d: sample variance %.4f, want %.4f", j, gotVar, wantVar)
		}
	}
	// d/dmean sum z^2 = 2z summed: 2*n*mean in expectation; the logVar gradient is non-zero.
	gMean := tensors.MustCopyFlatData[float32](outs[1])
	gLogVar := tensors.MustCopyFlatData[float32](outs[2])
	for j := range means {
		want := 2 * n * float64(means[j])
		if math.Abs(float64(gMean[j])-want) > 0.05*n+0.05*math.Abs(want) {
			t.Errorf("dim %d: gradient wrt mean %.1f, want about %.1f", j, gMean[j], want)
		}
		if gLogVar[j] == 0 {
			t.Errorf("dim %d: no gradient reaches logVar", j)
		}
	}
}
