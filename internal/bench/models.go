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
	// "pytorch-examples", vaekit.DefaultConfig() through Model.Fit, unchanged.
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
}

// Models lists every benchmarked model, in report order.
var Models = []Model{
	{Name: "mlp-512-2-b64", Description: "MLP VAE 784-512-2, batch 64", Kind: "mlp", Hidden: 512, Latent: 2, Batch: 64, DefaultSteps: 1000},
	{Name: "mlp-512-2-b128", Description: "MLP VAE 784-512-2, batch 128", Kind: "mlp", Hidden: 512, Latent: 2, Batch: 128, DefaultSteps: 1000},
	{Name: "mlp-400-20-b128", Description: "MLP VAE 784-400-20, batch 128", Kind: "mlp", Hidden: 400, Latent: 20, Batch: 128, DefaultSteps: 1000},
	{Name: "conv-b64", Description: "conv VAE (3x3 s2 convs 32/64, dense 16, latent 8; upsample + 3x3 convs 64/32/1), batch 64", Kind: "convbench", Latent: 8, Batch: 64, DefaultSteps: 1000, Split: 2},
	{Name: "tutorial-conv-b64", Description: "architecture=conv (TensorFlow tutorial: 4x4 convs 64, strides 2,2,1; deconvs 2,1,1), latent 8, batch 64", Kind: "tutorial", Latent: 8, Batch: 64, DefaultSteps: 300},
	pytorchExamples(),
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

// ModelNames lists the names of Models.
func ModelNames() []string { return names(Models) }

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
	HeldOut       *HeldOut `json:"held_out,omitempty"`
	Seed          int64    `json:"seed"`              // Seeds initialisation, shuffling and sampling (the round's).
	Kernels       string   `json:"kernels,omitempty"` // The compute kernels the run used, as the child observed them.
	Error         string   `json:"error,omitempty"`
	TorchVersion  string   `json:"torch_version,omitempty"`
	OMPWaitPolicy string   `json:"omp_wait_policy,omitempty"` // PyTorch: the OMP_WAIT_POLICY of this run.
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
