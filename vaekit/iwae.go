package vaekit

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/model"

	"github.com/vaekit/vaekit/vaekit/data"
)

// iwaeRows bounds the decoder rows (images x samples) of one IWAE batch, to bound memory.
const iwaeRows = 4096

// iwae estimates the negative log-likelihood -log p(x), in nats per image, with the
// importance-weighted bound of Burda, Grosse & Salakhutdinov (2016), eq. 8:
//
//	log p(x) >= E[ log 1/k sum_i p(x, z_i) / q(z_i|x) ],  z_i ~ q(z|x),
//
// with k samples per image. k = 1 is the ELBO; the bound tightens as k grows, so the
// returned NLL estimate falls towards -log p(x) (the papers report k = 5000; k = 100 is
// within a fraction of a nat for MNIST-sized models).
func (m *Model) iwae(set *data.Set, k int) (float64, error) {
	if k < 1 {
		return 0, fmt.Errorf("vaekit: IWAE: k=%d samples, expected >= 1", k)
	}
	if err := m.checkSet(set, "IWAE set"); err != nil {
		return 0, err
	}
	exec, err := model.NewExec(m.backend, m.store, func(scope *model.Scope, inputs []*Node) []*Node {
		beginGraph(scope, inputs[0].Graph())
		return []*Node{m.logLikelihoodBound(scope, inputs[0], m.labelsInput(inputs), k)}
	})
	if err != nil {
		return 0, fmt.Errorf("vaekit: building the IWAE graph: %w", err)
	}
	defer exec.Finalize()
	labels, err := m.labelsOf(set, "IWAE images")
	if err != nil {
		return 0, err
	}
	images := imageRows(m.evalImages(set))
	outs, err := m.runInChunks(exec, images, m.Pixels(), labels, max(1, iwaeRows/k), "IWAE images")
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, row := range outs[0] {
		sum -= float64(row[0])
	}
	nll := sum / float64(len(images))
	if math.IsNaN(nll) || math.IsInf(nll, 0) {
		return 0, fmt.Errorf("vaekit: IWAE: the estimate is %v: %w", nll, ErrNotFinite)
	}
	return nll, nil
}

// logLikelihoodBound is the k-sample importance-weighted bound on log p(x) per image (for a
// conditional model, on log p(x|y)): x [batch, pixels], labels [batch] or nil -> [batch, 1].
func (m *Model) logLikelihoodBound(scope *model.Scope, x, labels *Node, k int) *Node {
	bound, _, _ := m.importanceWeighted(scope, x, labels, k)
	return InsertAxes(bound, -1)
}

// importanceWeighted is the k-sample bound of Burda et al. (2016), eq. 8, per image [batch],
//
//	log 1/k sum_i p(x|z_i) p(z_i) / q(z_i|x),  z_i ~ q(z|x),
//
// with the encoder run once and the decoder on all k samples at once; also the mean over
// the samples of -log p(x|z_i) [batch] and the closed-form KL of each dimension [batch,
// latent], the ELBO's terms for the training curves.
func (m *Model) importanceWeighted(scope *model.Scope, x, labels *Node, k int) (bound, nll, klPerDim *Node) {
	batch, latent := x.Shape().Dimensions[0], m.Config.LatentDim
	mean, logVar := Encoder(scope, &m.Config, x, labels)
	eps := scope.RandomNormal(x.Graph(), shapes.Make(mean.DType(), batch, k, latent))
	sigma := Exp(MulScalar(logVar, 0.5))
	z := Add(InsertAxes(mean, 1), Mul(InsertAxes(sigma, 1), eps)) // [batch, k, latent]

	var repeatedLabels *Node
	if labels != nil {
		repeatedLabels = Reshape(BroadcastToDims(InsertAxes(labels, 1), batch, k), batch*k)
	}
	logits := Decoder(scope, &m.Config, Reshape(z, batch*k, latent), repeatedLabels)
	repeated := Reshape(BroadcastToDims(InsertAxes(x, 1), batch, k, m.Pixels()), batch*k, m.Pixels())
	_, nllPerSample := ReconstructionTerms(m.Config.Reconstruction, repeated, logits)
	nllPerSample = Reshape(nllPerSample, batch, k)

	// log p(z) - log q(z|x): the (2 pi) constants cancel; (z - mean)/sigma = eps.
	logPz := MulScalar(ReduceSum(Square(z), -1), -0.5)
	logQz := MulScalar(ReduceSum(Add(Square(eps), InsertAxes(logVar, 1)), -1), -0.5)
	logWeights := Add(Neg(nllPerSample), Sub(logPz, logQz)) // [batch, k]
	return LogMeanExp(logWeights, -1), ReduceMean(nllPerSample, -1), klPerDimension(mean, logVar)
}

// LogMeanExp is log(mean(exp(x))) over axis, computed stably as
// max + log(mean(exp(x - max))): importance weights of MNIST images are around e^-100,
// which exp alone turns into 0.
func LogMeanExp(x *Node, axis int) *Node {
	maxX := StopGradient(ReduceAndKeep(x, ReduceMax, axis))
	n := float64(x.Shape().Dimensions[MustAdjustAxis(axis, x)])
	sum := ReduceSum(Exp(Sub(x, maxX)), axis)
	return Add(Squeeze(maxX, axis), Log(DivScalar(sum, n)))
}
