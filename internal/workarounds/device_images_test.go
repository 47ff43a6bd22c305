package workarounds

import (
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/internal/testutil"
)

// Images of byte/255 pixels go to the device as bytes, and the graph turns them back into
// bit-identical float32 pixels; any other image stays float32, unchanged.
func TestDeviceImagesKeepsPixelsExactly(t *testing.T) {
	backend := testutil.GoBackend(t)
	bytes := make([]float32, 2*256) // Every byte value, twice.
	for i := range bytes {
		bytes[i] = pixelScaleForTest(i % 256)
	}
	stored, err := DeviceImages(backend, bytes, 2, 256)
	if err != nil {
		t.Fatal(err)
	}
	if stored.DType() != dtypes.Uint8 || stored.Shape().Dimensions[0] != 2 || stored.Shape().Dimensions[1] != 256 {
		t.Fatalf("byte/255 images stored as %s, want (Uint8)[2 256]", stored.Shape())
	}
	back := tensors.MustCopyFlatData[float32](MustExecOnce(backend, PixelsFromBytes, stored))
	for i, v := range bytes {
		if math.Float32bits(back[i]) != math.Float32bits(v) {
			t.Fatalf("pixel %d: %v came back as %v", i, v, back[i])
		}
	}

	grey := []float32{0.5, 0.25, 1, 0}
	stored, err = DeviceImages(backend, grey, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if stored.DType() != dtypes.Float32 {
		t.Fatalf("0.5 is no byte/255, yet the images were stored as %s", stored.DType())
	}
	back = tensors.MustCopyFlatData[float32](MustExecOnce(backend, PixelsFromBytes, stored))
	for i := range grey {
		if back[i] != grey[i] {
			t.Errorf("float32 pixel %d: %v came back as %v", i, grey[i], back[i])
		}
	}

	if _, err := DeviceImages(backend, grey, 3, 2); err == nil {
		t.Error("4 pixel values for 3 images of 2 pixels: no error")
	}
}

// pixelScaleForTest is how the data loader scales a byte (data.pixelScale).
func pixelScaleForTest(b int) float32 { return float32(b) / 255 }
