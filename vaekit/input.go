package vaekit

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/dataset"
	"github.com/vaekit/vaekit/internal/workarounds"
	"github.com/vaekit/vaekit/vaekit/data"
)

// The input pipeline that training and measuring share: a data set checked against the
// model, binarised as the Config says, and uploaded to the backend.

// checkSet reports a data set the model cannot take: nil, empty, of another shape or data
// set, or with non-finite pixels.
func (m *Model) checkSet(set *data.Set, what string) error {
	switch {
	case set == nil:
		return fmt.Errorf("vaekit: no %s given (nil)", what)
	case set.N < 1:
		return fmt.Errorf("vaekit: the %s is empty", what)
	case set.Shape() != m.Shape():
		return fmt.Errorf("vaekit: the %s has %s images, the model expects %s (image_shape=%s)", what, set.Shape(), m.Shape(), intList(m.Config.ImageShape))
	case set.Name != "" && set.Name != m.Config.Dataset:
		return fmt.Errorf("vaekit: the %s is %s, but the config says dataset=%s", what, set.Name, m.Config.Dataset)
	case len(set.Images) != set.N*set.ImageSize():
		return fmt.Errorf("vaekit: the %s holds %d pixel values, expected %d images x %d", what, len(set.Images), set.N, set.ImageSize())
	}
	for i, v := range set.Images {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			pixels := set.ImageSize()
			return fmt.Errorf("vaekit: the %s has a non-finite pixel (%v): image %d, pixel %d", what, v, i/pixels, i%pixels)
		}
	}
	return nil
}

// trainImages applies static binarisation; dynamic binarisation happens in the graph.
func (m *Model) trainImages(set *data.Set) *data.Set {
	if m.Config.Binarize == "static" {
		return set.Binarized(0.5)
	}
	return set
}

// evalImages binarises for scoring: statically, or for "dynamic" with one fixed,
// seeded Bernoulli draw, so repeated evaluations see the same pixels.
func (m *Model) evalImages(set *data.Set) *data.Set {
	switch m.Config.Binarize {
	case "static":
		return set.Binarized(0.5)
	case "dynamic":
		return set.BernoulliBinarized(rand.New(rand.NewPCG(m.Config.Seed, 0xb1)))
	}
	return set
}

// inMemory uploads the images to the backend as one [N, pixels] tensor, where GoMLX
// gathers each batch; for a conditional model their labels too, as an [N] tensor.
func (m *Model) inMemory(set *data.Set, name string) (*dataset.InMemoryDataset, error) {
	images, err := workarounds.DeviceImages(m.backend, set.Images, set.N, m.Pixels())
	if err != nil {
		return nil, fmt.Errorf("vaekit: preparing the %s data: %w", name, err)
	}
	inputs := []any{images}
	labels, err := m.labelsOf(set, name+" set")
	if err != nil {
		return nil, err
	}
	if labels != nil {
		inputs = append(inputs, tensors.FromFlatDataAndDimensions(labels, set.N))
	}
	ds, err := dataset.InMemoryFromData(m.backend, name, inputs, nil)
	if err != nil {
		return nil, fmt.Errorf("vaekit: preparing the %s data: %w", name, err)
	}
	return ds, nil
}

func (m *Model) evalDataset(set *data.Set, name string) (*dataset.InMemoryDataset, error) {
	ds, err := m.inMemory(m.evalImages(set), name)
	if err != nil {
		return nil, err
	}
	ds.BatchSize(m.Config.EvalBatchSize, false)
	return ds, nil
}

// labelsOf returns the labels of set a conditional model reads, nil for an unconditional
// one, checking there is one valid label per image.
func (m *Model) labelsOf(set *data.Set, what string) ([]int32, error) {
	if !m.Config.Conditional() {
		return nil, nil
	}
	if len(set.Labels) != set.N {
		return nil, fmt.Errorf("vaekit: %s: %d labels for %d images: a conditional model (condition=label) needs one label per image", what, len(set.Labels), set.N)
	}
	if err := m.checkLabels(set.Labels, what); err != nil {
		return nil, err
	}
	return toInt32(set.Labels), nil
}

// checkLabels checks every label is one of the model's classes.
func (m *Model) checkLabels(labels []uint8, what string) error {
	for i, l := range labels {
		if int(l) >= m.Config.Classes {
			return fmt.Errorf("vaekit: %s: label %d is %d: expected 0..%d (classes=%d)", what, i, l, m.Config.Classes-1, m.Config.Classes)
		}
	}
	return nil
}

// toInt32 is the labels as a graph takes them.
func toInt32(labels []uint8) []int32 {
	if labels == nil {
		return nil
	}
	out := make([]int32, len(labels))
	for i, l := range labels {
		out[i] = int32(l)
	}
	return out
}
