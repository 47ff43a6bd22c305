package vaekit

import (
	"fmt"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/vaekit/vaekit/internal/ckptfile"
	"github.com/vaekit/vaekit/internal/workarounds"
	"github.com/vaekit/vaekit/vaekit/data"
)

// Model is a VAE (or plain autoencoder) with its Config, weights and training history.
// Every method that takes or returns images uses a *data.Set (pixels in [0,1] with their
// size); latent codes are [][]float32, one row of LatentDim values per image.
type Model struct {
	Config  Config
	History []Record // One record per held-out evaluation during training, in step order.

	// TrainingFormat is the TrainingFormat of the code that trained the model: today's for
	// a new model, the saved one for a loaded model (0: saved before vaekit recorded it).
	TrainingFormat int

	// Frames are the reconstructions of the first held-out images at each evaluation, when
	// training kept them (TrainOptions.Frames): how the model's pictures changed as it
	// trained, saved with it.
	Frames []Frame

	backend compute.Backend
	store   *model.Store
	trainer *train.Trainer

	mu          sync.Mutex // Guards the lazily built inference executors below.
	encodeExec  *model.Exec
	decodeExec  *model.Exec
	iwaeExec    *model.Exec // Inputs: images, labels (conditional), draws [batch, k, latent].
	weightsExec *model.Exec // The same inputs; outputs each sample's log importance weight.

	saver           *ckptfile.Saver // Lazily created on the first Save.
	keepCheckpoints int             // How many checkpoints Save keeps in a directory.
}

// NewModel validates cfg and creates an untrained model: its weights are initialised,
// from cfg.Seed, when first used.
func NewModel(cfg Config) (*Model, error) {
	cfg = cfg.Clone()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	backend, err := Backend()
	if err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, TrainingFormat: TrainingFormat, backend: backend, store: model.NewStore()}
	if err := m.store.SetRNGStateFromSeed(int64(cfg.Seed)); err != nil {
		return nil, fmt.Errorf("vaekit: seeding the model's RNG: %w", err)
	}
	m.store.SetParam(paramConvAlgorithm, cfg.ConvAlgorithm)
	m.keepCheckpoints = 3
	return m, nil
}

// newOptimizer returns the optimizer the Config names, with its learning rate.
func (m *Model) newOptimizer() optimizer.Interface {
	cfg := &m.Config
	switch cfg.Optimizer {
	case "adam":
		return optimizer.Adam().LearningRate(cfg.LearningRate).Epsilon(cfg.AdamEpsilon).Done()
	case "rmsprop_tf1":
		return rmsPropTF1(cfg.LearningRate)
	case "rmsprop_keras":
		return rmsPropKeras(cfg.LearningRate)
	case "rmsprop":
		// GoMLX's: Adam's bias-corrected second moment without the first; its decay at
		// TensorFlow's and Keras's 0.9 (Adam's default is 0.999).
		return optimizer.RMSProp().LearningRate(cfg.LearningRate).Betas(0.9, 0.9).Done()
	}
	panic(fmt.Sprintf("vaekit: optimizer=%q passed validation; expected one of %v", cfg.Optimizer, knownOptimizers))
}

// Shape is the shape of the model's images.
func (m *Model) Shape() data.Shape {
	return m.Config.Shape()
}

// Pixels is the number of values per image: height x width x channels.
func (m *Model) Pixels() int { return m.Shape().Size() }

// Reparameterize draws z ~ N(mean, diag(exp(logVar))) as z = mean + sigma * eps with
// eps ~ N(0, I) (Kingma & Welling 2014, section 2.4), so gradients flow to mean and logVar.
func Reparameterize(scope *model.Scope, mean, logVar *Node) *Node {
	eps := scope.RandomNormal(mean.Graph(), mean.Shape())
	sigma := Exp(MulScalar(logVar, 0.5))
	return Add(mean, Mul(sigma, eps))
}

// forwardPass is one batch through the model: the posterior q(z|x), the z decoded, and
// the terms scored.
type forwardPass struct {
	mean, logVar, z *Node // [batch, latent]; logVar nil for the plain autoencoder, whose z is its mean.

	// Per example: the reconstruction term the Config trains on and -log p(x|z) in nats
	// [batch]; the KL of each latent dimension, KL(q(z_j|x) || p(z_j)) [batch, latent]
	// (zeros for the plain autoencoder).
	reconObjective, reconNLL, klPerDim *Node
}

// forward is the model of Kingma & Welling (2014), one batch at a time: encode x, draw z
// with the reparameterisation trick, decode, and score.
//
// labels [batch] are the class labels of a conditional model, nil otherwise.
func (m *Model) forward(scope *model.Scope, x, labels *Node) forwardPass {
	cfg := &m.Config
	var f forwardPass
	f.mean, f.logVar = Encoder(scope, cfg, x, labels)
	f.z = f.mean
	if f.logVar != nil {
		f.z = Reparameterize(scope, f.mean, f.logVar)
		f.klPerDim = klPerDimension(f.mean, f.logVar)
	} else {
		f.klPerDim = ZerosLike(f.mean) // Plain autoencoder: no prior, no KL.
	}
	logits := Decoder(scope, cfg, f.z, labels)
	f.reconObjective, f.reconNLL = ReconstructionTerms(cfg.Reconstruction, x, logits)
	return f
}

// objective is the training loss of a batch: mean reconstruction term + beta_t * KL term,
// with beta_t the KL weight after warm-up (klWarmupFactor) and the KL term floored by free
// bits (KLObjective).
func (m *Model) objective(scope *model.Scope, reconObjective, klPerDim *Node) *Node {
	cfg := &m.Config
	loss := ReduceAllMean(reconObjective)
	if !cfg.HasKL() {
		return loss
	}
	g := reconObjective.Graph()
	steps := optimizer.GetGlobalStepVar(scope).ValueGraph(g) // Steps completed before this one.
	if workarounds.IsTraining(g) {
		steps = OnePlus(steps)
	}
	beta := MulScalar(klWarmupFactorGraph(steps, cfg.KLWarmupSteps, loss), cfg.KLWeight)
	return Add(loss, Mul(beta, KLObjective(klPerDim, cfg.KLReduction, cfg.FreeBits)))
}

// tcvaeObjective is the beta-TCVAE's loss of a batch: the mean over the batch of the
// reconstruction term + tc_alpha * MI + tc_beta * TC + tc_gamma * dimKL, with z the
// sample the decoder was given.
func (m *Model) tcvaeObjective(f forwardPass) *Node {
	cfg := &m.Config
	if err := cfg.datasetSizeProblem(); err != nil {
		exceptions.Panicf("%v", err)
	}
	mi, tc, dimKL := tcDecomposition(f.mean, f.logVar, f.z, cfg.DatasetSize, cfg.TCEstimator)
	kl := Add(Add(MulScalar(mi, cfg.TCAlpha), MulScalar(tc, cfg.TCBeta)), MulScalar(dimKL, cfg.TCGamma))
	return ReduceAllMean(Add(f.reconObjective, kl))
}

// importanceWeighted is the k-sample bound of Burda et al. (2016), eq. 8, per image [batch],
//
//	log 1/k sum_i p(x|z_i) p(z_i) / q(z_i|x),  z_i = mean + sigma * eps_i ~ q(z|x),
//
// for standard-normal draws eps [batch, k, latent], with the encoder run once and the
// decoder on all k samples at once. Also returned, for the training curves: the mean over
// the samples of -log p(x|z_i) [batch], and the closed-form KL of each dimension [batch,
// latent]. forTraining keeps the gradient of -log p(x|z) cheap (BernoulliNLL);
// evaluation takes the shortest way to its value (samplesNLL).
func (m *Model) importanceWeighted(scope *model.Scope, x, labels, eps *Node, forTraining bool) (bound, nll, klPerDim *Node) {
	logWeights, nll, klPerDim := m.logImportanceWeights(scope, x, labels, eps, forTraining)
	return LogMeanExp(logWeights, -1), nll, klPerDim
}

// logImportanceWeights is importanceWeighted before the log-mean-exp: log p(x, z_i) -
// log q(z_i|x) of each sample [batch, k], so that the samples of one image can be
// spread over several calls (iwaeBlocks).
func (m *Model) logImportanceWeights(scope *model.Scope, x, labels, eps *Node, forTraining bool) (logWeights, nll, klPerDim *Node) {
	batch, k, latent := x.Shape().Dimensions[0], eps.Shape().Dimensions[1], m.Config.LatentDim
	mean, logVar := Encoder(scope, &m.Config, x, labels)
	sigma := Exp(MulScalar(logVar, 0.5))
	z := Add(InsertAxes(mean, 1), Mul(InsertAxes(sigma, 1), eps)) // [batch, k, latent]

	var repeatedLabels *Node
	if labels != nil {
		repeatedLabels = Reshape(BroadcastToDims(InsertAxes(labels, 1), batch, k), batch*k)
	}
	logits := Decoder(scope, &m.Config, Reshape(z, batch*k, latent), repeatedLabels)
	nllPerSample := m.samplesNLL(x, Reshape(logits, batch, k, m.Pixels()), forTraining) // [batch, k]

	// log p(z) - log q(z|x): the (2 pi) constants cancel; (z - mean)/sigma = eps.
	logPz := MulScalar(ReduceSum(Square(z), -1), -0.5)
	logQz := MulScalar(ReduceSum(Add(Square(eps), InsertAxes(logVar, 1)), -1), -0.5)
	logWeights = Add(Neg(nllPerSample), Sub(logPz, logQz)) // [batch, k]
	return logWeights, ReduceMean(nllPerSample, -1), klPerDimension(mean, logVar)
}

// samplesNLL is -log p(x|z_i) [batch, k] of each image x [batch, pixels] under its k
// decoded samples, logits [batch, k, pixels]. To evaluate a Bernoulli decoder it takes
// sum softplus(l) - x.l, with x.l one batched product against the image instead of the
// image repeated k times (the widest array of an IWAE-5000 evaluation).
func (m *Model) samplesNLL(x, logits *Node, forTraining bool) *Node {
	batch, k, pixels := logits.Shape().Dimensions[0], logits.Shape().Dimensions[1], m.Pixels()
	bernoulli := m.Config.Reconstruction == "bernoulli" || m.Config.Reconstruction == "bernoulli_mean"
	if bernoulli && !forTraining {
		sumSoftplus := Add(ReduceSum(Max(logits, ZerosLike(logits)), -1), workarounds.SumLog1pExpNegAbs(logits))
		return Sub(sumSoftplus, Einsum("bkp,bp->bk", logits, x))
	}
	repeated := Reshape(BroadcastToDims(InsertAxes(x, 1), batch, k, pixels), batch*k, pixels)
	_, nll := ReconstructionTerms(m.Config.Reconstruction, repeated, Reshape(logits, batch*k, pixels))
	return Reshape(nll, batch, k)
}

// modelFn is the train.ModelFn. Inputs: the images, and for a conditional model their
// labels. Predictions: -log p(x|z) per example [batch], the KL per example and dimension
// [batch, latent], and the batch's training loss (a scalar).
func (m *Model) modelFn(scope *model.Scope, _ any, inputs []*Node) []*Node {
	x, labels := inputs[0], m.labelsInput(inputs)
	workarounds.BeginGraph(scope, x.Graph())
	x = workarounds.PixelsFromBytes(x) // Training images are on the device as bytes.
	if m.Config.Binarize == "dynamic" && workarounds.IsTraining(x.Graph()) {
		// A fresh Bernoulli sample of every pixel at every step (dynamic binarisation).
		u := scope.RandomUniform(x.Graph(), x.Shape())
		x = ConvertDType(LessThan(u, x), dtypes.Float32)
	}
	if k := m.Config.IWAESamples; m.Config.Objective == "iwae" && k > 1 {
		// The importance-weighted bound itself (Burda et al. 2016); with k = 1 it is the
		// ELBO, trained below with the KL in closed form, as the VAE is.
		eps := scope.RandomNormal(x.Graph(), shapes.Make(x.DType(), x.Shape().Dimensions[0], k, m.Config.LatentDim))
		bound, reconNLL, klPerDim := m.importanceWeighted(scope, x, labels, eps, true)
		return []*Node{reconNLL, klPerDim, Neg(ReduceAllMean(bound))}
	}
	f := m.forward(scope, x, labels)
	if m.Config.Objective == "beta_tcvae" {
		// The curves keep the closed-form KL (klPerDim), as every objective's do.
		return []*Node{f.reconNLL, f.klPerDim, m.tcvaeObjective(f)}
	}
	return []*Node{f.reconNLL, f.klPerDim, m.objective(scope, f.reconObjective, f.klPerDim)}
}

// labelsInput returns the labels among a graph's inputs (images first, then labels) for a
// conditional model, nil otherwise.
func (m *Model) labelsInput(inputs []*Node) *Node {
	if !m.Config.Conditional() {
		return nil
	}
	if len(inputs) < 2 {
		panic(fmt.Sprintf("vaekit: condition=label but the graph got %d inputs, expected images and labels", len(inputs)))
	}
	return inputs[1]
}

// lossFn returns the loss modelFn computed (it needs the scope, for the warm-up's step).
func (m *Model) lossFn(_ []*Node, predictions []*Node) *Node {
	return predictions[2]
}

// GlobalStep is the number of training steps taken so far (restored with the model).
func (m *Model) GlobalStep() int { return int(optimizer.GetGlobalStep(m.store)) }

// TrainSeconds is the wall time the model's training took, evaluations included, summed
// over the runs that resumed it (the last record's WallSeconds; 0 for an untrained model
// or one saved before vaekit recorded it).
func (m *Model) TrainSeconds() float64 {
	if len(m.History) == 0 {
		return 0
	}
	return m.History[len(m.History)-1].WallSeconds
}
