package vaekit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/vaekit/vaekit/vaekit/data"
)

// klDecompositionImages is the most images KLDecomposition uses: its cost grows with
// their square (10,000 images of 10 latent dimensions took 5.8-6.6 s of CPU time, about
// 3 s on 2 idle cores).
var klDecompositionImages = 10_000 // A variable for the tests.

// KLDecomposition estimates Chen et al.'s split of the model's KL term over set: it
// encodes every image x_n (as the model scores it: binarised as configured), draws one
// z_s ~ q(z|x_s) per image (from seed, the same for the same seed and images), and takes
// the images' posteriors as the aggregate posterior q(z) = 1/N sum_n q(z|x_n):
//
//	log q(z_s)    = logsumexp_n log q(z_s|x_n) - log N
//	log q(z_sd)   = logsumexp_n log q(z_sd|x_n) - log N   (each dimension d)
//
// in float64. log q(z_s|x_s) and log p(z_s) are taken at the sample too (Chen et al.'s
// code takes them in closed form), so the three parts' averages sum to the mean of
// log q(z_s|x_s) - log p(z_s): a one-sample estimate of the average KL (the training
// curves report it in closed form). Of a set over 10,000 images it uses the posteriors of
// a random 10,000 (drawn from seed), both for the samples and for q(z), and says so in
// Samples.
//
// The estimate is biased: q(z) is the empirical aggregate posterior of these N images,
// not of the data distribution, and the mixture includes each sample's own posterior,
// so log q(z_s) >= log q(z_s|x_s) - log N and IndexCodeMI is at most log N. With few
// images MI is underestimated; TC and the dimension-wise KL are those of this mixture.
// A plain autoencoder (model=ae) has no posterior to split: an error.
func (m *Model) KLDecomposition(set *data.Set, seed uint64) (KLDecomposition, error) {
	if m.Config.Autoencoder() {
		return KLDecomposition{}, fmt.Errorf("vaekit: KLDecomposition: a plain autoencoder (model=ae) has no posterior q(z|x) and no KL term to split")
	}
	if err := m.checkSet(set, "KL decomposition set"); err != nil {
		return KLDecomposition{}, err
	}
	means, logVars, err := m.encode(m.evalImages(set))
	if err != nil {
		return KLDecomposition{}, err
	}
	return klDecompositionOf(means, logVars, seed)
}

// klDecompositionOf is KLDecomposition's estimate from the images' posteriors (means and
// log-variances, one row per image): of more than klDecompositionImages rows, a random
// klDecompositionImages (drawn from seed).
func klDecompositionOf(means, logVars [][]float32, seed uint64) (KLDecomposition, error) {
	if n := len(means); n > klDecompositionImages {
		rows := rand.New(rand.NewPCG(seed, 0x5b5e7)).Perm(n)[:klDecompositionImages]
		slices.Sort(rows)
		pickedMeans, pickedLogVars := make([][]float32, len(rows)), make([][]float32, len(rows))
		for i, r := range rows {
			pickedMeans[i], pickedLogVars[i] = means[r], logVars[r]
		}
		means, logVars = pickedMeans, pickedLogVars
	}
	q := newPosteriors(means, logVars)
	d := q.decompose(q.sample(rand.New(rand.NewPCG(seed, 0x2d5))))
	if sum := d.IndexCodeMI + d.TotalCorrelation + d.DimensionwiseKL; math.IsNaN(sum) || math.IsInf(sum, 0) {
		return KLDecomposition{}, fmt.Errorf("vaekit: KLDecomposition: %+v: %w", d, ErrNotFinite)
	}
	return d, nil
}
