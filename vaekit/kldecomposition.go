package vaekit

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// KLDecomposition is Chen et al.'s (2018) split of the average KL term of a VAE,
// E_p(n)[KL(q(z|n) || p(z))], over a set of images n (eq. 2; see tcvae.go): each part in
// nats per image, with q(z) estimated as their evaluation code (elbo_decomposition)
// does: the images themselves are the data distribution.
type KLDecomposition struct {
	IndexCodeMI      float64 `json:"index_code_mi"`     // I_q(z; n) = E[log q(z|n) - log q(z)].
	TotalCorrelation float64 `json:"total_correlation"` // KL(q(z) || prod_j q(z_j)) = E[log q(z) - sum_j log q(z_j)].
	DimensionwiseKL  float64 `json:"dimensionwise_kl"`  // sum_j KL(q(z_j) || p(z_j)) = E[sum_j log q(z_j) - log p(z)].
	Samples          int     `json:"samples"`           // z draws it averages over: one per image used.
}

// posteriors are n diagonal Gaussians q(z|x_i) of d dimensions, with what their
// log-densities need precomputed. The rows are stored dimension by dimension ([d][n]),
// so that the estimator's inner loops run over the images of one dimension.
type posteriors struct {
	n, d   int
	mean   [][]float64 // [d][n]
	logVar [][]float64 // [d][n]
	invVar [][]float64 // exp(-logVar)
	norm   [][]float64 // -1/2 (log 2 pi + logVar): the log-density at the mean.
}

// newPosteriors takes the posteriors' rows of means and log-variances [n][d].
func newPosteriors(means, logVars [][]float32) *posteriors {
	q := &posteriors{n: len(means)}
	if q.n > 0 {
		q.d = len(means[0])
	}
	for j := range q.d {
		mean, logVar, invVar, norm := make([]float64, q.n), make([]float64, q.n), make([]float64, q.n), make([]float64, q.n)
		for i := range means {
			mean[i], logVar[i] = float64(means[i][j]), float64(logVars[i][j])
			invVar[i] = math.Exp(-logVar[i])
			norm[i] = -0.5 * (math.Log(2*math.Pi) + logVar[i])
		}
		q.mean, q.logVar, q.invVar, q.norm = append(q.mean, mean), append(q.logVar, logVar), append(q.invVar, invVar), append(q.norm, norm)
	}
	return q
}

// sample draws one z_i = mean_i + sigma_i * eps per posterior, [n*d] row by row, eps in
// that order.
func (q *posteriors) sample(rng *rand.Rand) []float64 {
	z := make([]float64, q.n*q.d)
	for i := range q.n {
		for j := range q.d {
			z[i*q.d+j] = q.mean[j][i] + math.Exp(q.logVar[j][i]/2)*rng.NormFloat64()
		}
	}
	return z
}

// decompose returns the averages over the samples z [n*d] (z_s drawn from posterior s)
// of the three parts, with q(z) the mixture of all n posteriors. The samples are shared
// out among the cores; each sample's parts are kept apart and summed in order, so the
// result does not depend on the scheduling.
func (q *posteriors) decompose(z []float64) KLDecomposition {
	mi, tc, dimKL := make([]float64, q.n), make([]float64, q.n), make([]float64, q.n)
	var next atomic.Int64
	const chunk = 16
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &klWork{q: q, logDensity: make([]float64, q.n), joint: make([]float64, q.n)}
			for start := int(next.Add(chunk)) - chunk; start < q.n; start = int(next.Add(chunk)) - chunk {
				for s := start; s < min(start+chunk, q.n); s++ {
					mi[s], tc[s], dimKL[s] = w.parts(z[s*q.d:(s+1)*q.d], s)
				}
			}
		}()
	}
	wg.Wait()
	out := KLDecomposition{Samples: q.n}
	for s := range q.n {
		out.IndexCodeMI += mi[s] / float64(q.n)
		out.TotalCorrelation += tc[s] / float64(q.n)
		out.DimensionwiseKL += dimKL[s] / float64(q.n)
	}
	return out
}

// klWork is one goroutine's buffers for posteriors.parts.
type klWork struct {
	q          *posteriors
	logDensity []float64 // log q(z_sd|x_n) of one dimension d [n].
	joint      []float64 // log q(z_s|x_n) [n].
}

// parts returns MI, TC and dimKL of one sample z [d], drawn from posterior s:
// log q(z|x_s) - log q(z), log q(z) - sum_d log q(z_d), sum_d log q(z_d) - log p(z),
// with log q(z) = logsumexp_n log q(z|x_n) - log N and each log q(z_d) likewise.
func (w *klWork) parts(z []float64, s int) (mi, tc, dimKL float64) {
	q, logN := w.q, math.Log(float64(w.q.n))
	clear(w.joint)
	sumLogQzd, logPz := 0.0, 0.0
	for d, zd := range z {
		mean, invVar, norm := q.mean[d][:q.n], q.invVar[d][:q.n], q.norm[d][:q.n]
		density, joint := w.logDensity[:q.n], w.joint[:q.n]
		top := math.Inf(-1)
		for n := range density {
			diff := zd - mean[n]
			l := norm[n] - 0.5*diff*diff*invVar[n]
			density[n] = l
			joint[n] += l
			if l > top { // Not max(top, l), whose NaN and -0 rules cost as much as the rest.
				top = l
			}
		}
		sumLogQzd += logSumExpAround(density, top) - logN
		logPz += -0.5 * (math.Log(2*math.Pi) + zd*zd)
	}
	top := math.Inf(-1)
	for _, l := range w.joint {
		if l > top {
			top = l
		}
	}
	logQz := logSumExpAround(w.joint, top) - logN
	return w.joint[s] - logQz, logQz - sumLogQzd, sumLogQzd - logPz
}

// logSumExpAround is log sum_i exp(x_i) for values whose largest is top: top + log sum_i
// exp(x_i - top), with four sums apart so that the exponentials overlap in the CPU.
func logSumExpAround(x []float64, top float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += expNonPositive(x[i] - top)
		s1 += expNonPositive(x[i+1] - top)
		s2 += expNonPositive(x[i+2] - top)
		s3 += expNonPositive(x[i+3] - top)
	}
	for ; i < len(x); i++ {
		s0 += expNonPositive(x[i] - top)
	}
	return top + math.Log((s0+s1)+(s2+s3))
}

// expNonPositive is e^x for x <= 0, within 1e-15 relative of math.Exp, and 0 below
// e^-708, where math.Exp gives subnormals: nothing next to the e^0 of the sums' largest
// term. It is written out so that the estimator's 10^9 exponentials run about twice as
// fast as math.Exp's calls (inlined, no special cases): e^x = 2^(m/32) e^r with m =
// round(32 x / ln 2), |r| <= ln 2 / 64, 2^(m/32) from a table of 2^(j/32), and e^r's
// Taylor series to degree 5 (its remainder r^6/6! is under 3e-15).
func expNonPositive(x float64) float64 {
	if x < -708 {
		return 0
	}
	// ln 2 / 32 in two parts; the first has 32 zero low bits, so m * ln2by32Hi is exact.
	const log2eTimes32, ln2by32Hi, ln2by32Lo = 46.16624130844683, 6.93147180369123816490e-01 / 32, 1.90821492927058770002e-10 / 32
	m := math.RoundToEven(x * log2eTimes32)
	r := (x - m*ln2by32Hi) - m*ln2by32Lo
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120)))))
	mi := int64(m)
	return p * math.Float64frombits(exp2By32Bits[mi&31]+uint64(mi>>5)<<52) // 2^(j/32) 2^k, m = 32k + j.
}

// exp2By32Bits are the bits of 2^(j/32), j = 0..31.
var exp2By32Bits = func() (t [32]uint64) {
	for j := range t {
		t[j] = math.Float64bits(math.Exp2(float64(j) / 32))
	}
	return t
}()
