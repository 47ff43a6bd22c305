package vaekit

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/vaekit/vaekit/internal/workarounds"
	"github.com/vaekit/vaekit/vaekit/data"
)

// iwaeRows bounds the decoder rows (images x samples) of one IWAE batch, to bound memory.
const iwaeRows = 4096

// iwaeWorkers is how many IWAE batches run at once: the Go backend leaves cores idle
// between the ops of one graph, which a second batch in flight fills.
const iwaeWorkers = 2

// iwae estimates the negative log-likelihood -log p(x), in nats per image, with the
// importance-weighted bound of Burda, Grosse & Salakhutdinov (2016), eq. 8:
//
//	log p(x) >= E[ log 1/k sum_i p(x, z_i) / q(z_i|x) ],  z_i ~ q(z|x),
//
// with k samples per image. k = 1 is the ELBO; the bound tightens as k grows, so the
// returned NLL estimate falls towards -log p(x) (the papers report k = 5000; k = 100 is
// within a fraction of a nat for MNIST-sized models). Also returned: the standard error
// of that mean over the images, which is what measuring a subset of a test set costs.
//
// The k standard-normal draws of image i come from a generator seeded by (seed, i), so
// the estimate does not depend on how the images are batched. progress, if not nil, is
// called after each batch with the number of images done.
func (m *Model) iwae(set *data.Set, k int, seed uint64, progress func(done, total int)) (nll, stdErr float64, err error) {
	bounds, err := m.iwaeBounds(set, k, seed, max(1, iwaeRows/k), progress)
	if err != nil {
		return 0, 0, err
	}
	n := float64(len(bounds))
	for _, b := range bounds {
		nll -= b / n
	}
	if math.IsNaN(nll) || math.IsInf(nll, 0) {
		return 0, 0, fmt.Errorf("vaekit: IWAE: the estimate is %v: %w", nll, ErrNotFinite)
	}
	if len(bounds) > 1 {
		var squares float64
		for _, b := range bounds {
			squares += (b + nll) * (b + nll)
		}
		stdErr = math.Sqrt(squares / (n - 1) / n)
	}
	return nll, stdErr, nil
}

// iwaeBounds returns the k-sample bound on log p(x) of each image of set, computed in
// batches of chunk images.
func (m *Model) iwaeBounds(set *data.Set, k int, seed uint64, chunk int, progress func(done, total int)) ([]float64, error) {
	if k < 1 {
		return nil, fmt.Errorf("vaekit: IWAE: k=%d samples, expected >= 1", k)
	}
	if err := m.checkSet(set, "IWAE set"); err != nil {
		return nil, err
	}
	labels, err := m.labelsOf(set, "IWAE images")
	if err != nil {
		return nil, err
	}
	// One executor for every k and batch size (it compiles a graph per input shape), kept
	// with the model: held-out IWAE during training (eval_iwae) reuses it.
	exec, err := m.executor(&m.iwaeExec, func(scope *model.Scope, inputs []*Node) []*Node {
		workarounds.BeginGraph(scope, inputs[0].Graph())
		x, eps := inputs[0], inputs[len(inputs)-1]
		bound, _, _ := m.importanceWeighted(scope, x, m.labelsInput(inputs), eps, false)
		return []*Node{bound}
	})
	if err != nil {
		return nil, err
	}

	images := imageRows(m.evalImages(set))
	chunk = min(chunk, len(images))
	bounds := make([]float64, len(images)) // The bound on log p(x) of each image.
	// The first batch runs alone: it compiles the graph (and initialises a new model's
	// variables), which concurrent first calls would race to do.
	done, err := m.iwaeBatch(exec, images, labels, 0, chunk, k, seed, bounds)
	if err != nil {
		return nil, err
	}
	if progress != nil {
		progress(done, len(images))
	}
	var (
		next atomic.Int64 // The first image of the next batch to run.
		wg   sync.WaitGroup
		mu   sync.Mutex // Guards done and err, and serialises the progress calls.
	)
	next.Store(int64(chunk))
	for range iwaeWorkers {
		wg.Go(func() {
			for {
				start := int(next.Add(int64(chunk))) - chunk
				mu.Lock()
				failed := err != nil
				mu.Unlock()
				if start >= len(images) || failed {
					return
				}
				n, batchErr := m.iwaeBatch(exec, images, labels, start, chunk, k, seed, bounds)
				mu.Lock()
				if batchErr != nil {
					err = cmp.Or(err, batchErr)
				} else if done += n; progress != nil {
					progress(done, len(images))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return bounds, err
}

// iwaeBatch computes the bounds of images[start:start+chunk] into bounds, and returns how
// many images it did. The last batch is padded to the full chunk, so that one compiled
// graph serves every batch.
func (m *Model) iwaeBatch(exec *model.Exec, images [][]float32, labels []int32, start, chunk, k int, seed uint64, bounds []float64) (int, error) {
	n, width, latent := min(chunk, len(images)-start), m.Pixels(), m.Config.LatentDim
	x := make([]float32, chunk*width)
	eps := make([]float32, chunk*k*latent)
	for i := range n {
		copy(x[i*width:], images[start+i])
		draws := rand.New(rand.NewPCG(seed, uint64(start+i)))
		for j := range eps[i*k*latent : (i+1)*k*latent] {
			eps[i*k*latent+j] = float32(draws.NormFloat64())
		}
	}
	args := []any{tensors.FromFlatDataAndDimensions(x, chunk, width)}
	if labels != nil {
		chunkLabels := make([]int32, chunk)
		copy(chunkLabels, labels[start:start+n])
		args = append(args, tensors.FromFlatDataAndDimensions(chunkLabels, chunk))
	}
	args = append(args, tensors.FromFlatDataAndDimensions(eps, chunk, k, latent))
	outs, err := exec.Call(args...)
	if err != nil {
		return 0, fmt.Errorf("vaekit: running the IWAE bound on images %d..%d: %w", start, start+n-1, err)
	}
	values, err := tensors.CopyFlatData[float32](outs[0])
	_ = outs[0].FinalizeAll()
	if err != nil {
		return 0, err
	}
	for i := range n {
		bounds[start+i] = float64(values[i])
	}
	return n, nil
}
