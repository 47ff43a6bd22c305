package workarounds

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
)

// DeviceImages returns the n images as an [n, pixels] tensor, written in place in the
// backend's memory where the backend shares it with the host (the Go backend), so that
// no staging copy exists even for a moment (188 MB for MNIST's training set).
//
// Images whose every pixel is a byte/255 (MNIST and Fashion-MNIST, also binarised) are
// kept as those bytes, the way torchvision keeps MNIST: a quarter of the memory, and the
// model's graph divides each batch by 255 again (PixelsFromBytes), which gives back
// exactly the same float32 values. Other images stay float32. A model of one's own
// trained on these tensors calls PixelsFromBytes on its input, as Model's graph does.
func DeviceImages(backend compute.Backend, images []float32, n, pixels int) (*tensors.Tensor, error) {
	if len(images) != n*pixels {
		return nil, fmt.Errorf("%d pixel values for %d images of %d pixels", len(images), n, pixels)
	}
	if allBytes(images) {
		t, err := tensors.FromShapeForBackend(backend, 0, shapes.Make(dtypes.Uint8, n, pixels))
		if err != nil {
			return nil, err
		}
		err = tensors.MutableFlatData(t, func(flat []uint8) {
			for i, v := range images {
				flat[i] = uint8(math.Round(float64(v) * 255))
			}
		})
		return t, err
	}
	t, err := tensors.FromShapeForBackend(backend, 0, shapes.Make(dtypes.Float32, n, pixels))
	if err != nil {
		return nil, err
	}
	err = tensors.MutableFlatData(t, func(flat []float32) { copy(flat, images) })
	return t, err
}

// allBytes reports whether every value is exactly float32(k)/255 for a byte k.
func allBytes(values []float32) bool {
	for _, v := range values {
		k := math.Round(float64(v) * 255)
		if k < 0 || k > 255 || float32(k)/255 != v {
			return false
		}
	}
	return true
}

// PixelsFromBytes turns a batch of images stored as bytes (DeviceImages) back into the
// float32 pixels byte/255; float32 batches pass unchanged.
func PixelsFromBytes(x *Node) *Node {
	switch x.DType() {
	case dtypes.Float32:
		return x
	case dtypes.Uint8:
		// Div, not DivScalar: that multiplies by 1/255, one ulp off for some bytes.
		return Div(ConvertDType(x, dtypes.Float32), Scalar(x.Graph(), dtypes.Float32, 255))
	}
	return ConvertDType(x, dtypes.Float32)
}
