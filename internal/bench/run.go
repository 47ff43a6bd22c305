package bench

import (
	"bufio"
	"fmt"
	mathrand "math/rand"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/dataset"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/vaekit/vaekit/internal/workarounds"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
)

// RunOptions control one measured run of one model.
type RunOptions struct {
	Steps      int    // Training steps in all, warm-up included; 0: the model's DefaultSteps.
	Warmup     int    // Steps left out of the steady-state rate; 0: Window.
	Window     int    // Steps between time stamps; 0: 50.
	Batch      int    // Overrides the model's batch size (smoke tests); 0: the model's.
	CPUProfile string // When set, a pprof CPU profile of the steps after warm-up is written there.

	// ReleaseHostImages lets the models trained without Model.Fit drop the sets' pixels
	// once they are on the device (it clears trainSet.Images and testSet.Images), so
	// that, like the PyTorch peer, the process holds one copy of the data. Model.Fit needs
	// the sets the caller passes (and so keeps two copies: the caller's and the device's).
	ReleaseHostImages bool
}

func (o RunOptions) withDefaults(m Model) RunOptions {
	if o.Batch <= 0 {
		o.Batch = m.Batch
	}
	if o.Steps <= 0 {
		o.Steps = m.DefaultSteps
	}
	if o.Window <= 0 {
		o.Window = 50
	}
	o.Window = min(o.Window, o.Steps)
	if o.Warmup <= 0 {
		o.Warmup = o.Window
	}
	return o
}

// mnistTrainSize is the number of MNIST training images (an epoch).
const mnistTrainSize = 60_000

// LoadMNIST loads MNIST from vaekit's offline sources (never downloads).
func LoadMNIST() (trainSet, testSet *data.Set, err error) {
	return data.LoadBoth(data.MNIST, data.Options{NoDownload: true})
}

// RunGo trains model m with vaekit on the go backend (or whichever vaekit.Backend picks)
// and measures it. The MLP models and architecture=conv go through vaekit's real training
// path, Model.Fit; the conv benchmark network through GoMLX's trainer and loop directly.
func RunGo(m Model, opts RunOptions, trainSet, testSet *data.Set) (r Result, err error) {
	opts = opts.withDefaults(m)
	r = Result{Model: m.Name, Framework: "vaekit", Batch: opts.Batch, Warmup: opts.Warmup, Window: opts.Window}
	var profiling bool
	startProfile := func() {
		if opts.CPUProfile == "" || profiling {
			return
		}
		f, err := os.Create(opts.CPUProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: cpu profile: %v\n", err)
			return
		}
		profiling = true
	}
	defer func() {
		if profiling {
			pprof.StopCPUProfile()
		}
	}()

	var stamps []stamp
	switch m.Kind {
	case "mlp", "tutorial":
		cfg := vaekit.DefaultConfig()
		if m.Kind == "mlp" {
			cfg.HiddenDims = []int{m.Hidden}
		} else {
			cfg.Architecture = "conv"
		}
		cfg.LatentDim = m.Latent
		cfg.BatchSize = opts.Batch
		cfg.Steps = opts.Steps
		// Time stamps come from the evaluation hook: every Window steps, a tiny
		// evaluation (two forward passes of evalN images) marks the time.
		cfg.EvalEvery = opts.Window
		const evalN = 100
		cfg.EvalBatchSize = evalN
		var model *vaekit.Model
		if model, err = vaekit.NewModel(cfg); err != nil {
			return r, err
		}
		start := time.Now()
		err = model.Fit(trainSet, testSet.Head(evalN), vaekit.TrainOptions{
			Quiet: true, TrainEvalSize: evalN,
			OnEval: func(rec vaekit.Record) {
				stamps = append(stamps, stamp{rec.Step, time.Since(start).Seconds(), cpuSeconds()})
				if rec.Step >= opts.Warmup {
					startProfile()
				}
			},
		})
		r.Params = model.NumParameters()
		if n := len(model.History); n > 0 {
			r.FinalLoss = model.History[n-1].Train.Loss
		}
	case "convbench":
		if opts.ReleaseHostImages {
			testSet.Images = nil
		}
		stamps, r.FinalLoss, r.Params, err = runOwnTrainer(m, opts, trainSet, startProfile, func(scope *model.Scope, x *Node) *Node {
			return convBenchForward(scope, x, m.Latent)
		})
	default:
		err = fmt.Errorf("bench: model %s has unknown kind %q", m.Name, m.Kind)
	}
	if err != nil {
		return r, err
	}
	r.summarize(stamps, mnistTrainSize/opts.Batch)
	r.PeakRSSMB = PeakRSSMB()
	return r, nil
}

// runOwnTrainer trains a network given by its per-example loss (convvae.go)
// with GoMLX's trainer and loop, the same way vaekit's Model does: data on the device,
// Adam 1e-3, shuffled batches.
func runOwnTrainer(m Model, opts RunOptions, trainSet *data.Set, onWarm func(), perExampleLoss func(*model.Scope, *Node) *Node) (stamps []stamp, loss float64, params int, err error) {
	backend, err := vaekit.Backend()
	if err != nil {
		return nil, 0, 0, err
	}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(1); err != nil {
		return nil, 0, 0, err
	}
	store.SetParams(map[string]any{optimizer.ParamOptimizer: "adam", optimizer.ParamLearningRate: 1e-3})
	modelFn := func(scope *model.Scope, _ any, inputs []*Node) []*Node {
		x := workarounds.PixelsFromBytes(inputs[0]) // MNIST is kept as bytes on the device.
		if parts := splitBatch(m.Split); parts > 1 && x.Shape().Dimensions[0]%parts == 0 {
			// The batch as independent sub-graphs (same variables), one per core: the Go
			// backend runs independent ops concurrently, and most of a step's ops (gathers,
			// scatters, element-wise) use one core each.
			size := x.Shape().Dimensions[0] / parts
			var total *Node
			for p := range parts {
				part := ReduceAllSum(perExampleLoss(scope.ResetVisited(), Slice(x, AxisRange(p*size, (p+1)*size))))
				if total == nil {
					total = part
				} else {
					total = Add(total, part)
				}
			}
			return []*Node{DivScalar(total, float64(x.Shape().Dimensions[0]))}
		}
		return []*Node{ReduceAllMean(perExampleLoss(scope, x))}
	}
	lossFn := func(_ []*Node, predictions []*Node) *Node { return predictions[0] }
	trainer := train.NewTrainer(backend, store, modelFn, lossFn, optimizer.FromStore(store), nil, nil)

	start := time.Now()
	images, err := deviceImages(backend, trainSet)
	if err != nil {
		return nil, 0, 0, err
	}
	if opts.ReleaseHostImages {
		trainSet.Images = nil
		runtime.GC()
	}
	ds, err := dataset.InMemoryFromData(backend, "train", []any{images}, nil)
	if err != nil {
		return nil, 0, 0, err
	}
	defer ds.FinalizeAll()
	ds.Shuffle().BatchSize(opts.Batch, true).Infinite(true).WithRand(mathrand.New(mathrand.NewSource(1)))

	loop := train.NewLoop(trainer)
	loop.OnStep("bench: time stamps", 0, func(loop *train.Loop, metrics []*tensors.Tensor) error {
		step := loop.LoopStep + 1
		if step == 1 || step%opts.Window == 0 || step == opts.Steps {
			stamps = append(stamps, stamp{step, time.Since(start).Seconds(), cpuSeconds()})
			if step >= opts.Warmup {
				onWarm()
			}
		}
		if step == opts.Steps {
			loss = float64(tensors.ToScalar[float32](metrics[0]))
		}
		return nil
	})
	if _, err := loop.RunSteps(ds, opts.Steps); err != nil {
		return nil, 0, 0, err
	}
	for v := range store.IterVariables() {
		if v.Trainable {
			params += v.Shape().Size()
		}
	}
	return stamps, loss, params, nil
}

// splitBatch is the number of independent parts a batch is split into in the graph:
// $VAEKIT_BENCH_SPLIT when set, else the model's.
func splitBatch(model int) int {
	if n, err := strconv.Atoi(os.Getenv("VAEKIT_BENCH_SPLIT")); err == nil && n >= 1 {
		return n
	}
	return max(model, 1)
}

// deviceImages puts the images on the backend the way Model.Fit does
// (vaekit.DeviceImages: written in place, as bytes for MNIST). VAEKIT_BENCH_UPLOAD
// selects the formulations it replaced, for the notes: "float32" (written in place as
// float32) or "copy" (tensors.FromFlatDataAndDimensions, then a transfer: a transient
// second copy of MNIST).
func deviceImages(backend compute.Backend, set *data.Set) (*tensors.Tensor, error) {
	pixels := set.Height * set.Width
	switch os.Getenv("VAEKIT_BENCH_UPLOAD") {
	case "copy":
		return tensors.FromFlatDataAndDimensions(set.Images, set.N, pixels), nil
	case "float32":
		t, err := tensors.FromShapeForBackend(backend, 0, shapes.Make(dtypes.Float32, set.N, pixels))
		if err != nil {
			return nil, err
		}
		err = tensors.MutableFlatData(t, func(flat []float32) { copy(flat, set.Images) })
		return t, err
	}
	return workarounds.DeviceImages(backend, set.Images, set.N, pixels)
}

// cpuSeconds is the CPU time (user + system) this process has used so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// PeakRSSMB is this process's peak resident memory (VmHWM), in MiB; 0 where unknown.
func PeakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			fields := strings.Fields(rest)
			if kb, err := strconv.ParseFloat(fields[0], 64); err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}
