package data

import (
	"fmt"
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
	return &out
}

// BernoulliBinarize sets dst[i] to 1 with probability src[i] and to 0
// otherwise: dynamic binarisation, resampled each epoch. Drawing from the
// caller's rng keeps runs reproducible for a given seed. dst may be src.
// It panics if the lengths differ, as that is a programming error.
func BernoulliBinarize(dst, src []float32, rng *rand.Rand) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("data.BernoulliBinarize: len(dst)=%d != len(src)=%d", len(dst), len(src)))
	}
	for i, p := range src {
		if rng.Float32() < p {
			dst[i] = 1
		} else {
			dst[i] = 0
		}
	}
}
