package data

import (
	"fmt"
	"strings"
)

// Name identifies a dataset.
type Name string

// The datasets this package knows how to find and verify.
const (
	MNIST        Name = "mnist"
	FashionMNIST Name = "fashion-mnist"
)

// knownNames is the order names are listed in errors.
var knownNames = []Name{MNIST, FashionMNIST}

// ParseName accepts a dataset name as a user would type it in a notebook.
func ParseName(s string) (Name, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "mnist":
		return MNIST, nil
	case "fashion-mnist", "fashion_mnist", "fashion":
		return FashionMNIST, nil
	}
	return "", fmt.Errorf("unknown dataset %q: known datasets are %s", s, listNames())
}

func listNames() string {
	names := make([]string, len(knownNames))
	for i, n := range knownNames {
		names[i] = string(n)
	}
	return strings.Join(names, ", ")
}

func (n Name) valid() error {
	for _, k := range knownNames {
		if n == k {
			return nil
		}
	}
	return fmt.Errorf("unknown dataset %q: known datasets are %s", string(n), listNames())
}

// Split selects the training or the test part of a dataset.
type Split string

// The two splits of each dataset.
const (
	Train Split = "train"
	Test  Split = "test"
)

// ParseSplit accepts "train" or "test".
func ParseSplit(s string) (Split, error) {
	switch sp := Split(strings.ToLower(strings.TrimSpace(s))); sp {
	case Train, Test:
		return sp, nil
	}
	return "", fmt.Errorf("unknown split %q: expected %q or %q", s, Train, Test)
}

// filePrefix is the prefix the upstream files use for a split.
func (s Split) filePrefix() (string, error) {
	switch s {
	case Train:
		return "train", nil
	case Test:
		return "t10k", nil
	}
	return "", fmt.Errorf("unknown split %q: expected %q or %q", string(s), Train, Test)
}

// Set is one split of a dataset held in memory.
type Set struct {
	Name  Name
	Split Split
	// Images holds N*Height*Width pixel values in [0,1] (byte/255), row-major.
	Images []float32
	// Labels holds the N class labels, 0..9; the models ignore them, plots
	// use them.
	Labels []uint8

	N, Height, Width int

	// Source says where the data was loaded from (directory or URL), so
	// notebooks can report it.
	Source string
}

// Image returns image i as a slice view of Height*Width pixels. Like a
// slice index it panics when i is out of range.
func (s *Set) Image(i int) []float32 {
	size := s.Height * s.Width
	return s.Images[i*size : (i+1)*size : (i+1)*size]
}

// Head returns the first n images (all of them when n > N, none when n <= 0), sharing
// memory with s.
func (s *Set) Head(n int) *Set {
	n = max(0, min(n, s.N))
	size := s.Height * s.Width
	sub := *s
	sub.N = n
	sub.Images = s.Images[: n*size : n*size]
	if s.Labels != nil {
		sub.Labels = s.Labels[:n:n]
	}
	return &sub
}

// Select returns the images at the given indices, in that order (a copy).
func (s *Set) Select(indices ...int) (*Set, error) {
	size := s.Height * s.Width
	sub := *s
	sub.N = len(indices)
	sub.Images = make([]float32, 0, len(indices)*size)
	sub.Labels = nil
	if s.Labels != nil {
		sub.Labels = make([]uint8, 0, len(indices))
	}
	for _, i := range indices {
		if i < 0 || i >= s.N {
			return nil, fmt.Errorf("data: Select: index %d out of range: the set has %d images", i, s.N)
		}
		sub.Images = append(sub.Images, s.Image(i)...)
		if s.Labels != nil {
			sub.Labels = append(sub.Labels, s.Labels[i])
		}
	}
	return &sub, nil
}

// FromImages makes a Set of height x width images from one slice of pixels per image
// (values in [0,1]); it has no labels and no data set name.
func FromImages(images [][]float32, height, width int) (*Set, error) {
	if height < 1 || width < 1 {
		return nil, fmt.Errorf("data: FromImages: image size %dx%d, expected both >= 1", height, width)
	}
	size := height * width
	set := &Set{N: len(images), Height: height, Width: width, Images: make([]float32, 0, len(images)*size)}
	for i, image := range images {
		if len(image) != size {
			return nil, fmt.Errorf("data: FromImages: image %d has %d values, expected %dx%d = %d", i, len(image), height, width, size)
		}
		set.Images = append(set.Images, image...)
	}
	return set, nil
}

// ClassNames returns the human-readable name of each label value.
func (s *Set) ClassNames() []string {
	return classNames(s.Name)
}

func classNames(n Name) []string {
	switch n {
	case MNIST:
		return []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	case FashionMNIST:
		return []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
			"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	}
	return nil
}

// Image geometry shared by MNIST and Fashion-MNIST.
const (
	imageHeight = 28
	imageWidth  = 28
	numClasses  = 10
)

// pixelScale maps a byte to [0,1]; a table avoids a division per pixel.
var pixelScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// newSet checks that an images file and a labels file belong together and
// converts them. imagesName and labelsName are used in errors.
func newSet(name Name, split Split, images, labels *IDX, imagesName, labelsName string) (*Set, error) {
	if err := images.CheckDims(imagesName, -1, imageHeight, imageWidth); err != nil {
		return nil, err
	}
	if err := labels.CheckDims(labelsName, -1); err != nil {
		return nil, err
	}
	n := images.Dims[0]
	if labels.Dims[0] != n {
		return nil, fmt.Errorf("%s has %d images but %s has %d labels: expected the same count",
			imagesName, n, labelsName, labels.Dims[0])
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: contains no images, expected at least one", imagesName)
	}
	for i, l := range labels.Data {
		if int(l) >= numClasses {
			return nil, fmt.Errorf("%s: label %d of example %d is out of range: expected 0..%d",
				labelsName, l, i, numClasses-1)
		}
	}
	pixels := make([]float32, len(images.Data))
	for i, b := range images.Data {
		pixels[i] = pixelScale[b]
	}
	return &Set{
		Name:   name,
		Split:  split,
		Images: pixels,
		Labels: labels.Data,
		N:      n,
		Height: imageHeight,
		Width:  imageWidth,
	}, nil
}

// Concat returns the images of sets one after the other, in a new Set (labels kept only
// when every set has them): e.g. rows of a picture, one set per row.
func Concat(sets ...*Set) (*Set, error) {
	if len(sets) == 0 || sets[0] == nil {
		return nil, fmt.Errorf("data: Concat: no sets given")
	}
	out := &Set{Name: sets[0].Name, Height: sets[0].Height, Width: sets[0].Width, Labels: []uint8{}}
	for i, s := range sets {
		if s == nil || s.Height != out.Height || s.Width != out.Width {
			return nil, fmt.Errorf("data: Concat: set %d is not of %dx%d images like set 0", i, out.Height, out.Width)
		}
		if s.Name != out.Name {
			out.Name = ""
		}
		out.N += s.N
		out.Images = append(out.Images, s.Images...)
		if s.Labels == nil || out.Labels == nil {
			out.Labels = nil
		} else {
			out.Labels = append(out.Labels, s.Labels...)
		}
	}
	return out, nil
}
