package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strings"
	"unsafe"
)

// Name identifies a dataset.
type Name string

// The datasets this package knows how to find and verify, and the two kinds of data a
// user names by its directory (Options.Dir): no checksum, any image size.
const (
	MNIST        Name = "mnist"
	FashionMNIST Name = "fashion-mnist"
	CIFAR10      Name = "cifar10"
	// DSprites is drawn, not read: vaekit's own images of dSprites' design (see
	// DrawDSprite), with the factors of each image (Set.Factors).
	DSprites Name = "dsprites"
	// IDXFiles is a directory of IDX files of any image size (see LoadIDX).
	IDXFiles Name = "idx"
	// ImageFolder is a folder of PNG and JPEG images (see LoadFolder).
	ImageFolder Name = "folder"
)

// knownNames is the order names are listed in errors.
var knownNames = []Name{MNIST, FashionMNIST, CIFAR10, DSprites, IDXFiles, ImageFolder}

// ParseName accepts a dataset name as a user would type it in a notebook.
func ParseName(s string) (Name, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "mnist":
		return MNIST, nil
	case "fashion-mnist", "fashion_mnist", "fashion":
		return FashionMNIST, nil
	case "cifar10", "cifar-10", "cifar_10":
		return CIFAR10, nil
	case "dsprites", "d-sprites":
		return DSprites, nil
	case "idx":
		return IDXFiles, nil
	case "folder", "images":
		return ImageFolder, nil
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

// Shape is the size of one image: Height x Width pixels of Channels values each
// (1: grey, 3: red, green, blue).
type Shape struct {
	Height, Width, Channels int
}

// Size is the number of values in one image: Height*Width*Channels.
func (sh Shape) Size() int { return sh.Height * sh.Width * sh.Channels }

// String writes the shape as height x width x channels, e.g. "32x32x3".
func (sh Shape) String() string {
	return fmt.Sprintf("%dx%dx%d", sh.Height, sh.Width, sh.Channels)
}

// check says what is wrong with a shape, or nil.
func (sh Shape) check() error {
	if sh.Height < 1 || sh.Width < 1 {
		return fmt.Errorf("image size %dx%d, expected both >= 1", sh.Height, sh.Width)
	}
	if sh.Channels != 1 && sh.Channels != 3 {
		return fmt.Errorf("%d channels, expected 1 (grey) or 3 (red, green, blue)", sh.Channels)
	}
	return nil
}

// Set is one split of a dataset held in memory.
type Set struct {
	Name  Name
	Split Split
	// Images holds N images of Height*Width*Channels values in [0,1] (byte/255) each.
	// Within an image the layout is height x width x channels, row-major, channels
	// last: the value of channel c at row y, column x is at (y*Width+x)*Channels+c.
	Images []float32
	// Labels holds the N class labels (nil when the data has none); the models
	// ignore them, plots use them.
	Labels []uint8

	N, Height, Width int
	// Channels is 1 for grey images, 3 for colour (red, green, blue). 0 reads as 1,
	// so a Set of grey images built by hand needs no change.
	Channels int

	// Classes names each label value when the data brings its names (a folder's
	// class subfolders, the label values of IDX files); nil otherwise, and
	// ClassNames falls back on the dataset's own table.
	Classes []string

	// Source says where the data was loaded from (directory or URL), so
	// notebooks can report it.
	Source string

	// Factors are the generative factors of each image when the data was made from
	// them (DSprites); nil otherwise. Every method that copies or picks images (Head,
	// Select, Concat, Binarized) keeps them row for row with the images.
	Factors *Factors `json:",omitempty"`
}

// Shape returns the size of one image, with Channels 0 read as 1.
func (s *Set) Shape() Shape {
	return Shape{Height: s.Height, Width: s.Width, Channels: max(1, s.Channels)}
}

// ImageSize is the number of values in one image: Height*Width*Channels.
func (s *Set) ImageSize() int { return s.Shape().Size() }

// Image returns image i as a slice view of its Height*Width*Channels values. Like a
// slice index it panics when i is out of range.
func (s *Set) Image(i int) []float32 {
	size := s.ImageSize()
	return s.Images[i*size : (i+1)*size : (i+1)*size]
}

// Head returns the first n images (all of them when n > N, none when n <= 0), sharing
// memory with s.
func (s *Set) Head(n int) *Set {
	n = max(0, min(n, s.N))
	size := s.ImageSize()
	sub := *s
	sub.N = n
	sub.Images = s.Images[: n*size : n*size]
	if s.Labels != nil {
		sub.Labels = s.Labels[:n:n]
	}
	sub.Factors = s.Factors.head(n)
	return &sub
}

// Select returns the images at the given indices, in that order (a copy).
func (s *Set) Select(indices ...int) (*Set, error) {
	size := s.ImageSize()
	sub := *s
	sub.N = len(indices)
	sub.Images = make([]float32, 0, len(indices)*size)
	sub.Labels = nil
	if s.Labels != nil {
		sub.Labels = make([]uint8, 0, len(indices))
	}
	if s.Factors != nil {
		if k := len(s.Factors.Names); k == 0 || len(s.Factors.Values) != s.N*k {
			return nil, fmt.Errorf("data: Select: the set's Factors hold %d values for %d images of %d factors: expected %d", len(s.Factors.Values), s.N, k, s.N*k)
		}
		sub.Factors = &Factors{Names: s.Factors.Names, Sizes: s.Factors.Sizes, Values: make([]int32, 0, len(indices)*len(s.Factors.Names))}
	}
	for _, i := range indices {
		if i < 0 || i >= s.N {
			return nil, fmt.Errorf("data: Select: index %d out of range: the set has %d images", i, s.N)
		}
		sub.Images = append(sub.Images, s.Image(i)...)
		if s.Labels != nil {
			sub.Labels = append(sub.Labels, s.Labels[i])
		}
		if s.Factors != nil {
			sub.Factors.Values = append(sub.Factors.Values, s.Factors.Of(i)...)
		}
	}
	return &sub, nil
}

// FromImages makes a Set of height x width grey images from one slice of pixels per
// image (values in [0,1]); it has no labels and no data set name.
func FromImages(images [][]float32, height, width int) (*Set, error) {
	return FromImagesHWC(images, height, width, 1)
}

// FromImagesHWC makes a Set of height x width images of channels values per pixel
// (1 or 3) from one slice per image, laid out height x width x channels (values in
// [0,1]); it has no labels and no data set name.
func FromImagesHWC(images [][]float32, height, width, channels int) (*Set, error) {
	shape := Shape{Height: height, Width: width, Channels: channels}
	if err := shape.check(); err != nil {
		return nil, fmt.Errorf("data: FromImages: %w", err)
	}
	size := shape.Size()
	set := &Set{N: len(images), Height: height, Width: width, Channels: channels, Images: make([]float32, 0, len(images)*size)}
	for i, image := range images {
		if len(image) != size {
			return nil, fmt.Errorf("data: FromImages: image %d has %d values, expected %v = %d", i, len(image), shape, size)
		}
		set.Images = append(set.Images, image...)
	}
	return set, nil
}

// ClassNames returns the human-readable name of each label value: Classes when
// set, else the dataset's own names (nil for an unknown dataset).
func (s *Set) ClassNames() []string {
	if s.Classes != nil {
		return s.Classes
	}
	return classNames(s.Name)
}

func classNames(n Name) []string {
	switch n {
	case MNIST:
		return []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	case FashionMNIST:
		return []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
			"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	case CIFAR10:
		return []string{"airplane", "automobile", "bird", "cat", "deer",
			"dog", "frog", "horse", "ship", "truck"}
	case DSprites:
		return slices.Clone(dspritesShapeNames[:])
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

// newSet checks that an MNIST-style images file (28x28 unsigned bytes) and labels
// file (0..9) belong together and converts them. imagesName and labelsName are used in
// errors.
func newSet(name Name, split Split, images, labels *IDX, imagesName, labelsName string) (*Set, error) {
	if err := images.CheckDims(imagesName, -1, imageHeight, imageWidth); err != nil {
		return nil, err
	}
	if images.Type != idxTypeUbyte {
		return nil, fmt.Errorf("%s: IDX element type 0x%02x (%s), expected 0x%02x (unsigned byte)",
			imagesName, images.Type, idxTypeName(images.Type), idxTypeUbyte)
	}
	set, err := idxToSet(images, labels, imagesName, labelsName)
	if err != nil {
		return nil, err
	}
	for i, l := range set.Labels {
		if int(l) >= numClasses {
			return nil, fmt.Errorf("%s: label %d of example %d is out of range: expected 0..%d",
				labelsName, l, i, numClasses-1)
		}
	}
	set.Name, set.Split, set.Classes = name, split, nil
	return set, nil
}

// Concat returns the images of sets one after the other, in a new Set (labels kept only
// when every set has them, factors only when every set has the same ones): e.g. rows of
// a picture, one set per row.
func Concat(sets ...*Set) (*Set, error) {
	if len(sets) == 0 || sets[0] == nil {
		return nil, fmt.Errorf("data: Concat: no sets given")
	}
	shape := sets[0].Shape()
	out := &Set{Name: sets[0].Name, Height: shape.Height, Width: shape.Width, Channels: shape.Channels,
		Classes: sets[0].Classes, Labels: []uint8{}, Factors: sets[0].Factors.head(0)}
	for i, s := range sets {
		if s == nil || s.Shape() != shape {
			return nil, fmt.Errorf("data: Concat: set %d is not of %v images like set 0", i, shape)
		}
		if s.Name != out.Name {
			out.Name = ""
		}
		if !slices.Equal(s.Classes, out.Classes) {
			out.Classes = nil
		}
		out.N += s.N
		out.Images = append(out.Images, s.Images...)
		if s.Labels == nil || out.Labels == nil {
			out.Labels = nil
		} else {
			out.Labels = append(out.Labels, s.Labels...)
		}
		if out.Factors.sameKind(s.Factors) && len(s.Factors.Values) == s.N*len(s.Factors.Names) {
			out.Factors.Values = append(out.Factors.Values, s.Factors.Values...)
		} else {
			out.Factors = nil
		}
	}
	return out, nil
}

// Fingerprint identifies the set's contents: the first 16 hex digits of a SHA-256 of its
// shape, pixels (float32, little-endian) and labels. Two loads of the same files give the
// same fingerprint.
func (s *Set) Fingerprint() string {
	h := sha256.New()
	shape := s.Shape()
	fmt.Fprintf(h, "%d %d %d %d %d\n", s.N, shape.Height, shape.Width, shape.Channels, len(s.Labels))
	writeLittleEndian(h, s.Images)
	h.Write(s.Labels)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// writeLittleEndian writes values to h as little-endian float32s without copying a set that
// may be gigabytes: their own memory where the machine is little-endian, else encoded a
// chunk at a time.
func writeLittleEndian(h hash.Hash, values []float32) {
	if len(values) == 0 {
		return
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		h.Write(unsafe.Slice((*byte)(unsafe.Pointer(&values[0])), 4*len(values)))
		return
	}
	writeEncodedLittleEndian(h, values)
}

// writeEncodedLittleEndian is writeLittleEndian for any machine: values encoded a chunk at a
// time.
func writeEncodedLittleEndian(h hash.Hash, values []float32) {
	const chunk = 4096
	buf := make([]byte, 0, 4*chunk)
	for start := 0; start < len(values); start += chunk {
		buf, _ = binary.Append(buf[:0], binary.LittleEndian, values[start:min(start+chunk, len(values))])
		h.Write(buf)
	}
}
