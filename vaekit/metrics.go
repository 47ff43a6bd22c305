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
