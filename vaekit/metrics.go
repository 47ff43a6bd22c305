package vaekit

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/vaekit/vaekit/vaekit/data"
	"github.com/vaekit/vaekit/vaekit/judge"
)

// Metrics is everything vaekit measures about a trained model on one data set. Values
// are per image, in nats where that applies.
type Metrics struct {
	Dataset string `json:"dataset"`
	Split   string `json:"split"`
	Images  int    `json:"images"`
	Step    int    `json:"step"` // Training steps the model had taken.

	Terms                       // Held-out loss, reconstruction, KL and negative ELBO (one z sample per image).
	ELBO              float64   `json:"elbo"`                    // -NegELBO: the evidence lower bound on log p(x).
	IWAESamples       int       `json:"iwae_samples,omitempty"`  // k of the IWAE bound (0: not computed).
	IWAENLL           float64   `json:"iwae_nll,omitempty"`      // -IWAE_k bound: the NLL estimate, <= NegELBO.
	IWAEStdErr        float64   `json:"iwae_std_err,omitempty"`  // Standard error of IWAENLL over the images (the sampling error of using these images).
	ActiveUnits       int       `json:"active_units"`            // Units with Var_x(E_q[z_u|x]) > ActivityThreshold.
	Activity          []float64 `json:"activity"`                // Var_x(E_q[z_u|x]) per unit.
	KLPerDim          []float64 `json:"kl_per_dim,omitempty"`    // Mean KL of each latent dimension (VAE only).
	ReconstructionMSE float64   `json:"reconstruction_mse"`      // Mean squared pixel error of the posterior-mean reconstruction.
	PosteriorStd      *StdStats `json:"posterior_std,omitempty"` // Posterior sigma statistics (VAE only).

	// FD_judge of SamplesScored prior samples against the measured images (with
	// MeasureOptions.Judge): see judge.Judge.FrechetDistance. Not comparable to
	// published FIDs.
	JudgeFrechet  float64 `json:"judge_frechet,omitempty"`
	SamplesScored int     `json:"samples_scored,omitempty"`
	// For a conditional model, whose samples are asked for in equal numbers of each
	// class: how often the judge gives a sample the class it was asked for.
	SampleClassAccuracy float64 `json:"sample_class_accuracy,omitempty"`
	// With MeasureOptions.FactorScores, on data with known factors: how the posterior
	// means of the measured images relate to their factors, and the MIG.
	FactorScores *FactorScores `json:"factor_scores,omitempty"`
	// With MeasureOptions.KLDecomposition: the KL term split into index-code mutual
	// information, total correlation and dimension-wise KL (Chen et al. 2018).
	KLDecomposition *KLDecomposition `json:"kl_decomposition,omitempty"`

	// The judge that scored the samples: its directory and its accuracy on the test set.
	JudgeDir          string  `json:"judge_dir,omitempty"`
	JudgeTestAccuracy float64 `json:"judge_test_accuracy,omitempty"`
}

// MeasureOptions choose the costlier metrics, and seed the random ones.
type MeasureOptions struct {
	// IWAESamples is k for the IWAE bound (it decodes k times per image); 0 skips it. A
	// plain autoencoder has no likelihood bound: asking for one is an error.
	IWAESamples int

	// IWAEProgress, if not nil, is called as the IWAE bound's images are done (IWAE-5000
	// of MNIST's test set takes minutes): done of total images.
	IWAEProgress func(done, total int)

	// Seed seeds the Monte Carlo draws (one z per image for the ELBO's terms, k for the
	// IWAE bound): the same model, data and seed give the same numbers, whatever ran
	// before. The model's own random state (for training) is left as it was.
	Seed uint64

	// Judge and SampleQuality score the model's samples: SampleQuality images decoded
	// from prior codes drawn with Seed are compared with the measured images by FD_judge,
	// the Fréchet distance in the judge's feature space (judge.Judge.FrechetDistance;
	// thousands of samples give a stable value). 0 skips it. Judge is the judge of the
	// model's data set (judge.Load).
	Judge         *judge.Judge
	SampleQuality int

	// FactorScores relates the posterior means of the measured images to their known
	// generative factors (data made from them, such as dsprites): the mutual information
	// of each latent coordinate with each factor and the MIG, by MutualInformationGap
	// with MIGBins bins. A data set without factors is an error.
	FactorScores bool

	// KLDecomposition splits the KL term on the measured images into index-code mutual
	// information, total correlation and dimension-wise KL (Chen et al. 2018; see
	// Model.KLDecomposition). A plain autoencoder, which has no KL term, is an error.
	KLDecomposition bool
}

// CodeStats returns, for each latent coordinate, the mean and standard deviation of the
// codes over the images: what decoding z ~ N(0, I) silently assumes are 0 and 1. Pass the
// posterior means from Encode (or an autoencoder's codes).
func CodeStats(codes [][]float32) (mean, std []float64, err error) {
	if err := checkRows("codes", codes); err != nil {
		return nil, nil, err
	}
	dim := len(codes[0])
	mean, std = make([]float64, dim), make([]float64, dim)
	for _, c := range codes {
		for j, v := range c {
			mean[j] += float64(v)
		}
	}
	n := float64(len(codes))
	for j := range mean {
		mean[j] /= n
	}
	for _, c := range codes { // Two passes: no cancellation when the mean is large.
		for j, v := range c {
			d := float64(v) - mean[j]
			std[j] += d * d
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / n)
	}
	return mean, std, nil
}

// MeanPosteriorStd averages sigma = exp(logVar/2) over images and latent coordinates: it
// falls towards 0 as a VAE without a KL term degenerates into an autoencoder.
func MeanPosteriorStd(logVars [][]float32) (float64, error) {
	stats, err := PosteriorStdStats(logVars)
	return stats.Mean, err
}

// ActivityThreshold is Burda et al.'s (2016) criterion: a latent unit is active when the
// variance over the data of its posterior mean exceeds 0.01.
const ActivityThreshold = 0.01

// UnitActivity is each latent unit's activity A_u = Var_x(E_q[z_u|x]) (Burda, Grosse &
// Salakhutdinov 2016, section 5.2), from the codes of a data set (Embed: posterior means).
// A unit is active when A_u > ActivityThreshold; an inactive unit carries no information
// about x, the posterior has collapsed onto the prior there. Metrics.ActiveUnits counts
// the active ones.
func UnitActivity(codes [][]float32) ([]float64, error) {
	_, std, err := CodeStats(codes)
	if err != nil {
		return nil, err
	}
	activity := make([]float64, len(std))
	for u, s := range std {
		activity[u] = s * s
	}
	return activity, nil
}

// countActive counts the units whose activity exceeds ActivityThreshold.
func countActive(activity []float64) int {
	count := 0
	for _, a := range activity {
		if a > ActivityThreshold {
			count++
		}
	}
	return count
}

// klPerDim averages over images the closed-form KL(q(z_j|x) || N(0, 1)) of each latent
// dimension j, in nats: which dimensions the model pays for. It sums to the KL term.
func klPerDim(means, logVars [][]float32) ([]float64, error) {
	if err := checkSameShape("means", means, "log-variances", logVars); err != nil {
		return nil, err
	}
	kl := make([]float64, len(means[0]))
	for i := range means {
		for j := range kl {
			mu, lv := float64(means[i][j]), float64(logVars[i][j])
			kl[j] += -0.5 * (1 + lv - mu*mu - math.Exp(lv))
		}
	}
	for j := range kl {
		kl[j] /= float64(len(means))
	}
	return kl, nil
}

// ReconstructionMSE is the mean over images and pixels of (x - reconstruction)^2.
func ReconstructionMSE(images, reconstructions *data.Set) (float64, error) {
	switch {
	case images == nil || reconstructions == nil || images.N == 0:
		return 0, fmt.Errorf("vaekit: ReconstructionMSE: no images given")
	case images.N != reconstructions.N || images.Height != reconstructions.Height || images.Width != reconstructions.Width:
		return 0, fmt.Errorf("vaekit: ReconstructionMSE: %d images of %dx%d against %d reconstructions of %dx%d, expected the same",
			images.N, images.Height, images.Width, reconstructions.N, reconstructions.Height, reconstructions.Width)
	}
	var sum float64
	for i, v := range images.Images {
		d := float64(v) - float64(reconstructions.Images[i])
		sum += d * d
	}
	return sum / float64(len(images.Images)), nil
}

// StdStats summarises the posterior standard deviations sigma = exp(logVar/2): the
// collapse diagnostic. In a healthy VAE the active dimensions have sigma well below 1 and
// the unused ones sit at 1 (the prior); without a KL term every sigma falls towards 0.
type StdStats struct {
	Mean   float64   `json:"mean"`    // Over images and dimensions.
	Min    float64   `json:"min"`     // Smallest sigma seen.
	Max    float64   `json:"max"`     // Largest sigma seen.
	PerDim []float64 `json:"per_dim"` // Mean sigma of each latent dimension.
	Values []float64 `json:"-"`       // Every sigma (images x dimensions), for histograms.
}

// PosteriorStdStats computes StdStats from the log-variances returned by Encode.
func PosteriorStdStats(logVars [][]float32) (StdStats, error) {
	if err := checkRows("log-variances", logVars); err != nil {
		return StdStats{}, err
	}
	s := StdStats{Min: math.Inf(1), Max: math.Inf(-1), PerDim: make([]float64, len(logVars[0]))}
	s.Values = make([]float64, 0, len(logVars)*len(logVars[0]))
	for _, lv := range logVars {
		for j, v := range lv {
			sigma := math.Exp(0.5 * float64(v))
			s.Values = append(s.Values, sigma)
			s.PerDim[j] += sigma
			s.Mean += sigma
			s.Min, s.Max = math.Min(s.Min, sigma), math.Max(s.Max, sigma)
		}
	}
	for j := range s.PerDim {
		s.PerDim[j] /= float64(len(logVars))
	}
	s.Mean /= float64(len(s.Values))
	return s, nil
}

// KNNAccuracy classifies each test code by a vote of its k nearest training codes
// (Euclidean distance; a tie goes to the class whose nearest member is closest) and returns
// the fraction classified as its label: how well the codes sort the classes. A plain VAE's
// posterior means of MNIST sort the digits well; a conditional VAE's, whose decoder is told
// the class, need not, and score near chance (1/classes).
func KNNAccuracy(trainCodes [][]float32, trainLabels []uint8, testCodes [][]float32, testLabels []uint8, k int) (float64, error) {
	if err := checkSameWidth("training codes", trainCodes, "test codes", testCodes); err != nil {
		return 0, err
	}
	switch {
	case len(trainLabels) != len(trainCodes) || len(testLabels) != len(testCodes):
		return 0, fmt.Errorf("vaekit: KNNAccuracy: %d training codes with %d labels, %d test codes with %d labels: expected one label per code",
			len(trainCodes), len(trainLabels), len(testCodes), len(testLabels))
	case k < 1 || k > len(trainCodes):
		return 0, fmt.Errorf("vaekit: KNNAccuracy: k=%d, expected 1..%d (the training codes)", k, len(trainCodes))
	}
	type neighbour struct {
		distance float64
		label    uint8
	}
	correct := 0
	nearest := make([]neighbour, 0, k+1)
	for i, q := range testCodes {
		nearest = nearest[:0]
		for j, c := range trainCodes {
			var d float64
			for u := range q {
				diff := float64(q[u]) - float64(c[u])
				d += diff * diff
			}
			if len(nearest) == k && d >= nearest[k-1].distance {
				continue
			}
			at := sort.Search(len(nearest), func(n int) bool { return nearest[n].distance > d })
			nearest = slices.Insert(nearest, at, neighbour{d, trainLabels[j]})
			if len(nearest) > k {
				nearest = nearest[:k]
			}
		}
		votes := map[uint8]int{}
		for _, n := range nearest {
			votes[n.label]++
		}
		best := nearest[0].label
		for _, n := range nearest { // In order of distance: the first of the most voted wins.
			if votes[n.label] > votes[best] {
				best = n.label
			}
		}
		if best == testLabels[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(testCodes)), nil
}

// checkSameWidth checks that a and b are non-empty matrices of rows of one width.
func checkSameWidth(whatA string, a [][]float32, whatB string, b [][]float32) error {
	if err := checkRows(whatA, a); err != nil {
		return err
	}
	if err := checkRows(whatB, b); err != nil {
		return err
	}
	if len(a[0]) != len(b[0]) {
		return fmt.Errorf("vaekit: %s have %d values each, %s %d: expected the same", whatA, len(a[0]), whatB, len(b[0]))
	}
	return nil
}

// ErrNotFinite is wrapped by the error Train returns when the loss becomes NaN or Inf, and
// by a measurement whose estimate is not finite.
var ErrNotFinite = errors.New("not finite")

// LatentsByKL lists the latent coordinates from the one with the most KL to the one with
// the least (ties in coordinate order): the order to show traversals and maps in, the
// coordinates the model pays most for first. Nil for a plain autoencoder (no KL).
func (m *Metrics) LatentsByKL() []int {
	if m.KLPerDim == nil {
		return nil
	}
	order := make([]int, len(m.KLPerDim))
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(m.KLPerDim[b], m.KLPerDim[a]) })
	return order
}
