package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// idxFilePrefixes are the names an IDX file of a split may start with: MNIST's own
// ("t10k" for the test split) and the plainer "test".
var idxFilePrefixes = map[Split][]string{
	Train: {"train"},
	Test:  {"t10k", "test"},
}

// LoadIDX reads one split of a data set the user made in the IDX format, from dir:
//
//   - the images are in the one file whose name starts with "train-images" (for the
//     test split "t10k-images" or "test-images"), such as train-images-idx3-ubyte or
//     train-images.idx.gz;
//   - the labels, if any, are in the one file whose name starts with "train-labels"
//     ("t10k-labels" or "test-labels").
//
// Files may be gzipped. No checksum is checked (the data is the user's); what the
// files must hold is in readIDXSet.
func LoadIDX(dir string, split Split) (*Set, error) {
	prefixes, ok := idxFilePrefixes[split]
	if !ok {
		return nil, fmt.Errorf("unknown split %q: expected %q or %q", split, Train, Test)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err // *fs.PathError names the directory
	}
	find := func(kind string) (string, error) {
		var found []string
		for _, e := range entries {
			for _, p := range prefixes {
				if strings.HasPrefix(e.Name(), p+"-"+kind) && !e.IsDir() {
					found = append(found, e.Name())
				}
			}
		}
		switch len(found) {
		case 0:
			return "", nil
		case 1:
			return filepath.Join(dir, found[0]), nil
		}
		return "", fmt.Errorf("%s: %d %s %s files (%s): expected one", dir, len(found), split, kind, strings.Join(found, ", "))
	}
	imagesPath, err := find("images")
	if err != nil {
		return nil, err
	}
	if imagesPath == "" {
		return nil, fmt.Errorf("%s: no %s images file: expected one named %s-images* (e.g. %s-images-idx3-ubyte.gz), with its labels, if any, in %s-labels*",
			dir, split, strings.Join(prefixes, "-images* or "), prefixes[0], prefixes[0])
	}
	labelsPath, err := find("labels")
	if err != nil {
		return nil, err
	}
	set, err := readIDXSet(imagesPath, labelsPath)
	if err != nil {
		return nil, err
	}
	set.Split, set.Source = split, dir
	return set, nil
}

// readIDXSet reads images, and labels unless labelsPath is "", from IDX files of any
// image size (gzipped or not):
//
//   - images: dimensions [n height width] (grey) or [n height width channels] with 1
//     or 3 channels (red, green, blue), channels last; unsigned bytes (divided by
//     255) or float32/float64 values in [0,1];
//   - labels: dimensions [n], unsigned bytes, one per image. ClassNames are the label
//     values as text, "0" up to the largest.
//
// Anything else is an error naming the file and what was expected.
func readIDXSet(imagesPath, labelsPath string) (*Set, error) {
	images, err := ReadIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	var labels *IDX
	if labelsPath != "" {
		if labels, err = ReadIDXFile(labelsPath); err != nil {
			return nil, err
		}
	}
	set, err := idxToSet(images, labels, imagesPath, labelsPath)
	if err != nil {
		return nil, err
	}
	set.Source = imagesPath
	return set, nil
}

// idxToSet checks that an images file and a labels file (nil: none) describe images
// and their labels, and converts them; imagesName and labelsName are used in errors.
func idxToSet(images, labels *IDX, imagesName, labelsName string) (*Set, error) {
	shape, err := idxImageShape(images, imagesName)
	if err != nil {
		return nil, err
	}
	n := images.Dims[0]
	set := &Set{Name: IDXFiles, N: n, Height: shape.Height, Width: shape.Width, Channels: shape.Channels}
	if labels != nil {
		if err := labels.CheckDims(labelsName, -1); err != nil {
			return nil, err
		}
		if labels.Dims[0] != n {
			return nil, fmt.Errorf("%s has %d images but %s has %d labels: expected the same count",
				imagesName, n, labelsName, labels.Dims[0])
		}
		if labels.Type != idxTypeUbyte {
			return nil, fmt.Errorf("%s: IDX element type 0x%02x (%s), expected 0x%02x (unsigned byte) labels",
				labelsName, labels.Type, idxTypeName(labels.Type), idxTypeUbyte)
		}
		set.Labels = labels.Data
		set.Classes = numberNames(labels.Data)
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: contains no images, expected at least one", imagesName)
	}
	if set.Images, err = idxPixels(images, imagesName); err != nil {
		return nil, err
	}
	return set, nil
}

// idxImageShape reads the image shape from an images file's dimensions.
func idxImageShape(x *IDX, name string) (Shape, error) {
	var shape Shape
	switch len(x.Dims) {
	case 3:
		shape = Shape{Height: x.Dims[1], Width: x.Dims[2], Channels: 1}
	case 4:
		shape = Shape{Height: x.Dims[1], Width: x.Dims[2], Channels: x.Dims[3]}
	default:
		return Shape{}, fmt.Errorf("%s: IDX dimensions %v do not describe images: expected [n height width] or [n height width channels]",
			name, x.Dims)
	}
	if err := shape.check(); err != nil {
		return Shape{}, fmt.Errorf("%s: IDX dimensions %v do not describe images: %v", name, x.Dims, err)
	}
	return shape, nil
}

// idxPixels converts image elements to values in [0,1]: bytes are divided by 255,
// floats must be in [0,1] already.
func idxPixels(x *IDX, name string) ([]float32, error) {
	pixels := make([]float32, x.Len())
	switch x.Type {
	case idxTypeUbyte:
		for i, b := range x.Data {
			pixels[i] = pixelScale[b]
		}
	case idxTypeFloat32, idxTypeFloat64:
		for i := range pixels {
			v := x.Float(i)
			if !(v >= 0 && v <= 1) { // NaN too
				return nil, fmt.Errorf("%s: value %v of image %d is outside [0,1]: expected float pixel values in [0,1]",
					name, v, i/(len(pixels)/x.Dims[0]))
			}
			pixels[i] = float32(v)
		}
	default:
		return nil, fmt.Errorf("%s: IDX element type 0x%02x (%s), expected 0x%02x (unsigned byte) or 0x%02x/0x%02x (float32/float64 in [0,1]) images",
			name, x.Type, idxTypeName(x.Type), idxTypeUbyte, idxTypeFloat32, idxTypeFloat64)
	}
	return pixels, nil
}

// numberNames names label values by their numbers, "0" up to the largest label.
func numberNames(labels []uint8) []string {
	top := -1
	for _, l := range labels {
		top = max(top, int(l))
	}
	names := make([]string, top+1)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	return names
}
