package vaekit

import "math"

// CodeStats returns, for each latent coordinate, the mean and standard deviation of the
// codes over the images: what decoding z ~ N(0, I) silently assumes are 0 and 1. Pass the
// posterior means from Encode (or an autoencoder's codes).
func CodeStats(codes [][]float32) (mean, std []float64) {
	if len(codes) == 0 {
		return nil, nil
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
	return mean, std
}

// MeanPosteriorStd averages sigma = exp(logVar/2) over images and latent coordinates: it
// falls towards 0 as a VAE without a KL term degenerates into an autoencoder.
func MeanPosteriorStd(logVar [][]float32) float64 {
	var sum float64
	var n int
	for _, lv := range logVar {
		for _, v := range lv {
			sum += math.Exp(0.5 * float64(v))
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// ActivityThreshold is Burda et al.'s (2016) criterion: a latent unit is active when the
// variance over the data of its posterior mean exceeds 0.01.
const ActivityThreshold = 0.01

// ActiveUnits counts the latent units whose activity A_u = Var_x(E_q[z_u|x]) exceeds
// threshold (Burda, Grosse & Salakhutdinov 2016, section 5.2), from the posterior means of
// a data set (Encode). It also returns every unit's activity. An inactive unit carries no
// information about x: the posterior has collapsed onto the prior there.
func ActiveUnits(means [][]float32, threshold float64) (count int, activity []float64) {
	_, std := CodeStats(means)
	activity = make([]float64, len(std))
	for u, s := range std {
		activity[u] = s * s
		if activity[u] > threshold {
			count++
		}
	}
	return count, activity
}

// KLPerDim averages over images the closed-form KL(q(z_j|x) || N(0, 1)) of each latent
// dimension j, in nats: which dimensions the model pays for. It sums to the KL term.
func KLPerDim(means, logVars [][]float32) []float64 {
	if len(means) == 0 {
		return nil
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
	return kl
}

// ReconstructionMSE is the mean over images and pixels of (x - reconstruction)^2.
func ReconstructionMSE(images, reconstructions [][]float32) float64 {
	var sum float64
	var n int
	for i := range images {
		for j, v := range images[i] {
			d := float64(v) - float64(reconstructions[i][j])
			sum += d * d
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
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
func PosteriorStdStats(logVars [][]float32) StdStats {
	if len(logVars) == 0 {
		return StdStats{}
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
	return s
}
