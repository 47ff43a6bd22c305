package data

import (
	"math/rand/v2"
	"slices"
)

// Binarized returns a copy of s whose pixels are 1 where they exceed
// threshold and 0 elsewhere: the fixed binarisation used when a model's
// likelihood is Bernoulli and the data should not change between epochs.
func (s *Set) Binarized(threshold float32) *Set {
	out := *s
	out.Images = make([]float32, len(s.Images))
	for i, p := range s.Images {
		if p > threshold {
			out.Images[i] = 1
		}
	}
	out.Labels = slices.Clone(s.Labels)
	out.Factors = s.Factors.clone()
	return &out
}

// BernoulliBinarized returns a copy of s whose pixels are 1 with probability their value
// and 0 otherwise: one draw of dynamic binarisation. Drawing from the caller's rng keeps runs
// reproducible for a given seed.
func (s *Set) BernoulliBinarized(rng *rand.Rand) *Set {
	out := *s
	out.Images = make([]float32, len(s.Images))
	for i, p := range s.Images {
		if rng.Float32() < p {
			out.Images[i] = 1
		}
	}
	out.Labels = slices.Clone(s.Labels)
	out.Factors = s.Factors.clone()
	return &out
}
