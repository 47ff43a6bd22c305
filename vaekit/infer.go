package vaekit

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Encode returns the posterior parameters q(z|x) = N(mean, diag(exp(logVar))) for each
// image. For a plain autoencoder, logVar is nil and mean is the code.
func (m *Model) Encode(images [][]float32) (mean, logVar [][]float32, err error) {
	exec, err := m.executor(&m.encodeExec, func(scope *model.Scope, x *Node) []*Node {
		beginGraph(scope, x.Graph())
		mean, logVar := Encoder(scope, &m.Config, x, m.Height, m.Width)
		if logVar == nil {
			return []*Node{mean}
		}
		return []*Node{mean, logVar}
	})
	if err != nil {
		return nil, nil, err
	}
	outs, err := m.runBatched(exec, images, m.Pixels(), "images")
	if err != nil {
		return nil, nil, err
	}
	if len(outs) == 2 {
		return outs[0], outs[1], nil
	}
	return outs[0], nil, nil
}

// Decode maps latent codes to images: the decoder's mean, sigmoid(logits), in [0,1].
func (m *Model) Decode(z [][]float32) ([][]float32, error) {
	exec, err := m.executor(&m.decodeExec, func(scope *model.Scope, z *Node) []*Node {
		beginGraph(scope, z.Graph())
		return []*Node{Sigmoid(Decoder(scope, &m.Config, z, m.Height, m.Width))}
	})
	if err != nil {
		return nil, err
	}
	outs, err := m.runBatched(exec, z, m.Config.LatentDim, "latent codes")
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// Reconstruct encodes each image to its posterior mean and decodes it.
func (m *Model) Reconstruct(images [][]float32) ([][]float32, error) {
	mean, _, err := m.Encode(images)
	if err != nil {
		return nil, err
	}
	return m.Decode(mean)
}

// Sample draws n codes from the prior N(0, I) and decodes them. Samples are reproducible:
// the host RNG is seeded from Config.Seed.
func (m *Model) Sample(n int) ([][]float32, error) {
	if n < 1 {
		return nil, fmt.Errorf("vaekit: Sample(%d): expected n >= 1", n)
	}
	z, err := m.PriorSamples(n)
	if err != nil {
		return nil, err
	}
	return m.Decode(z)
}

// PriorSamples draws n codes z ~ N(0, I) from the model's seeded host RNG.
func (m *Model) PriorSamples(n int) ([][]float32, error) {
	if n < 1 {
		return nil, fmt.Errorf("vaekit: PriorSamples(%d): expected n >= 1", n)
	}
	z := make([][]float32, n)
	for i := range z {
		z[i] = make([]float32, m.Config.LatentDim)
		for j := range z[i] {
			z[i][j] = float32(m.sampleRNG.NormFloat64())
		}
	}
	return z, nil
}

// executor builds an inference executor once (the graph is compiled per input shape).
func (m *Model) executor(slot **model.Exec, fn func(*model.Scope, *Node) []*Node) (*model.Exec, error) {
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

// runBatched feeds rows of width `width` through exec in chunks of EvalBatchSize. The last
// chunk is padded to the full size, so one compiled graph serves every call.
func (m *Model) runBatched(exec *model.Exec, rows [][]float32, width int, what string) ([][][]float32, error) {
	return m.runInChunks(exec, rows, width, m.Config.EvalBatchSize, what)
}

// runInChunks is runBatched with an explicit chunk size.
func (m *Model) runInChunks(exec *model.Exec, rows [][]float32, width, chunk int, what string) ([][][]float32, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("vaekit: no %s given", what)
	}
	for i, r := range rows {
		if len(r) != width {
			return nil, fmt.Errorf("vaekit: %s[%d] has %d values, expected %d", what, i, len(r), width)
		}
	}
	chunk = min(chunk, len(rows))
	var results [][][]float32
	flat := make([]float32, chunk*width)
	for start := 0; start < len(rows); start += chunk {
		n := min(chunk, len(rows)-start)
		clear(flat)
		for i := range n {
			copy(flat[i*width:], rows[start+i])
		}
		outs, err := exec.Call(tensors.FromFlatDataAndDimensions(flat, chunk, width))
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
