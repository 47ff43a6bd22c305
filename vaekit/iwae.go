package vaekit

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/floats"

	"github.com/vaekit/vaekit/internal/workarounds"
	"github.com/vaekit/vaekit/vaekit/data"
)

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
	rows := iwaeRowsFor(&m.Config)
	bounds, err := m.iwaeBoundsIn(set, iwaeJob{k: k, seed: seed, images: max(1, rows/k), samples: iwaeBlockSize(k, rows)}, progress)
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
// batches of chunk images; an image whose k samples are more than iwaeRowsFor has them
// computed in blocks of at most that many (iwaeBlocks), so that memory does not grow with k.
func (m *Model) iwaeBounds(set *data.Set, k int, seed uint64, chunk int, progress func(done, total int)) ([]float64, error) {
	return m.iwaeBoundsIn(set, iwaeJob{k: k, seed: seed, images: chunk, samples: iwaeBlockSize(k, iwaeRowsFor(&m.Config))}, progress)
}

// iwaeBlockSize is how many of an image's k samples one call decodes, when at most rows
// fit: all k, or k cut into the fewest blocks of at most rows, all of one size (the
// last padded by less than one sample per block). Blocks of rows would pad the last to
// rows as well: k = 5000 in blocks of 4096 decodes 8,192 rows, in blocks of 2,500 5,000.
func iwaeBlockSize(k, rows int) int {
	if k <= rows {
		return k
	}
	blocks := (k + rows - 1) / rows
	return (k + blocks - 1) / blocks
}

// iwaeJob is how an IWAE bound is cut into graph calls.
type iwaeJob struct {
	k       int    // Samples per image.
	seed    uint64 // With the image's index, seeds its draws.
	images  int    // Images per call, when an image's k samples fit one call.
	samples int    // Samples per call: k, or fewer for blocks of one image's samples.
}

// iwaeBoundsIn is iwaeBounds cut as job says.
func (m *Model) iwaeBoundsIn(set *data.Set, job iwaeJob, progress func(done, total int)) ([]float64, error) {
	if job.k < 1 {
		return nil, fmt.Errorf("vaekit: IWAE: k=%d samples, expected >= 1", job.k)
	}
	if err := m.checkSet(set, "IWAE set"); err != nil {
		return nil, err
	}
	labels, err := m.labelsOf(set, "IWAE images")
	if err != nil {
		return nil, err
	}
	images := imageRows(m.evalImages(set))
	bounds := make([]float64, len(images)) // The bound on log p(x) of each image.
	var batch func(start int) (int, error)
	chunk := 1
	if job.samples >= job.k {
		// One executor for every k and batch size (it compiles a graph per input shape),
		// kept with the model: held-out IWAE during training (eval_iwae) reuses it.
		exec, err := m.executor(&m.iwaeExec, func(scope *model.Scope, inputs []*Node) []*Node {
			workarounds.BeginGraph(scope, inputs[0].Graph())
			x, eps := inputs[0], inputs[len(inputs)-1]
			bound, _, _ := m.importanceWeighted(scope, x, m.labelsInput(inputs), eps, false)
			return []*Node{bound}
		})
		if err != nil {
			return nil, err
		}
		chunk = min(max(job.images, 1), len(images))
		batch = func(start int) (int, error) {
			return m.iwaeBatch(exec, images, labels, start, chunk, job.k, job.seed, bounds)
		}
	} else {
		exec, err := m.executor(&m.weightsExec, func(scope *model.Scope, inputs []*Node) []*Node {
			workarounds.BeginGraph(scope, inputs[0].Graph())
			x, eps := inputs[0], inputs[len(inputs)-1]
			logWeights, _, _ := m.logImportanceWeights(scope, x, m.labelsInput(inputs), eps, false)
			return []*Node{logWeights}
		})
		if err != nil {
			return nil, err
		}
		batch = func(start int) (int, error) { return m.iwaeBlocks(exec, images, labels, start, job, bounds) }
	}
	return bounds, runIWAEBatches(len(images), chunk, batch, progress)
}

// runIWAEBatches runs batch on the batches of chunk of n images, iwaeWorkers at a time,
// and reports progress after each.
func runIWAEBatches(n, chunk int, batch func(start int) (int, error), progress func(done, total int)) error {
	// The first batch runs alone: it compiles the graph (and initialises a new model's
	// variables), which concurrent first calls would race to do.
	done, err := batch(0)
	if err != nil {
		return err
	}
	if progress != nil {
		progress(done, n)
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
				if start >= n || failed {
					return
				}
				did, batchErr := batch(start)
				mu.Lock()
				if batchErr != nil {
					err = cmp.Or(err, batchErr)
				} else if done += did; progress != nil {
					progress(done, n)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return err
}

// iwaeBlocks computes the bound of image i into bounds[i] from its k samples in blocks
// of job.samples (the last one padded, so that one compiled graph serves every block),
// drawn in the order one call of all k would draw them: the bound is the one iwaeBatch
// gives, up to rounding (the log-mean-exp is taken here, in float64, by gonum).
func (m *Model) iwaeBlocks(exec *model.Exec, images [][]float32, labels []int32, i int, job iwaeJob, bounds []float64) (int, error) {
	latent := m.Config.LatentDim
	draws := rand.New(rand.NewPCG(job.seed, uint64(i)))
	eps := make([]float32, job.samples*latent)
	logWeights := make([]float64, 0, job.k)
	for first := 0; first < job.k; first += job.samples {
		n := min(job.samples, job.k-first)
		clear(eps)
		for j := range eps[:n*latent] {
			eps[j] = float32(draws.NormFloat64())
		}
		args := []any{tensors.FromFlatDataAndDimensions(slices.Clone(images[i]), 1, m.Pixels())}
		if labels != nil {
			args = append(args, tensors.FromFlatDataAndDimensions([]int32{labels[i]}, 1))
		}
		args = append(args, tensors.FromFlatDataAndDimensions(eps, 1, job.samples, latent))
		outs, err := exec.Call(args...)
		if err != nil {
			return 0, fmt.Errorf("vaekit: running the IWAE bound on image %d, samples %d..%d: %w", i, first, first+n-1, err)
		}
		values, err := tensors.CopyFlatData[float32](outs[0])
		_ = outs[0].FinalizeAll()
		if err != nil {
			return 0, err
		}
		for _, w := range values[:n] {
			logWeights = append(logWeights, float64(w))
		}
	}
	bounds[i] = floats.LogSumExp(logWeights) - math.Log(float64(job.k))
	return 1, nil
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
