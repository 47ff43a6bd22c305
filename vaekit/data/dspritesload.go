package data

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// The default split sizes of Load(DSprites, ...), MNIST's. The full product of
// 737,280 images would take 737,280*4096 float32 values, 12 GB, to train on; 60,000
// random combinations already cover each factor's values evenly (each posX value about
// 1,900 times).
const (
	DSpritesTrainImages = 60_000
	DSpritesTestImages  = 10_000
)

// The seed of the shuffle that picks the splits (a PCG from math/rand/v2): 2017, the
// year of dSprites, and its size. Changing it changes every dsprites model's data.
const (
	dspritesSeed1 uint64 = 2017
	dspritesSeed2 uint64 = DSpritesCount
)

// DSpritesOptions sets how many images Load(DSprites, ...) draws for each split.
type DSpritesOptions struct {
	TrainImages int // 0: DSpritesTrainImages (60,000).
	TestImages  int // 0: DSpritesTestImages (10,000).
}

// sizes returns the split sizes, defaults filled in, or what is wrong with them.
func (o DSpritesOptions) sizes() (train, test int, err error) {
	train, test = o.TrainImages, o.TestImages
	if train < 0 || test < 0 {
		return 0, 0, fmt.Errorf("dsprites: Options.DSprites asks for %d train and %d test images: expected counts >= 0 (0: the defaults, %d and %d)",
			train, test, DSpritesTrainImages, DSpritesTestImages)
	}
	if train == 0 {
		train = DSpritesTrainImages
	}
	if test == 0 {
		test = DSpritesTestImages
	}
	if train+test > DSpritesCount {
		return 0, 0, fmt.Errorf("dsprites: Options.DSprites asks for %d train + %d test = %d images: expected at most %d, the number of factor combinations (the splits share none)",
			train, test, train+test, DSpritesCount)
	}
	return train, test, nil
}

// loadDSprites draws one split of dSprites. The 737,280 combinations are shuffled once,
// with a fixed seed: the train split is the first TrainImages of that order, the test
// split the next TestImages, so the splits are disjoint and the same on every machine,
// and the train split does not depend on the test split's size.
func loadDSprites(split Split, opts Options) (*Set, error) {
	if opts.Dir != "" {
		return nil, fmt.Errorf("%s %s: Options.Dir (-data_dir) is %s, but vaekit draws dsprites' images itself and reads no files: expected no directory",
			DSprites, split, opts.Dir)
	}
	train, test, err := opts.DSprites.sizes()
	if err != nil {
		return nil, err
	}
	order := dspritesOrder(train + test)
	picked, first := order[:train], 0
	if split == Test {
		picked, first = order[train:], train
	}
	factors := make([]DSpritesFactors, len(picked))
	for i, index := range picked {
		factors[i], _ = DSpritesFactorsOf(int(index)) // In range: a permutation of 0..737,279.
	}
	set := drawDSprites(factors)
	set.Split = split
	set.Source = fmt.Sprintf("vaekit's drawing of dSprites' design (Matthey et al. 2017), not its file: the %s split, places %d to %d of a fixed shuffle of the %d factor combinations",
		split, first, first+len(picked)-1, DSpritesCount)
	return set, nil
}

// dspritesOrder returns the first n places of the fixed shuffle of 0..737,279. It is a
// Fisher-Yates shuffle run from the front, so the first n places do not depend on how many
// are asked for; it draws from PCG's own Uint64 rather than math/rand/v2's Shuffle, whose
// sequence Go does not promise to keep across releases.
func dspritesOrder(n int) []int32 {
	order := make([]int32, DSpritesCount)
	for i := range order {
		order[i] = int32(i)
	}
	pcg := rand.NewPCG(dspritesSeed1, dspritesSeed2)
	for i := range n {
		j := i + int(boundedUint64(pcg, uint64(DSpritesCount-i)))
		order[i], order[j] = order[j], order[i]
	}
	return order[:n:n]
}

// boundedUint64 draws uniformly from [0, n) (n > 0): Lemire's multiply-and-reject.
func boundedUint64(src rand.Source, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		for threshold := -n % n; lo < threshold; {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}

// DSpritesSet draws the images of the given factor combinations, in that order, into a
// Set of the DSprites data set (no split): e.g. one factor varying while the others stay,
// for a picture. A factor out of range is an error naming the combination.
func DSpritesSet(factors []DSpritesFactors) (*Set, error) {
	if len(factors) == 0 {
		return nil, fmt.Errorf("data: DSpritesSet: no factor combinations given, expected at least one")
	}
	for i, f := range factors {
		if err := f.Check(); err != nil {
			return nil, fmt.Errorf("data: DSpritesSet: factors[%d]: %w", i, err)
		}
	}
	set := drawDSprites(factors)
	set.Source = fmt.Sprintf("vaekit's drawing of dSprites' design (Matthey et al. 2017): %d chosen factor combinations", len(factors))
	return set, nil
}

// drawDSprites draws the images of factors (all valid) into a Set with their labels (the
// shape) and factors, over as many goroutines as there are CPUs.
func drawDSprites(factors []DSpritesFactors) *Set {
	n, size := len(factors), DSpritesSide*DSpritesSide
	k := len(dspritesFactorNames)
	set := &Set{Name: DSprites, N: n, Height: DSpritesSide, Width: DSpritesSide, Channels: 1,
		Images: make([]float32, n*size), Labels: make([]uint8, n), Classes: slices.Clone(dspritesShapeNames[:]),
		Factors: &Factors{Names: slices.Clone(dspritesFactorNames[:]), Sizes: slices.Clone(dspritesFactorSizes[:]), Values: make([]int32, n*k)}}
	workers := max(1, min(runtime.GOMAXPROCS(0), n/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * n / workers; i < (w+1)*n/workers; i++ {
				f := factors[i]
				drawDSprite(set.Images[i*size:(i+1)*size], f)
				set.Labels[i] = uint8(f.Shape)
				row := f.row()
				copy(set.Factors.Values[i*k:], row[:])
			}
		})
	}
	wg.Wait()
	return set
}
