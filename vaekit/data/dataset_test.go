package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	for in, want := range map[string]Name{
		"mnist":         MNIST,
		" MNIST ":       MNIST,
		"fashion-mnist": FashionMNIST,
		"fashion_mnist": FashionMNIST,
		"Fashion":       FashionMNIST,
		"cifar10":       CIFAR10,
		"CIFAR-10":      CIFAR10,
		"dsprites":      DSprites,
		"d-sprites":     DSprites,
		"DSprites":      DSprites,
		"idx":           IDXFiles,
		"folder":        ImageFolder,
	} {
		got, err := ParseName(in)
		if err != nil || got != want {
			t.Errorf("ParseName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseName("cifar100")
	wantErr(t, err, `"cifar100"`, "mnist, fashion-mnist, cifar10, dsprites, idx, folder")
}

func TestParseSplit(t *testing.T) {
	for _, s := range []string{"train", "test", "Train"} {
		if _, err := ParseSplit(s); err != nil {
			t.Errorf("ParseSplit(%q): %v", s, err)
		}
	}
	_, err := ParseSplit("validation")
	wantErr(t, err, `"validation"`, `"train"`, `"test"`)
}

func TestImageSubsetClassNames(t *testing.T) {
	dir := t.TempDir()
	writeSplit(t, dir, Train, makeSynthetic(5), true)
	s, err := Load(MNIST, Train, Options{Dir: dir, SkipChecksum: true, NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 5 || s.Height != 28 || s.Width != 28 || len(s.Images) != 5*784 || len(s.Labels) != 5 {
		t.Fatalf("shape N=%d %dx%d, %d pixels, %d labels", s.N, s.Height, s.Width, len(s.Images), len(s.Labels))
	}
	img := s.Image(2)
	if len(img) != 784 || &img[0] != &s.Images[2*784] {
		t.Errorf("Image(2) is not a view of image 2")
	}
	if want := pixelScale[byte(2*784*7%256)]; img[0] != want {
		t.Errorf("Image(2)[0] = %v, want %v", img[0], want)
	}

	sub := s.Head(3)
	if sub.N != 3 || len(sub.Images) != 3*784 || len(sub.Labels) != 3 || sub.Source != s.Source || &sub.Images[0] != &s.Images[0] {
		t.Errorf("Head(3): N=%d, %d pixels, %d labels (a view: %v)", sub.N, len(sub.Images), len(sub.Labels), &sub.Images[0] == &s.Images[0])
	}
	if got := s.Head(100); got.N != 5 {
		t.Errorf("Head(100).N = %d, want 5 (all)", got.N)
	}
	if got := s.Head(-1); got.N != 0 || len(got.Images) != 0 {
		t.Errorf("Head(-1).N = %d, want 0", got.N)
	}
	picked, err := s.Select(4, 1)
	if err != nil || picked.N != 2 || !slices.Equal(picked.Image(0), s.Image(4)) || !slices.Equal(picked.Image(1), s.Image(1)) ||
		!slices.Equal(picked.Labels, []uint8{s.Labels[4], s.Labels[1]}) {
		t.Errorf("Select(4, 1): %+v, %v", picked, err)
	}
	if _, err := s.Select(5); err == nil || !strings.Contains(err.Error(), "index 5 out of range") {
		t.Errorf("Select(5) of 5 images: %v", err)
	}
	made, err := FromImages([][]float32{s.Image(0), s.Image(3)}, 28, 28)
	if err != nil || made.N != 2 || !slices.Equal(made.Image(1), s.Image(3)) || made.Labels != nil {
		t.Errorf("FromImages: %+v, %v", made, err)
	}
	both, err := Concat(s.Head(2), picked)
	if err != nil || both.N != 4 || !slices.Equal(both.Image(2), s.Image(4)) || !slices.Equal(both.Labels, []uint8{s.Labels[0], s.Labels[1], s.Labels[4], s.Labels[1]}) {
		t.Errorf("Concat: %+v, %v", both, err)
	}
	if noLabels, err := Concat(s.Head(1), made); err != nil || noLabels.N != 3 || noLabels.Labels != nil {
		t.Errorf("Concat with an unlabelled set: %+v, %v (expected no labels)", noLabels, err)
	}
	if _, err := Concat(s.Head(1), &Set{Height: 2, Width: 2}); err == nil || !strings.Contains(err.Error(), "set 1 is not of 28x28") {
		t.Errorf("Concat of 28x28 and 2x2 images: %v", err)
	}
	if _, err := FromImages([][]float32{make([]float32, 10)}, 28, 28); err == nil || !strings.Contains(err.Error(), "image 0 has 10 values, expected 28x28") {
		t.Errorf("FromImages of a 10-value image: %v", err)
	}

	if names := s.ClassNames(); len(names) != 10 || names[3] != "3" {
		t.Errorf("MNIST ClassNames = %q", names)
	}
	fashion := &Set{Name: FashionMNIST}
	if names := fashion.ClassNames(); len(names) != 10 || names[0] != "T-shirt/top" || names[9] != "Ankle boot" {
		t.Errorf("Fashion-MNIST ClassNames = %q", names)
	}
}

func TestLabelOutOfRange(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	s := makeSynthetic(3)
	s.labels = idxBytes([]int{3}, []byte{1, 10, 2})
	writeSplit(t, dir, Test, s, false)
	_, err := Load(MNIST, Test, Options{Dir: dir, SkipChecksum: true, NoDownload: true, CacheDir: t.TempDir()})
	wantErr(t, err, filepath.Join(dir, "t10k-labels-idx1-ubyte"), "label 10 of example 1 is out of range", "expected 0..9")
}

func TestCountMismatch(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	s := makeSynthetic(3)
	s.labels = idxBytes([]int{4}, []byte{1, 2, 3, 4})
	writeSplit(t, dir, Train, s, true)
	_, err := Load(MNIST, Train, Options{Dir: dir, SkipChecksum: true, NoDownload: true, CacheDir: t.TempDir()})
	wantErr(t, err, "train-images-idx3-ubyte.gz has 3 images", "train-labels-idx1-ubyte.gz has 4 labels", "expected the same count")
}

func TestWrongImageSize(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	s := makeSynthetic(2)
	s.images = idxBytes([]int{2, 27, 28}, make([]byte, 2*27*28))
	writeSplit(t, dir, Train, s, true)
	_, err := Load(MNIST, Train, Options{Dir: dir, SkipChecksum: true, NoDownload: true, CacheDir: t.TempDir()})
	wantErr(t, err, "train-images-idx3-ubyte.gz", "expected IDX dimensions [* 28 28], got [2 27 28]")
}

func TestLoadUnknown(t *testing.T) {
	_, err := Load("cifar", Train, Options{})
	wantErr(t, err, "unknown dataset", "cifar")
	_, err = Load(MNIST, "val", Options{})
	wantErr(t, err, "unknown split", "val")
}

// Colour images: every method steps by Height*Width*Channels values per image.
func TestColourSetMethods(t *testing.T) {
	var images [][]float32
	for i := range 3 {
		img := make([]float32, 2*2*3)
		for j := range img {
			img[j] = float32(i*100+j) / 1000
		}
		images = append(images, img)
	}
	s, err := FromImagesHWC(images, 2, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	s.Labels, s.Classes = []uint8{0, 1, 0}, []string{"a", "b"}
	if s.Shape() != (Shape{2, 2, 3}) || s.ImageSize() != 12 || s.Shape().String() != "2x2x3" || s.N != 3 || len(s.Images) != 36 {
		t.Fatalf("FromImagesHWC: %v, ImageSize %d, N %d, %d values", s.Shape(), s.ImageSize(), s.N, len(s.Images))
	}
	if !slices.Equal(s.Image(2), images[2]) {
		t.Errorf("Image(2) = %v, want %v", s.Image(2), images[2])
	}
	if h := s.Head(2); h.N != 2 || len(h.Images) != 24 || !slices.Equal(h.Image(1), images[1]) || h.Channels != 3 {
		t.Errorf("Head(2): N %d, %d values, Channels %d", h.N, len(h.Images), h.Channels)
	}
	picked, err := s.Select(2, 0)
	if err != nil || !slices.Equal(picked.Images, slices.Concat(images[2], images[0])) || !slices.Equal(picked.Labels, []uint8{0, 0}) {
		t.Errorf("Select(2, 0): %v, %v", picked, err)
	}
	both, err := Concat(s, picked)
	if err != nil || both.N != 5 || both.Channels != 3 || !slices.Equal(both.Image(4), images[0]) || !slices.Equal(both.ClassNames(), []string{"a", "b"}) {
		t.Errorf("Concat of colour sets: %+v, %v", both, err)
	}
	other := s.Head(1)
	other.Classes = []string{"x", "y"}
	if mixed, err := Concat(s, other); err != nil || mixed.Classes != nil {
		t.Errorf("Concat of sets with other class names: Classes %q, %v; want none", mixed.Classes, err)
	}
	grey, _ := FromImages([][]float32{make([]float32, 4)}, 2, 2)
	if _, err := Concat(s, grey); err == nil || !strings.Contains(err.Error(), "set 1 is not of 2x2x3 images like set 0") {
		t.Errorf("Concat of colour and grey 2x2 images: %v", err)
	}
	if b := s.Binarized(0.15); b.Channels != 3 || b.Image(1)[0] != 0 || b.Image(1)[11] != 0 || b.Image(2)[0] != 1 {
		t.Errorf("Binarized: Channels %d, images %v", b.Channels, b.Images)
	}
	if _, err := FromImagesHWC(images, 2, 2, 2); err == nil || !strings.Contains(err.Error(), "2 channels, expected 1 (grey) or 3") {
		t.Errorf("FromImagesHWC with 2 channels: %v", err)
	}
	if _, err := FromImagesHWC(images, 2, 3, 3); err == nil || !strings.Contains(err.Error(), "image 0 has 12 values, expected 2x3x3 = 18") {
		t.Errorf("FromImagesHWC of the wrong size: %v", err)
	}

	// A Set built by hand without Channels is grey.
	hand := &Set{N: 2, Height: 1, Width: 2, Images: []float32{1, 2, 3, 4}}
	if hand.Shape() != (Shape{1, 2, 1}) || !slices.Equal(hand.Image(1), []float32{3, 4}) {
		t.Errorf("Channels 0: %v, Image(1) %v", hand.Shape(), hand.Image(1))
	}
	if _, err := Concat(hand, &Set{N: 1, Height: 1, Width: 2, Channels: 1, Images: []float32{5, 6}}); err != nil {
		t.Errorf("Concat of Channels 0 and 1: %v, want them alike", err)
	}
}

// The fingerprint is SHA-256 over a header line, each pixel as a little-endian float32, then
// the labels: computed here value by value, against Fingerprint's view of the set's memory.
func TestFingerprintEncoding(t *testing.T) {
	set := &Set{N: 3, Height: 2, Width: 2, Images: []float32{0, 1, -0.5, 0.25, 1e-30, 3, 7, 0.1, 0.2, 0.3, 0.4, float32(math.Pi)}, Labels: []uint8{4, 0, 9}}
	h := sha256.New()
	fmt.Fprintf(h, "3 2 2 1 3\n")
	for _, v := range set.Images {
		bits := math.Float32bits(v)
		h.Write([]byte{byte(bits), byte(bits >> 8), byte(bits >> 16), byte(bits >> 24)})
	}
	h.Write(set.Labels)
	if want := hex.EncodeToString(h.Sum(nil))[:16]; set.Fingerprint() != want {
		t.Errorf("Fingerprint() = %s, the encoding computed value by value gives %s", set.Fingerprint(), want)
	}
	changed := *set
	changed.Images = slices.Clone(set.Images)
	changed.Images[11] = math.Nextafter32(changed.Images[11], 4)
	if changed.Fingerprint() == set.Fingerprint() {
		t.Errorf("one pixel one ulp apart gives the same fingerprint %s", set.Fingerprint())
	}
	// The encoding big-endian machines take, over more than one of its chunks.
	many := make([]float32, 10_000)
	for i := range many {
		many[i] = float32(i)*0.37 - 1000
	}
	native, encoded, byValue := sha256.New(), sha256.New(), sha256.New()
	writeLittleEndian(native, many)
	writeEncodedLittleEndian(encoded, many)
	for _, v := range many {
		byValue.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
	}
	if a, b, c := native.Sum(nil), encoded.Sum(nil), byValue.Sum(nil); !bytes.Equal(a, c) || !bytes.Equal(b, c) {
		t.Errorf("10,000 values hash to %x (native) and %x (encoded), value by value %x", a[:8], b[:8], c[:8])
	}
	if empty := (&Set{Height: 2, Width: 2}); len(empty.Fingerprint()) != 16 {
		t.Errorf("an empty set's fingerprint is %q, expected 16 hex digits", empty.Fingerprint())
	}
}
