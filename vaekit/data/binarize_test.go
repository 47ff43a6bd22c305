package data

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBinarized(t *testing.T) {
	s := &Set{Name: MNIST, N: 1, Height: 1, Width: 4, Images: []float32{0, 0.5, 0.51, 1}, Labels: []uint8{3}}
	b := s.Binarized(0.5)
	if want := []float32{0, 0, 1, 1}; !slices.Equal(b.Images, want) {
		t.Errorf("Binarized(0.5) = %v, want %v", b.Images, want)
	}
	if s.Images[1] != 0.5 {
		t.Error("Binarized modified the original images")
	}
	if b.N != 1 || b.Width != 4 || b.Labels[0] != 3 || b.Name != MNIST {
		t.Errorf("Binarized lost metadata: %+v", b)
	}
}

func TestBernoulliBinarized(t *testing.T) {
	src := make([]float32, 100000)
	for i := range src {
		src[i] = float32(i%5) / 4 // 0, .25, .5, .75, 1
	}
	set := &Set{Name: MNIST, N: 1, Height: 1, Width: len(src), Images: src, Labels: []uint8{7}}
	sample := func(seed uint64) []float32 {
		return set.BernoulliBinarized(rand.New(rand.NewPCG(seed, 0))).Images
	}
	a, b, c := sample(1), sample(1), sample(2)
	if !slices.Equal(a, b) {
		t.Error("same seed gave different samples")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave the same sample")
	}
	var ones [5]int
	for i, v := range a {
		if v != 0 && v != 1 {
			t.Fatalf("pixel %d = %v, want 0 or 1", i, v)
		}
		if v == 1 {
			ones[i%5]++
		}
	}
	per := len(src) / 5
	if ones[0] != 0 || ones[4] != per {
		t.Errorf("p=0 gave %d ones, p=1 gave %d of %d", ones[0], ones[4], per)
	}
	// Binomial(20000, p): standard deviation at most 0.0035 in frequency; 0.02 is 5.7 of them.
	for k := 1; k < 4; k++ {
		if got, want := float64(ones[k])/float64(per), float64(k)/4; got < want-0.02 || got > want+0.02 {
			t.Errorf("p=%v: frequency of ones %.3f", want, got)
		}
	}
	if src[1] != 0.25 || set.Labels[0] != 7 {
		t.Error("BernoulliBinarized changed the original set")
	}
}
