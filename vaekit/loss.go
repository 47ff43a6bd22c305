package vaekit

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Reparameterize draws z ~ N(mean, diag(exp(logVar))) as z = mean + sigma * eps with
// eps ~ N(0, I) (Kingma & Welling 2014, section 2.4), so gradients flow to mean and logVar.
func Reparameterize(scope *model.Scope, mean, logVar *Node) *Node {
	eps := scope.RandomNormal(mean.Graph(), mean.Shape())
	sigma := Exp(MulScalar(logVar, 0.5))
	return Add(mean, Mul(sigma, eps))
}

// KLDivergence is KL(N(mean, diag(exp(logVar))) || N(0, I)) in nats, per example, in
// closed form (Kingma & Welling 2014, appendix B):
//
//	-KL = 1/2 * sum_j (1 + log(sigma_j^2) - mu_j^2 - sigma_j^2)
//
// mean and logVar: [batch, latent]; result: [batch].
func KLDivergence(mean, logVar *Node) *Node {
	return ReduceSum(KLPerDimension(mean, logVar), -1)
}

// KLPerDimension is the same KL, not summed over the latent dimensions: [batch, latent].
func KLPerDimension(mean, logVar *Node) *Node {
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
func BernoulliNLL(x, logits *Node) *Node {
	return ReduceSum(Sub(Softplus(logits), Mul(x, logits)), -1)
}

// GaussianNLL is -log N(x; mean, I) in nats per example with mean = sigmoid(logits):
// 1/2 * sum (x - mean)^2 + D/2 * log(2 pi). Unit variance makes it the sum of squares up
// to constants, while staying a proper log-likelihood, so the ELBO is comparable in nats.
func GaussianNLL(x, logits *Node) *Node {
	pixels := x.Shape().Dimensions[x.Rank()-1]
	sse := ReduceSum(Square(Sub(x, Sigmoid(logits))), -1)
	return AddScalar(MulScalar(sse, 0.5), 0.5*float64(pixels)*math.Log(2*math.Pi))
}

// ReconstructionNLL dispatches on the likelihood name ("bernoulli" or "gaussian").
func ReconstructionNLL(likelihood string, x, logits *Node) *Node {
	switch likelihood {
	case "bernoulli":
		return BernoulliNLL(x, logits)
	case "gaussian":
		return GaussianNLL(x, logits)
	}
	exceptions.Panicf("vaekit: unknown likelihood %q, expected one of %v", likelihood, KnownLikelihoods)
	return nil
}
