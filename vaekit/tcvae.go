package vaekit

import (
	"errors"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/support/exceptions"
)

// The beta-TCVAE of Chen, Li, Grosse & Duvenaud (2018), "Isolating Sources of
// Disentanglement in Variational Autoencoders". Their eq. 2 splits the ELBO's KL term,
// with n the index of a training example and q(z) = 1/N sum_n q(z|n) the aggregate
// posterior, into three parts:
//
//	E_p(n)[KL(q(z|n) || p(z))] = I_q(z; n)                          index-code mutual information
//	                           + KL(q(z) || prod_j q(z_j))          total correlation
//	                           + sum_j KL(q(z_j) || p(z_j))         dimension-wise KL
//
// and objective=beta_tcvae trains reconstruction + tc_alpha * MI + tc_beta * TC +
// tc_gamma * dimKL. Per sample z ~ q(z|n) the three are
//
//	MI    = log q(z|n) - log q(z)
//	TC    = log q(z) - sum_j log q(z_j)
//	dimKL = sum_j log q(z_j) - log p(z)
//
// which sum to log q(z|n) - log p(z), a one-sample estimate of the KL. For a conditional
// model (condition=label) n is an image with its label and q(z|n) is q(z|x, y): nothing
// else changes.

// errNoDatasetSize is the error of a beta_tcvae model that has no N for its estimate.
var errNoDatasetSize = errors.New("vaekit: objective=beta_tcvae needs dataset_size, the training set's size, for its estimate of q(z) (Chen et al. 2018's minibatch-weighted sampling), and it is 0")

// datasetSizeProblem is errNoDatasetSize for a beta_tcvae Config without dataset_size
// (Train and TrainOrLoad set it from the training data), nil otherwise.
func (c Config) datasetSizeProblem() error {
	if c.Objective == "beta_tcvae" && c.DatasetSize == 0 {
		return errNoDatasetSize
	}
	return nil
}

// tcvaeObjective is the beta-TCVAE's loss of a batch: the mean over the batch of the
// reconstruction term + tc_alpha * MI + tc_beta * TC + tc_gamma * dimKL, with z the
// sample the decoder was given.
func (m *Model) tcvaeObjective(f forwardPass) *Node {
	cfg := &m.Config
	if err := cfg.datasetSizeProblem(); err != nil {
		exceptions.Panicf("%v", err)
	}
	mi, tc, dimKL := tcDecomposition(f.mean, f.logVar, f.z, cfg.DatasetSize)
	kl := Add(Add(MulScalar(mi, cfg.TCAlpha), MulScalar(tc, cfg.TCBeta)), MulScalar(dimKL, cfg.TCGamma))
	return ReduceAllMean(Add(f.reconObjective, kl))
}

// tcDecomposition returns, per example [batch], Chen et al.'s MI, TC and dimKL of the
// sample z_i ~ q(z|n_i) [batch, latent], given the batch's posteriors mean and logVar
// [batch, latent] and N = datasetSize.
//
// q(z) and q(z_j) are estimated from the batch by minibatch-weighted sampling (Chen et al.
// 2018, section 4.1 and appendix C.1), for a batch of M examples drawn from N:
//
//	log q(z_i)   ~= log 1/(NM) sum_j q(z_i | n_j)          = logsumexp_j log q(z_i|n_j) - log(NM)
//	log q(z_id)  ~= log 1/(NM) sum_j q(z_id | n_j)
//
// The log(NM) of the estimates shifts MI by +log(NM), TC by (D-1) log(NM) and dimKL by
// -D log(NM) (D latent dimensions): constants, which change the loss's value (not at
// tc_alpha = tc_beta = tc_gamma, where they cancel) but not its gradients.
func tcDecomposition(mean, logVar, z *Node, datasetSize int) (mi, tc, dimKL *Node) {
	batch, latent := mean.Shape().Dimensions[0], mean.Shape().Dimensions[1]
	logQzGivenN := ReduceSum(logNormalDensity(z, mean, logVar), -1) // log q(z_i|n_i) [batch].

	// log q(z_id|n_j) [i, j, d]: sample i's z under example j's posterior.
	dims := []int{batch, batch, latent}
	pairs := logNormalDensity(BroadcastToDims(InsertAxes(z, 1), dims...),
		BroadcastToDims(InsertAxes(mean, 0), dims...), BroadcastToDims(InsertAxes(logVar, 0), dims...))

	// logsumexp_j - log(NM) = logmeanexp_j - log N.
	logN := math.Log(float64(datasetSize))
	logQz := AddScalar(LogMeanExp(ReduceSum(pairs, -1), 1), -logN)               // log q(z_i) [batch].
	sumLogQzj := ReduceSum(AddScalar(LogMeanExp(pairs, 1), -logN), -1)           // sum_d log q(z_id) [batch].
	logPz := ReduceSum(logNormalDensity(z, ZerosLike(z), ZerosLike(z)), -1)      // log p(z_i), N(0, I) [batch].
	return Sub(logQzGivenN, logQz), Sub(logQz, sumLogQzj), Sub(sumLogQzj, logPz) // MI, TC, dimKL.
}

// logNormalDensity is log N(x; mean, exp(logVar)) element-wise:
// -1/2 (log 2 pi + logVar + (x - mean)^2 / exp(logVar)).
func logNormalDensity(x, mean, logVar *Node) *Node {
	sq := Mul(Square(Sub(x, mean)), Exp(Neg(logVar)))
	return MulScalar(AddScalar(Add(logVar, sq), math.Log(2*math.Pi)), -0.5)
}
