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

// tcDecomposition returns, per example [batch], Chen et al.'s MI, TC and dimKL of the
// sample z_i ~ q(z|n_i) [batch, latent], given the batch's posteriors mean and logVar
// [batch, latent] and N = datasetSize.
//
// q(z) and q(z_j) are estimated from the batch of M examples drawn from N, as a weighted
// mixture of the batch's posteriors,
//
//	log q(z_i)   ~= logsumexp_j (log w_ij + log q(z_i | n_j))
//	log q(z_id)  ~= logsumexp_j (log w_ij + log q(z_id | n_j))
//
// with the weights of Chen et al. (2018, section 4.1 and appendix C):
//
//   - estimator "mws", minibatch-weighted sampling: w_ij = 1/(NM) for every j. The weights
//     sum to 1/N, not 1, which shifts MI by +log N, TC by (D-1) log N and dimKL by -D log N
//     (D latent dimensions): constants, which change the loss's value (not at tc_alpha =
//     tc_beta = tc_gamma, where they cancel) but not its gradients.
//   - estimator "mss", minibatch-stratified sampling (mssWeights): the sample's own
//     posterior weighs 1/N and the rest of the batch stands for the other N-1 examples.
func tcDecomposition(mean, logVar, z *Node, datasetSize int, estimator string) (mi, tc, dimKL *Node) {
	batch, latent := mean.Shape().Dimensions[0], mean.Shape().Dimensions[1]
	logQzGivenN := ReduceSum(logNormalDensity(z, mean, logVar), -1) // log q(z_i|n_i) [batch].

	// log q(z_id|n_j) [i, j, d]: sample i's z under example j's posterior.
	dims := []int{batch, batch, latent}
	pairs := logNormalDensity(BroadcastToDims(InsertAxes(z, 1), dims...),
		BroadcastToDims(InsertAxes(mean, 0), dims...), BroadcastToDims(InsertAxes(logVar, 0), dims...))

	var logQz, sumLogQzj *Node
	switch estimator {
	case "mws": // logsumexp_j - log(NM) = logmeanexp_j - log N.
		logN := math.Log(float64(datasetSize))
		logQz = AddScalar(LogMeanExp(ReduceSum(pairs, -1), 1), -logN)
		sumLogQzj = ReduceSum(AddScalar(LogMeanExp(pairs, 1), -logN), -1)
	case "mss": // logsumexp_j (log w_ij + .) = logmeanexp_j (log w_ij + .) + log M.
		logW := Const(z.Graph(), mssWeights(batch, datasetSize))
		logM := math.Log(float64(batch))
		logQz = AddScalar(LogMeanExp(Add(ReduceSum(pairs, -1), logW), 1), logM)
		sumLogQzj = ReduceSum(AddScalar(LogMeanExp(Add(pairs, InsertAxes(logW, -1)), 1), logM), -1)
	default:
		exceptions.Panicf("vaekit: tc_estimator=%q, expected one of %v", estimator, knownTCEstimators)
	}
	logPz := ReduceSum(logNormalDensity(z, ZerosLike(z), ZerosLike(z)), -1)      // log p(z_i), N(0, I) [batch].
	return Sub(logQzGivenN, logQz), Sub(logQz, sumLogQzj), Sub(sumLogQzj, logPz) // MI, TC, dimKL.
}

// mssWeights are the log weights log w_ij of minibatch-stratified sampling for a batch of
// B = batch examples from N: 1/N for the sample's own posterior (j = i), (N - M) / (N M)
// with M = B - 1 for the next one (j = i + 1, the last row's being the first), and 1/M for
// the other B - 2: each row sums to 1. These are the values of the authors' code
// (rtqichen/beta-tcvae, vae_quant.py, _log_importance_weight_matrix); its flat-index
// strides put the 1/N in the first column rather than on the diagonal, where the sample's
// own posterior is, and where it is here.
func mssWeights(batch, datasetSize int) [][]float32 {
	n, m := float64(datasetSize), float64(batch-1)
	w := make([][]float32, batch)
	for i := range w {
		w[i] = make([]float32, batch)
		for j := range w[i] {
			switch j {
			case i:
				w[i][j] = float32(-math.Log(n))
			case (i + 1) % batch:
				w[i][j] = float32(math.Log((n - m) / (n * m)))
			default:
				w[i][j] = float32(-math.Log(m))
			}
		}
	}
	return w
}

// logNormalDensity is log N(x; mean, exp(logVar)) element-wise:
// -1/2 (log 2 pi + logVar + (x - mean)^2 / exp(logVar)).
func logNormalDensity(x, mean, logVar *Node) *Node {
	sq := Mul(Square(Sub(x, mean)), Exp(Neg(logVar)))
	return MulScalar(AddScalar(Add(logVar, sq), math.Log(2*math.Pi)), -0.5)
}
