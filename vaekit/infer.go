package vaekit

import (
	"fmt"
	"math/rand/v2"
	"slices"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/vaekit/vaekit/internal/workarounds"
	"github.com/vaekit/vaekit/vaekit/data"
)

// Images go in and out of a Model as a *data.Set (its pixels with their size and, for
// data, labels); latent codes are [][]float32, one row of LatentDim values per image.
//
// A conditional model (condition=label) reads each image's label from its Set, and is told
// the label to decode a code with by the trailing labels argument of Decode, Sample,
// Manifold and Traverse: one label for every code, or one per code.

// encode returns the encoder's outputs for each image: the posterior mean and
// log-variance, or the autoencoder's code alone (logVar nil).
func (m *Model) encode(images *data.Set) (mean, logVar [][]float32, err error) {
	if err := m.checkSet(images, "images"); err != nil {
		return nil, nil, err
	}
	labels, err := m.labelsOf(images, "images")
	if err != nil {
		return nil, nil, err
	}
	exec, err := m.executor(&m.encodeExec, func(scope *model.Scope, inputs []*Node) []*Node {
		workarounds.BeginGraph(scope, inputs[0].Graph())
		mean, logVar := Encoder(scope, &m.Config, inputs[0], m.labelsInput(inputs))
		if logVar == nil {
			return []*Node{mean}
		}
		return []*Node{mean, logVar}
	})
	if err != nil {
		return nil, nil, err
	}
	outs, err := m.runBatched(exec, imageRows(images), m.Pixels(), labels, "images")
	if err != nil {
		return nil, nil, err
	}
	if len(outs) == 2 {
		return outs[0], outs[1], nil
	}
	return outs[0], nil, nil
}

// Encode returns the parameters of each image's posterior q(z|x) = N(mean,
// diag(exp(logVar))), the recognition model of Kingma & Welling (2014), section 3 (for a
// conditional model q(z|x,y), y the image's label). A plain autoencoder (model=ae) has no
// posterior: Embed gives its codes.
func (m *Model) Encode(images *data.Set) (mean, logVar [][]float32, err error) {
	if m.Config.Autoencoder() {
		return nil, nil, fmt.Errorf("vaekit: Encode: a plain autoencoder (model=ae) has a code, not a posterior distribution: use Embed")
	}
	return m.encode(images)
}

// Embed returns one code per image: the posterior mean of a VAE, the code of an
// autoencoder.
func (m *Model) Embed(images *data.Set) ([][]float32, error) {
	codes, _, err := m.encode(images)
	return codes, err
}

// Decode maps latent codes to images: the decoder's mean, sigmoid(logits), in [0,1]. A
// conditional model needs labels: one for every code, or one per code; the decoded Set
// carries them.
func (m *Model) Decode(z [][]float32, labels ...uint8) (*data.Set, error) {
	perCode, err := m.decodeLabels(len(z), labels)
	if err != nil {
		return nil, err
	}
	exec, err := m.executor(&m.decodeExec, func(scope *model.Scope, inputs []*Node) []*Node {
		workarounds.BeginGraph(scope, inputs[0].Graph())
		return []*Node{Sigmoid(Decoder(scope, &m.Config, inputs[0], m.labelsInput(inputs)))}
	})
	if err != nil {
		return nil, err
	}
	outs, err := m.runBatched(exec, z, m.Config.LatentDim, toInt32(perCode), "latent codes")
	if err != nil {
		return nil, err
	}
	return m.imageSet(outs[0], perCode)
}

// Reconstruct decodes each image's code (Embed), with the image's label for a
// conditional model: the images as the model sees them. The reconstructions keep the
// images' labels.
func (m *Model) Reconstruct(images *data.Set) (*data.Set, error) {
	codes, err := m.Embed(images)
	if err != nil {
		return nil, err
	}
	out, err := m.Decode(codes, m.ownLabels(images)...)
	if err != nil {
		return nil, err
	}
	out.Labels = slices.Clone(images.Labels)
	return out, nil
}

// Sample decodes n codes drawn from the prior N(0, I) with seed (PriorCodes): the same
// seed gives the same samples. A conditional model draws samples of the given label(s):
// one for all n, or one per sample.
func (m *Model) Sample(n int, seed uint64, labels ...uint8) (*data.Set, error) {
	z, err := m.PriorCodes(n, seed)
	if err != nil {
		return nil, err
	}
	return m.Decode(z, labels...)
}

// PriorCodes draws n codes z ~ N(0, I), each of LatentDim values, from seed: the same seed
// gives the same codes.
func (m *Model) PriorCodes(n int, seed uint64) ([][]float32, error) {
	if n < 1 {
		return nil, fmt.Errorf("vaekit: PriorCodes(%d): expected n >= 1", n)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	z := make([][]float32, n)
	for i := range z {
		z[i] = make([]float32, m.Config.LatentDim)
		for j := range z[i] {
			z[i][j] = float32(rng.NormFloat64())
		}
	}
	return z, nil
}

// ownLabels returns the labels to decode the images' codes with: their own for a
// conditional model, none otherwise.
func (m *Model) ownLabels(images *data.Set) []uint8 {
	if !m.Config.Conditional() {
		return nil
	}
	return images.Labels
}

// decodeLabels expands the labels given for n codes to one per code (nil for an
// unconditional model).
func (m *Model) decodeLabels(n int, labels []uint8) ([]uint8, error) {
	if !m.Config.Conditional() {
		if len(labels) > 0 {
			return nil, fmt.Errorf("vaekit: %d labels given, but the model is not conditional (condition=%s)", len(labels), m.Config.Condition)
		}
		return nil, nil
	}
	if err := m.checkLabels(labels, "labels"); err != nil {
		return nil, err
	}
	switch len(labels) {
	case n:
		return slices.Clone(labels), nil
	case 1:
		return slices.Repeat(labels, n), nil
	}
	return nil, fmt.Errorf("vaekit: %d labels for %d codes: a conditional model (condition=label) needs one label for all or one per code", len(labels), n)
}

// imageRows returns the images of set as one slice view each.
func imageRows(set *data.Set) [][]float32 {
	rows := make([][]float32, set.N)
	for i := range rows {
		rows[i] = set.Image(i)
	}
	return rows
}

// imageSet makes the Set of the model's data set and image size holding rows.
func (m *Model) imageSet(rows [][]float32, labels []uint8) (*data.Set, error) {
	set, err := data.FromImagesHWC(rows, m.Shape().Height, m.Shape().Width, m.Shape().Channels)
	if err != nil {
		return nil, fmt.Errorf("vaekit: %w", err)
	}
	set.Name, set.Labels, set.Source = m.Config.Dataset, labels, "decoded by the model"
	return set, nil
}

// executor builds an inference executor once (the graph is compiled per input shape).
// Its inputs: the rows, then the labels for a conditional model.
func (m *Model) executor(slot **model.Exec, fn func(*model.Scope, []*Node) []*Node) (*model.Exec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if *slot == nil {
		exec, err := model.NewExec(m.backend, m.store, fn)
		if err != nil {
			return nil, fmt.Errorf("vaekit: building inference graph: %w", err)
		}
		*slot = exec
	}
	return *slot, nil
}

// runBatched feeds rows of width `width` (and their labels, when not nil) through exec in
// chunks of EvalBatchSize. The last chunk is padded to the full size, so one compiled
// graph serves every call.
func (m *Model) runBatched(exec *model.Exec, rows [][]float32, width int, labels []int32, what string) ([][][]float32, error) {
	return m.runInChunks(exec, rows, width, labels, m.Config.EvalBatchSize, what)
}

// runInChunks is runBatched with an explicit chunk size.
func (m *Model) runInChunks(exec *model.Exec, rows [][]float32, width int, labels []int32, chunk int, what string) ([][][]float32, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("vaekit: no %s given", what)
	}
	for i, r := range rows {
		if len(r) != width {
			return nil, fmt.Errorf("vaekit: %s[%d] has %d values, expected %d", what, i, len(r), width)
		}
	}
	if labels != nil && len(labels) != len(rows) {
		return nil, fmt.Errorf("vaekit: %d labels for %d %s", len(labels), len(rows), what)
	}
	chunk = min(chunk, len(rows))
	var results [][][]float32
	flat := make([]float32, chunk*width)
	chunkLabels := make([]int32, chunk)
	for start := 0; start < len(rows); start += chunk {
		n := min(chunk, len(rows)-start)
		clear(flat)
		for i := range n {
			copy(flat[i*width:], rows[start+i])
		}
		args := []any{tensors.FromFlatDataAndDimensions(flat, chunk, width)}
		if labels != nil {
			clear(chunkLabels)
			copy(chunkLabels, labels[start:start+n])
			args = append(args, tensors.FromFlatDataAndDimensions(chunkLabels, chunk))
		}
		outs, err := exec.Call(args...)
		if err != nil {
			return nil, fmt.Errorf("vaekit: running the model on %s: %w", what, err)
		}
		if results == nil {
			results = make([][][]float32, len(outs))
		}
		for k, out := range outs {
			cols := out.Shape().Dimensions[1]
			values, err := tensors.CopyFlatData[float32](out)
			_ = out.FinalizeAll()
			if err != nil {
				return nil, err
			}
			for i := range n {
				results[k] = append(results[k], values[i*cols:(i+1)*cols:(i+1)*cols])
			}
		}
	}
	return results, nil
}
