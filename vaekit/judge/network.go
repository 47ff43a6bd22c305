package judge

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/vaekit/vaekit/internal/conv"
	"github.com/vaekit/vaekit/internal/workarounds"
	"github.com/vaekit/vaekit/vaekit/data"
)

// Image geometry of MNIST and Fashion-MNIST, the data sets a judge knows.
const (
	height     = 28
	width      = 28
	numClasses = 10
)

// Settings define a judge: its network and how it is trained. They are fixed per data set
// (a judge is a shared yardstick, not a model to tune); the cache keeps one judge per
// data set and settings (the directory name carries their hash), so a change to them in
// a new vaekit trains a new judge instead of reusing an old one.
type Settings struct {
	Format       int     `json:"format"` // TrainingFormat of the code that trained the judge.
	Dataset      string  `json:"dataset"`
	Filters      [2]int  `json:"filters"`  // Channels of the two 3x3, stride-2 convolutions.
	Features     int     `json:"features"` // Width of the dense ReLU layer before the logits.
	Dropout      float64 `json:"dropout"`  // On the features, while training.
	BatchSize    int     `json:"batch_size"`
	Steps        int     `json:"steps"`
	LearningRate float64 `json:"learning_rate"` // Adam's, at the start; it falls to 0 along a half cosine.
	Seed         uint64  `json:"seed"`
}

// defaultSettings are the judge of every data set: small enough to train in a couple of
// minutes on two CPU cores with GoMLX's Go backend.
func defaultSettings(dataset data.Name) Settings {
	return Settings{
		Format:       TrainingFormat,
		Dataset:      string(dataset),
		Filters:      [2]int{32, 64},
		Features:     128,
		Dropout:      0.25,
		BatchSize:    128,
		Steps:        3000,
		LearningRate: 2e-3,
		Seed:         1,
	}
}

// hash names the settings in the cache directory.
func (s Settings) hash() string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("judge: settings cannot be encoded: %v", err)) // Plain fields only.
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// variables lists the network's weights, path and shape: what a saved judge must hold.
func (s Settings) variables() map[string]shapes.Shape {
	f0, f1 := s.Filters[0], s.Filters[1]
	flat := conv.OutputSize(height, []int{2, 2}) * conv.OutputSize(width, []int{2, 2}) * f1
	return map[string]shapes.Shape{
		"/conv_0/weights":         shapes.Make(dtypes.Float32, 3, 3, 1, f0),
		"/conv_0/biases":          shapes.Make(dtypes.Float32, f0),
		"/conv_1/weights":         shapes.Make(dtypes.Float32, 3, 3, f0, f1),
		"/conv_1/biases":          shapes.Make(dtypes.Float32, f1),
		"/features/dense/weights": shapes.Make(dtypes.Float32, flat, s.Features),
		"/features/dense/biases":  shapes.Make(dtypes.Float32, s.Features),
		"/logits/dense/weights":   shapes.Make(dtypes.Float32, s.Features, numClasses),
		"/logits/dense/biases":    shapes.Make(dtypes.Float32, numClasses),
	}
}

// network is the judge's classifier: images x [batch, 784] (float32 in [0,1], or the
// bytes of workarounds.DeviceImages) -> two 3x3 convolutions with stride 2 and ReLU
// (28x28 -> 14x14 -> 7x7) -> a dense ReLU layer, the features -> the 10 class logits.
// Dropout on the features only acts while training.
func (s Settings) network(scope *model.Scope, x *Node) (features, logits *Node) {
	if x.Rank() != 2 || x.Shape().Dimensions[1] != height*width {
		exceptions.Panicf("judge: expected images of shape [batch, %d], got %s", height*width, x.Shape())
	}
	batch := x.Shape().Dimensions[0]
	h := Reshape(workarounds.PixelsFromBytes(x), batch, height, width, 1)
	for i, filters := range s.Filters {
		h = activation.Relu(convolution(scope.In("conv_%d", i), h, filters))
	}
	h = Reshape(h, batch, -1)
	features = activation.Relu(layers.DenseWithBias(scope.In("features"), h, s.Features))
	logits = layers.DenseWithBias(scope.In("logits"), layers.DropoutStatic(scope, features, s.Dropout), numClasses)
	return features, logits
}

// convolution is a 3x3 convolution with stride 2, 'same' padding and a bias, computed by
// vaekit's convolution code (im2col on the Go backend: GoMLX's own is far slower there).
func convolution(scope *model.Scope, x *Node, filters int) *Node {
	in := x.Shape().Dimensions[3]
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), 3, 3, in, filters)).NodeValue(x.Graph())
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), filters)).NodeValue(x.Graph())
	return conv.Same(x, w, b, 2, "auto")
}
