package vaekit

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Model is a VAE (or plain autoencoder) with its Config, weights and training history.
// Every method that takes or returns images uses flat float32 pixel slices in [0,1],
// one slice of Height*Width values per image; latent codes are slices of LatentDim values.
type Model struct {
	Config  Config
	History []Record // One record per held-out evaluation during training, in step order.

	Height, Width int // Image size the model was built for.

	backend compute.Backend
	store   *model.Store
	trainer *train.Trainer

	mu         sync.Mutex // Guards the lazily built inference executors below.
	encodeExec *model.Exec
	decodeExec *model.Exec

	sampleRNG       *rand.Rand   // Host RNG for prior samples: seeded, reproducible.
	saver           *atomicSaver // Lazily created on the first Save.
	keepCheckpoints int          // How many checkpoints Save keeps in a directory.
}

// Terms are per-image averages, in nats, of the quantities a VAE trades off.
type Terms struct {
	Loss           float64 `json:"loss"`           // The training objective as configured (reconstruction term + beta * KL term).
	Reconstruction float64 `json:"reconstruction"` // -E_q[log p(x|z)].
	KL             float64 `json:"kl"`             // KL(q(z|x) || p(z)).
	NegELBO        float64 `json:"neg_elbo"`       // Reconstruction + KL: the negative ELBO, an upper bound on -log p(x).
}

// Record is one point of a training curve.
type Record struct {
	Step  int   `json:"step"`
	Train Terms `json:"train"` // Evaluated on a fixed subset of the training set.

	// StepLoss is the training objective averaged over the steps since the previous record,
	// each on its own batch with the weights of that moment (dropout and binarisation
	// included): the per-epoch loss tutorials print, when a record is one epoch.
	StepLoss float64 `json:"step_loss"`
	HeldOut  Terms   `json:"held_out"` // Evaluated on the held-out (test) set.

	// Code diagnostics on the held-out set: the posterior standard deviation averaged
	// over images and dimensions (0 for an autoencoder), and the active units.
	PosteriorStd float64 `json:"posterior_std"`
	ActiveUnits  int     `json:"active_units"`
}

// imageSize returns the image size of a supported data set.
func imageSize(dataset string) (height, width int) {
	return 28, 28 // MNIST and Fashion-MNIST.
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
	m := &Model{Config: cfg, backend: backend, store: model.NewStore()}
	m.Height, m.Width = imageSize(cfg.Dataset)
	if err := m.store.SetRNGStateFromSeed(cfg.Seed); err != nil {
		return nil, fmt.Errorf("vaekit: seeding the model's RNG: %w", err)
	}
	m.sampleRNG = rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed))
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
	panic(fmt.Sprintf("vaekit: optimizer=%q passed validation; expected one of %v", cfg.Optimizer, KnownOptimizers))
}

// Pixels is the number of values per image.
func (m *Model) Pixels() int { return m.Height * m.Width }

// forward is the model of Kingma & Welling (2014), one batch at a time: encode x, draw z
// with the reparameterisation trick, decode, and score. It returns, per example, the
// reconstruction term the Config trains on, -log p(x|z) in nats, and the KL of each latent
// dimension, KL(q(z_j|x) || p(z_j)), [batch, latent] (zeros for the plain autoencoder).
func (m *Model) forward(scope *model.Scope, x *Node) (reconObjective, reconNLL, klPerDim *Node) {
	cfg := &m.Config
	mean, logVar := Encoder(scope, cfg, x, m.Height, m.Width)
	z := mean
	if logVar != nil {
		z = Reparameterize(scope, mean, logVar)
		klPerDim = KLPerDimension(mean, logVar)
	} else {
		klPerDim = ZerosLike(mean) // Plain autoencoder: no prior, no KL.
	}
	logits := Decoder(scope, cfg, z, m.Height, m.Width)
	reconObjective, reconNLL = ReconstructionTerms(cfg.Reconstruction, x, logits)
	return reconObjective, reconNLL, klPerDim
}

// objective is the training loss of a batch: mean reconstruction term + beta_t * KL term,
// with beta_t the KL weight after warm-up (KLWarmupFactor) and the KL term floored by free
// bits (KLObjective).
func (m *Model) objective(scope *model.Scope, reconObjective, klPerDim *Node) *Node {
	cfg := &m.Config
	loss := ReduceAllMean(reconObjective)
	if cfg.Model == "ae" || cfg.KLWeight == 0 {
		return loss
	}
	g := reconObjective.Graph()
	steps := optimizer.GetGlobalStepVar(scope).ValueGraph(g) // Steps completed before this one.
	if isTraining(g) {
		steps = OnePlus(steps)
	}
	beta := MulScalar(klWarmupFactorGraph(steps, cfg.KLWarmupSteps, loss), cfg.KLWeight)
	return Add(loss, Mul(beta, KLObjective(klPerDim, cfg.KLReduction, cfg.FreeBits)))
}

// graphParamTraining holds, for each graph vaekit builds, whether it trains the model.
const graphParamTraining = "/vaekit_training"

// beginGraph must open every graph vaekit builds. GoMLX embeds the current values of
// variables as constants in graphs built outside training on backends that prefer it
// (the Go backend: Capabilities.PreferConstantsForVariables). vaekit reuses its
// evaluation and inference executors between training steps, so such a graph would keep
// scoring the weights it was compiled with, and its metric accumulators would never
// accumulate. So every graph tells GoMLX it is "training" (variables stay parameters),
// and the model's own mode is kept in a graph parameter read by isTraining.
func beginGraph(scope *model.Scope, g *Graph) {
	model.SetGraphParam(g, graphParamTraining, scope.IsTraining(g))
	scope.Store().SetTraining(g, true)
}

// isTraining reports whether g trains the model (see beginGraph).
func isTraining(g *Graph) bool {
	v, _ := model.GetGraphParam(g, graphParamTraining)
	training, _ := v.(bool)
	return training
}

// modelFn is the train.ModelFn. Predictions: -log p(x|z) per example [batch], the KL per
// example and dimension [batch, latent], and the batch's training loss (a scalar).
func (m *Model) modelFn(scope *model.Scope, _ any, inputs []*Node) []*Node {
	x := inputs[0]
	beginGraph(scope, x.Graph())
	x = PixelsFromBytes(x)
	if m.Config.Binarize == "dynamic" && isTraining(x.Graph()) {
		// A fresh Bernoulli sample of every pixel at every step (dynamic binarisation).
		u := scope.RandomUniform(x.Graph(), x.Shape())
		x = ConvertDType(LessThan(u, x), dtypes.Float32)
	}
	reconObjective, reconNLL, klPerDim := m.forward(scope, x)
	return []*Node{reconNLL, klPerDim, m.objective(scope, reconObjective, klPerDim)}
}

// lossFn returns the loss modelFn computed (it needs the scope, for the warm-up's step).
func (m *Model) lossFn(_ []*Node, predictions []*Node) *Node {
	return predictions[2]
}

// getTrainer wires the model into GoMLX's trainer, with the ELBO's terms as metrics.
// It is created on first use: after a checkpoint is loaded, so that the learning rate
// comes from the Config (the trainer resets it) and not from the checkpoint.
func (m *Model) getTrainer() *train.Trainer {
	if m.trainer != nil {
		return m.trainer
	}
	term := func(fn func(recon, kl *Node) *Node) metric.BaseMetricGraph {
		return func(_ *model.Scope, _, predictions []*Node) *Node {
			return ReduceAllMean(fn(predictions[0], ReduceSum(predictions[1], -1)))
		}
	}
	reconFn := term(func(recon, _ *Node) *Node { return recon })
	klFn := term(func(_, kl *Node) *Node { return kl })
	negELBOFn := term(func(recon, kl *Node) *Node { return Add(recon, kl) })
	trainMetrics := []metric.Interface{
		metric.NewExponentialMovingAverageMetric("Moving Average Reconstruction", "~recon", metric.LossMetricType, reconFn, nil, 0.01),
		metric.NewExponentialMovingAverageMetric("Moving Average KL", "~kl", metric.LossMetricType, klFn, nil, 0.01),
	}
	evalMetrics := []metric.Interface{
		metric.NewMeanMetric("Reconstruction", "#recon", metric.LossMetricType, reconFn, nil),
		metric.NewMeanMetric("KL", "#kl", metric.LossMetricType, klFn, nil),
		metric.NewMeanMetric("Negative ELBO", "#neg_elbo", metric.LossMetricType, negELBOFn, nil),
	}
	m.trainer = train.NewTrainer(m.backend, m.store, m.modelFn, m.lossFn,
		flushSubnormals{m.newOptimizer()}, trainMetrics, evalMetrics)
	return m.trainer
}

// GlobalStep is the number of training steps taken so far (restored with the model).
func (m *Model) GlobalStep() int { return int(optimizer.GetGlobalStep(m.store)) }

// NumParameters counts the model's trainable weights.
func (m *Model) NumParameters() int {
	n := 0
	for v := range m.store.IterVariables() {
		if v.Trainable {
			n += v.Shape().Size()
		}
	}
	return n
}

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
