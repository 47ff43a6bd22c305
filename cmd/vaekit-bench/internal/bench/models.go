// Package bench measures vaekit's training speed and memory, side by side with a PyTorch
// peer (torch_peer.py, embedded) training the same models on the same MNIST data.
//
// Each (model, framework) run is a separate child process, so that peak memory (the
// process's VmHWM) is that model's alone; rounds interleave vaekit and PyTorch so that
// a noisy, shared machine slows both alike, and the report gives medians and ratios.
// The command is cmd/vaekit-bench (scripts/bench.sh runs it).
package bench

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/vaekit/vaekit/vaekit"
)

// Model is one benchmarked network and batch size. The same name selects the Go model
// here and the PyTorch model in torch_peer.py.
type Model struct {
	Name        string
	Description string
	// Kind is how vaekit trains it: "mlp", vaekit's own Model.Fit; "convbench", the
	// issue's conv VAE; "tutorial", architecture=conv through Model.Fit;
	// "pytorch-examples", vaekit.DefaultConfig() through Model.Fit, unchanged; "burda",
	// notebook 05's Config (BurdaConfig) through Model.Fit.
	Kind   string
	Hidden int // mlp: hidden width.
	Latent int
	Batch  int
	// DefaultSteps is the measured length of a full run (warm-up included): at least
	// ~1,000 steps, long enough to show a late (denormal) slowdown, and at least an epoch.
	DefaultSteps int
	// Epochs, when set, is the full run's budget in epochs (a quality budget, not a
	// timing one): vaekit runs DefaultSteps (its epochs drop the last, incomplete batch)
	// and the PyTorch peer this many epochs of its own loader (with that batch, as
	// torch's DataLoader does by default). The report gives such models a parity line.
	Epochs int
	// Split is how many independent parts the training graph splits each batch into
	// (models trained without Model.Fit; 0 or 1: none). The go backend runs independent
	// ops concurrently while most ops use one core: for the conv network, two halves of
	// the batch keep both cores busy (+15-30% images/s); for the MLPs it costs ~10%.
	Split int
	// IWAESamples is k of a "burda" model's training objective: 1, the ELBO (the VAE); more,
	// the importance-weighted bound (the IWAE).
	IWAESamples int
	// Window, when set, is the steps between time stamps of a full run (one that takes the
	// model's own budget; -steps and -quick keep Options.Window): the batch-20 models take
	// 200, 4,000 images, so that the evaluation that marks the time (vaekit) stays a small
	// share of a window, as it is for the others' 50 steps of 64-128 images.
	Window int
	// Likelihood: after training, both frameworks estimate -log p(x) by the IWAE bound
	// (Options.NLLK samples) on the first Options.NLLImages binarised test images, one
	// value per image, and count the active units; the report gives a likelihood parity
	// line instead of the -ELBO one.
	Likelihood bool
	// OnRequest models run only when -models names them (a long parity run), not in the
	// default "all models".
	OnRequest bool
}

// Models lists every benchmarked model, in report order.
var Models = []Model{
	{Name: "mlp-512-2-b64", Description: "MLP VAE 784-512-2, batch 64", Kind: "mlp", Hidden: 512, Latent: 2, Batch: 64, DefaultSteps: 1000},
	{Name: "mlp-512-2-b128", Description: "MLP VAE 784-512-2, batch 128", Kind: "mlp", Hidden: 512, Latent: 2, Batch: 128, DefaultSteps: 1000},
	{Name: "mlp-400-20-b128", Description: "MLP VAE 784-400-20, batch 128", Kind: "mlp", Hidden: 400, Latent: 20, Batch: 128, DefaultSteps: 1000},
	{Name: "conv-b64", Description: "conv VAE (3x3 s2 convs 32/64, dense 16, latent 8; upsample + 3x3 convs 64/32/1), batch 64", Kind: "convbench", Latent: 8, Batch: 64, DefaultSteps: 1000, Split: 2},
	{Name: "tutorial-conv-b64", Description: "architecture=conv (TensorFlow tutorial: 4x4 convs 64, strides 2,2,1; deconvs 2,1,1), latent 8, batch 64", Kind: "tutorial", Latent: 8, Batch: 64, DefaultSteps: 300},
	pytorchExamples(),
	burdaModel("burda-b20", 1, false),
	burdaModel("burda-iwae50-b20", 50, false),
	burdaModel("burda-vae", 1, true),
	burdaModel("burda-iwae5", 5, true),
}

// pytorchExamples is pytorch/examples' vae/main.py, which vaekit.DefaultConfig()
// reproduces: 784-400-20, ReLU, Bernoulli, PyTorch's initial weights, Adam 1e-3 (epsilon
// 1e-8), batch 128, 10 epochs. It trains the whole budget, for the held-out -ELBO parity
// with PyTorch's own run of the same model.
func pytorchExamples() Model {
	cfg := vaekit.DefaultConfig()
	return Model{
		Name:         "pytorch-examples",
		Description:  "pytorch/examples' VAE (vaekit.DefaultConfig(): 784-400-20, Bernoulli, Adam 1e-3, batch 128), 10 epochs",
		Kind:         "pytorch-examples",
		Hidden:       cfg.HiddenDims[0],
		Latent:       cfg.LatentDim,
		Batch:        cfg.BatchSize,
		DefaultSteps: cfg.StepsFor(mnistTrainSize),
		Epochs:       cfg.Epochs,
	}
}

// BurdaSettings is notebook 05's model (notebooks/05_likelihood.ipynb, its cfg.Set), Burda,
// Grosse & Salakhutdinov's (2016) MNIST model with one stochastic layer: 784-200-200-50,
// tanh, Bernoulli pixels, dynamic binarisation, Glorot-uniform weights and zero biases
// (initializer=keras), Adam with epsilon 1e-4 on batches of 20, their learning-rate
// schedule. bench_test.go checks it against the notebook.
const BurdaSettings = "hidden_dims=200,200;activation=tanh;latent_dim=50;reconstruction=bernoulli;binarize=dynamic;" +
	"initializer=keras;optimizer=adam;learning_rate=0.001;adam_epsilon=1e-4;lr_schedule=iwae;batch_size=20;" +
	"train_steps=0;epochs=30;eval_every=3000;eval_iwae=100"

// BurdaConfig is notebook 05's Config of the VAE (k = 1) or the IWAE with k samples (its
// variants()). The benchmark trains it with its own budget and evaluation settings
// (burdaRunConfig); everything that decides the trained model is this.
func BurdaConfig(k int) (vaekit.Config, error) {
	cfg := vaekit.DefaultConfig()
	if err := cfg.Set(BurdaSettings); err != nil {
		return cfg, err
	}
	if k > 1 {
		cfg.Objective, cfg.IWAESamples = "iwae", k
	}
	return cfg, cfg.Validate()
}

// BurdaEpochs is the parity models' budget: 10 epochs (30,000 steps of 20 images), the
// first 3 stages of the learning-rate schedule (1 epoch at 1e-3, 3 at 1e-3*10^(-1/7), the
// next 6 of 9 at 1e-3*10^(-2/7)).
const BurdaEpochs = 10

// burdaModel is notebook 05's network with objective k: a parity model (10 epochs, scored
// by the likelihood) or a speed model (images/s, an epoch of steps for k = 1, 1,000 steps
// for k = 50, whose steps cost ~20 times more).
func burdaModel(name string, k int, parity bool) Model {
	cfg, err := BurdaConfig(k)
	if err != nil {
		panic(err) // A constant's error: bench_test.go fails first.
	}
	what := "VAE"
	if k > 1 {
		what = fmt.Sprintf("IWAE k=%d", k)
	}
	m := Model{
		Name: name, Kind: "burda", Hidden: cfg.HiddenDims[0], Latent: cfg.LatentDim, Batch: cfg.BatchSize,
		IWAESamples: k, Window: 200,
	}
	if parity {
		m.Description = fmt.Sprintf("notebook 05's %s (Burda et al. 2016: 784-200-200-50 tanh, Bernoulli, dynamic binarisation, Adam eps 1e-4, batch 20, their lr schedule), %d epochs, IWAE NLL", what, BurdaEpochs)
		m.Epochs, m.DefaultSteps, m.Likelihood, m.OnRequest = BurdaEpochs, BurdaEpochs*cfg.StepsPerEpoch(mnistTrainSize), true, true
	} else {
		m.Description = fmt.Sprintf("notebook 05's %s (784-200-200-50 tanh, dynamic binarisation), batch 20", what)
		m.DefaultSteps = cfg.StepsPerEpoch(mnistTrainSize)
		if k > 1 {
			m.DefaultSteps = 1000
		}
	}
	return m
}

// ModelNames lists the names of Models.
func ModelNames() []string { return names(Models) }

// DefaultModelNames lists the models a run without -models runs: all but the OnRequest ones.
func DefaultModelNames() []string {
	var out []string
	for _, m := range Models {
		if !m.OnRequest {
			out = append(out, m.Name)
		}
	}
	return out
}

func names(models []Model) []string {
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name
	}
	return names
}

// FindModel returns the model with the given name.
func FindModel(name string) (Model, error) {
	i := slices.IndexFunc(Models, func(m Model) bool { return m.Name == name })
	if i < 0 {
		return Model{}, fmt.Errorf("bench: unknown model %q (known: %s)", name, strings.Join(ModelNames(), ", "))
	}
	return Models[i], nil
}

// Result is what one child process reports: one model, one framework, one round.
type Result struct {
	Model     string `json:"model"`
	Framework string `json:"framework"` // "vaekit" or "pytorch".
	Batch     int    `json:"batch"`
	Steps     int    `json:"steps"`  // Training steps run, warm-up included.
	Warmup    int    `json:"warmup"` // Steps excluded from the steady-state rate (compile, first steps).

	ImagesPerSec  float64   `json:"images_per_s"` // Steady state: after warm-up to the end.
	WindowRates   []float64 `json:"window_rates"` // Images/s per window of Window steps, after warm-up.
	Window        int       `json:"window"`
	FirstStepSec  float64   `json:"first_step_s"` // Start of training to the end of the first step (compile included).
	EpochSec      float64   `json:"epoch_s"`      // Start of training to the end of the first full epoch (compile included); estimated when the run is shorter.
	EpochMeasured bool      `json:"epoch_measured"`
	PeakRSSMB     float64   `json:"peak_rss_mb"` // The child process's VmHWM.
	// CPUPerImageMS is the process's CPU time (user + system, all threads) per image
	// after warm-up, in milliseconds: less sensitive than images/s to other processes
	// on a shared machine (but OpenMP's spin-waiting counts in PyTorch's).
	CPUPerImageMS float64 `json:"cpu_per_image_ms"`
	FinalLoss     float64 `json:"final_loss"`
	Params        int     `json:"params"`
	// HeldOut scores the MNIST test images after training (nil: not scored).
	HeldOut *HeldOut `json:"held_out,omitempty"`
	// Likelihood is the IWAE estimate of -log p(x) after training (Model.Likelihood; nil:
	// not scored).
	Likelihood    *Likelihood `json:"likelihood,omitempty"`
	Seed          int64       `json:"seed"`              // Seeds initialisation, shuffling and sampling (the round's).
	Kernels       string      `json:"kernels,omitempty"` // The compute kernels the run used, as the child observed them.
	Error         string      `json:"error,omitempty"`
	TorchVersion  string      `json:"torch_version,omitempty"`
	OMPWaitPolicy string      `json:"omp_wait_policy,omitempty"` // PyTorch: the OMP_WAIT_POLICY of this run.
}

// HeldOut is the negative ELBO of the test images and its terms, per image in nats, as
// vaekit's Model.Evaluate computes them: one z drawn per image, -log p(x|z) of the
// Bernoulli decoder summed over pixels, and the analytic KL (the PyTorch peer computes
// the same).
type HeldOut struct {
	NegELBO        float64 `json:"neg_elbo"`
	Reconstruction float64 `json:"reconstruction"`
	KL             float64 `json:"kl"`
	Images         int     `json:"images"`
}

// Likelihood is the IWAE estimate of -log p(x) (Burda et al. 2016, eq. 8, with K samples)
// of the first Images binarised MNIST test images, in nats per image, with each image's
// value (for the paired comparison of two frameworks on the same images), and the active
// units (Burda et al.'s rule: Var over x of E_q[z_u|x] > 0.01) over UnitImages of them.
type Likelihood struct {
	K           int       `json:"k"`
	Images      int       `json:"images"`
	NLL         float64   `json:"nll"`
	StdErr      float64   `json:"std_err"`   // Of NLL over the images.
	ImageNLL    []float64 `json:"image_nll"` // -(the bound on log p(x)) of each image.
	ActiveUnits int       `json:"active_units"`
	UnitImages  int       `json:"unit_images"`
	Seconds     float64   `json:"seconds"` // The scoring's wall time.
}

// newLikelihood fills NLL and StdErr from the per-image values.
func newLikelihood(k int, imageNLL []float64) *Likelihood {
	l := &Likelihood{K: k, Images: len(imageNLL), ImageNLL: imageNLL}
	l.NLL, l.StdErr = meanAndStdErr(imageNLL)
	return l
}

// meanAndStdErr is the mean of v and its standard error (sample standard deviation over
// sqrt(n); 0 for fewer than 2 values).
func meanAndStdErr(v []float64) (mean, stdErr float64) {
	if len(v) == 0 {
		return 0, 0
	}
	n := float64(len(v))
	for _, x := range v {
		mean += x / n
	}
	if len(v) > 1 {
		var squares float64
		for _, x := range v {
			squares += (x - mean) * (x - mean)
		}
		stdErr = math.Sqrt(squares / (n - 1) / n)
	}
	return mean, stdErr
}

// SlowdownRatio is the last window's rate over the first one's (after warm-up): well
// below 1 shows a late slowdown (e.g. denormal floats).
func (r Result) SlowdownRatio() float64 {
	if len(r.WindowRates) < 2 || r.WindowRates[0] == 0 {
		return 0
	}
	return r.WindowRates[len(r.WindowRates)-1] / r.WindowRates[0]
}

// stamp is the wall time at which a training step completed.
type stamp struct {
	step    int
	seconds float64 // Since the start of training.
	cpu     float64 // Process CPU seconds (user + system).
}

// summarize fills the timing fields of r from stamps (step, seconds since training
// started), taken every window steps and after step 1.
func (r *Result) summarize(stamps []stamp, stepsPerEpoch int) {
	if len(stamps) == 0 {
		return
	}
	slices.SortFunc(stamps, func(a, b stamp) int { return a.step - b.step })
	last := stamps[len(stamps)-1]
	r.Steps = last.step
	for _, s := range stamps {
		if s.step == 1 {
			r.FirstStepSec = s.seconds
		}
	}
	warm := slices.IndexFunc(stamps, func(s stamp) bool { return s.step >= r.Warmup })
	if warm < 0 || warm == len(stamps)-1 {
		warm = 0
	}
	w := stamps[warm]
	if last.seconds > w.seconds {
		r.ImagesPerSec = float64((last.step-w.step)*r.Batch) / (last.seconds - w.seconds)
	}
	if last.step > w.step && last.cpu > w.cpu {
		r.CPUPerImageMS = 1000 * (last.cpu - w.cpu) / float64((last.step-w.step)*r.Batch)
	}
	for i := warm + 1; i < len(stamps); i++ {
		a, b := stamps[i-1], stamps[i]
		if b.seconds > a.seconds {
			r.WindowRates = append(r.WindowRates, float64((b.step-a.step)*r.Batch)/(b.seconds-a.seconds))
		}
	}
	if i := slices.IndexFunc(stamps, func(s stamp) bool { return s.step >= stepsPerEpoch }); i > 0 {
		// Interpolated between the stamps around the epoch's last step.
		a, b := stamps[i-1], stamps[i]
		r.EpochSec = a.seconds + (b.seconds-a.seconds)*float64(stepsPerEpoch-a.step)/float64(b.step-a.step)
		r.EpochMeasured = true
	} else if r.ImagesPerSec > 0 {
		r.EpochSec = last.seconds + float64((stepsPerEpoch-last.step)*r.Batch)/r.ImagesPerSec
	}
}
