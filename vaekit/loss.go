package vaekit

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/vaekit/vaekit/internal/workarounds"
)

// KLDivergence is KL(N(mean, diag(exp(logVar))) || N(0, I)) in nats, per example, in
// closed form (Kingma & Welling 2014, appendix B):
//
//	-KL = 1/2 * sum_j (1 + log(sigma_j^2) - mu_j^2 - sigma_j^2)
//
// mean and logVar: [batch, latent]; result: [batch].
func KLDivergence(mean, logVar *Node) *Node {
	return ReduceSum(klPerDimension(mean, logVar), -1)
}

// klPerDimension is the same KL, not summed over the latent dimensions: [batch, latent].
func klPerDimension(mean, logVar *Node) *Node {
	perDim := Sub(OnePlus(logVar), Add(Square(mean), Exp(logVar)))
	return MulScalar(perDim, -0.5)
}

// BernoulliNLL is -log p(x|z) in nats per example for a Bernoulli decoder given its logits
// l, summed over pixels. It uses the stable form of the binary cross-entropy,
//
//	-[x log sigmoid(l) + (1-x) log(1-sigmoid(l))] = softplus(l) - x*l,
//
// which never takes the log of 0 however large |l| grows. x may be grey levels in [0,1]
// (the tutorials' convention), not only 0/1. x, logits: [batch, pixels]; result: [batch].
//
// It is written for speed, since it is the widest term of an MLP VAE's step (a third of it
// with GoMLX's Softplus on the Go backend): softplus(l) = max(l, 0) + log(1 + exp(-|l|)),
// and its derivative sigmoid(l) is supplied directly through a stop-gradient identity
// instead of differentiating the formula, which would cost a dozen element-wise passes.
// The gradient is exact for both inputs: sigmoid(l) - x for the logits and -l for x. The
// Go backend's Log is scalar code, many times slower than its vectorised Exp, so the
// logs are summed as the log of a product (workarounds.SumLog1pExpNegAbs): one Log per 112 pixels.
func BernoulliNLL(x, logits *Node) *Node {
	l := logits
	slope := StopGradient(Sigmoid(l)) // d softplus(l) / dl.
	sumSoftplus := Add(ReduceSum(Max(l, ZerosLike(l)), -1), workarounds.SumLog1pExpNegAbs(l))
	// Value: sum softplus(l) - x*l; gradient: the one of sum (slope - x)*l.
	value := StopGradient(Sub(sumSoftplus, ReduceSum(Mul(slope, l), -1)))
	return Add(value, ReduceSum(Mul(Sub(slope, x), l), -1))
}

// GaussianNLL is -log N(x; mean, variance*I) in nats per example with mean =
// sigmoid(logits): sum (x - mean)^2 / (2 variance) + D/2 * log(2 pi variance).
func GaussianNLL(x, logits *Node, variance float64) *Node {
	pixels := x.Shape().Dimensions[x.Rank()-1]
	sse := SumSquaredError(x, logits)
	return AddScalar(MulScalar(sse, 0.5/variance), 0.5*float64(pixels)*math.Log(2*math.Pi*variance))
}

// SumSquaredError is sum over pixels of (x - sigmoid(logits))^2, per example: [batch].
func SumSquaredError(x, logits *Node) *Node {
	return ReduceSum(Square(Sub(x, Sigmoid(logits))), -1)
}

// ReconstructionTerms returns, per example, the reconstruction term the Config trains on
// (objective) and the negative log-likelihood -log p(x|z) in nats that it corresponds to
// (nll), used for the ELBO and IWAE bounds so that every model is scored in nats:
//
//   - "bernoulli": Bernoulli NLL summed over pixels (pytorch/examples, Kingma & Welling).
//     The objective is the NLL.
//   - "bernoulli_mean": the same likelihood, but the objective is the per-pixel mean of
//     the cross-entropy (one tutorial's tf.reduce_mean); nll = D * objective.
//   - "gaussian": unit-variance Gaussian NLL: 1/2 SSE + D/2 log(2 pi).
//   - "sse": the plain sum of squared errors (the TensorFlow conv tutorial and the
//     PyTorch AE-vs-VAE one). Alone it is the NLL of a Gaussian with variance 1/2 up to
//     the constant D/2 log(pi), which nll includes.
func ReconstructionTerms(name string, x, logits *Node) (objective, nll *Node) {
	pixels := float64(x.Shape().Dimensions[x.Rank()-1])
	switch name {
	case "bernoulli":
		nll = BernoulliNLL(x, logits)
		return nll, nll
	case "bernoulli_mean":
		nll = BernoulliNLL(x, logits)
		return MulScalar(nll, 1/pixels), nll
	case "gaussian":
		nll = GaussianNLL(x, logits, 1)
		return nll, nll
	case "sse":
		objective = SumSquaredError(x, logits)
		return objective, AddScalar(objective, 0.5*pixels*math.Log(math.Pi))
	}
	exceptions.Panicf("vaekit: unknown reconstruction %q, expected one of %v", name, knownReconstructions)
	return nil, nil
}

// klWarmupFactor is the fraction of the KL weight used at training step t (counting from
// 1) under a linear warm-up of n steps: min(1, t/n); 1 when n is 0 (no warm-up).
// Bowman et al. (2016) and Sønderby et al. (2016) anneal the KL weight this way so the
// decoder learns to use z before the KL term pushes the posterior onto the prior.
func klWarmupFactor(t, n int) float64 {
	if n <= 0 {
		return 1
	}
	return min(1, float64(t)/float64(n))
}

// klWarmupFactorGraph is klWarmupFactor inside a graph, for a step count t (int64 scalar).
func klWarmupFactorGraph(t *Node, n int, dtypeOf *Node) *Node {
	g := t.Graph()
	if n <= 0 {
		return ScalarOne(g, dtypeOf.DType())
	}
	ratio := DivScalar(ConvertDType(t, dtypeOf.DType()), float64(n))
	return Min(ratio, ScalarOne(g, dtypeOf.DType()))
}

// KLObjective is the KL term of the training objective for a batch, from the per-example,
// per-dimension KL [batch, latent]: the batch mean of the KL summed over dimensions
// (reduction "sum", the ELBO) or averaged over them ("mean").
//
// With freeBits > 0 each dimension's batch-averaged KL is floored at freeBits nats
// (Kingma et al. 2016, "free bits", eq. 15): a dimension below the floor contributes the
// constant floor, with zero gradient, so the optimizer stops squeezing it onto the prior.
func KLObjective(klPerDim *Node, reduction string, freeBits float64) *Node {
	perDim := ReduceMean(klPerDim, 0) // [latent]: batch-averaged KL of each dimension.
	if freeBits > 0 {
		perDim = Max(perDim, Scalar(klPerDim.Graph(), klPerDim.DType(), freeBits))
	}
	switch reduction {
	case "sum":
		return ReduceAllSum(perDim)
	case "mean":
		return ReduceAllMean(perDim)
	}
	exceptions.Panicf("vaekit: unknown kl_reduction %q, expected one of %v", reduction, knownKLReductions)
	return nil
}

// LogMeanExp is log(mean(exp(x))) over axis, computed stably as
// max + log(mean(exp(x - max))): importance weights of MNIST images are around e^-100,
// which exp alone turns into 0.
func LogMeanExp(x *Node, axis int) *Node {
	maxX := StopGradient(ReduceAndKeep(x, ReduceMax, axis))
	n := float64(x.Shape().Dimensions[MustAdjustAxis(axis, x)])
	sum := ReduceSum(Exp(Sub(x, maxX)), axis)
	return Add(Squeeze(maxX, axis), Log(DivScalar(sum, n)))
}
