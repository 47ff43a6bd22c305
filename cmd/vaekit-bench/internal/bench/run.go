package bench

import (
	"bufio"
	"encoding/binary"
	"fmt"
	mathrand "math/rand"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

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
	Seed       int64  // Seeds initialisation, shuffling and sampling; 0: 1 (vaekit's default).

	// HeldOutImages is how many MNIST test images (the first ones) are scored after
	// training, for the held-out negative ELBO: 0, all 10,000; negative, none.
	HeldOutImages int

	// NLLImages and NLLK: a Likelihood model's -log p(x) is estimated by the IWAE bound
	// with NLLK samples on the first NLLImages test images (either 0: not estimated).
	NLLImages, NLLK int

	// ReleaseHostImages lets the models trained without Model.Fit drop the training
	// images' pixels once they are on the device (it clears trainSet.Images), so that,
	// like the PyTorch peer, the process holds one copy of them. Model.Fit needs the sets
	// the caller passes (and so keeps two copies: the caller's and the device's). The test
	// images stay, for the held-out score (the peer holds them too).
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
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// mnistTrainSize is the number of MNIST training images (an epoch).
const mnistTrainSize = 60_000

// LoadMNIST loads MNIST from vaekit's offline sources (never downloads).
func LoadMNIST() (trainSet, testSet *data.Set, err error) {
	return data.LoadBoth(data.MNIST, data.Options{NoDownload: true})
}

// RunGo trains model m with vaekit on the go backend (or whichever vaekit.Backend picks),
// measures it, then scores the held-out images. The MLP models, pytorch-examples,
// architecture=conv and notebook 05's models go through vaekit's real training path,
// Model.Fit; the conv benchmark network through GoMLX's trainer and loop directly. A
// "burda" model's testSet should be the binarised test images (BinarizedTestImages; the
// driver passes the file both frameworks score): Model.Measure binarises any other with
// the model's seed.
func RunGo(m Model, opts RunOptions, trainSet, testSet *data.Set) (r Result, err error) {
	opts = opts.withDefaults(m)
	r = Result{Model: m.Name, Framework: "vaekit", Batch: opts.Batch, Warmup: opts.Warmup, Window: opts.Window, Seed: opts.Seed}
	heldOut := testSet
	if opts.HeldOutImages > 0 {
		heldOut = testSet.Head(opts.HeldOutImages)
	}
	profile := &cpuProfile{path: opts.CPUProfile}
	defer profile.stop()

	var trained trainedRun
	switch m.Kind {
	case "mlp", "tutorial", "pytorch-examples", "burda":
		trained, err = trainWithFit(m, opts, trainSet, testSet, heldOut, profile)
	case "convbench":
		trained, err = trainConvBench(m, opts, trainSet, heldOut, profile)
	default:
		err = fmt.Errorf("bench: model %s has unknown kind %q", m.Name, m.Kind)
	}
	r.FinalLoss, r.Params = trained.finalLoss, trained.params
	if err != nil {
		return r, err
	}
	r.summarize(trained.stamps, mnistTrainSize/opts.Batch)
	r.PeakRSSMB = PeakRSSMB() // Training's peak: before the held-out images are scored.
	if opts.HeldOutImages >= 0 {
		if r.HeldOut, err = trained.evaluate(); err != nil {
			return r, err
		}
	}
	if m.Likelihood && opts.NLLImages > 0 && opts.NLLK > 0 && trained.likelihood != nil {
		if r.Likelihood, err = trained.likelihood(); err != nil {
			return r, err
		}
	}
	return r, nil
}

// trainedRun is what a training run of RunGo leaves: its time stamps, last training loss
// and parameter count, and how to score the trained model.
type trainedRun struct {
	stamps     []stamp
	finalLoss  float64
	params     int
	evaluate   func() (*HeldOut, error)    // Scores the held-out images after training.
	likelihood func() (*Likelihood, error) // Estimates -log p(x) after training (Model.Fit's models; else nil).
}

// cpuProfile writes a pprof CPU profile to path ("": none) from start to stop; start
// after the first has no effect, so that it can mark the end of the warm-up at every
// time stamp.
type cpuProfile struct {
	path    string
	running bool
}

func (p *cpuProfile) start() {
	if p.path == "" || p.running {
		return
	}
	f, err := os.Create(p.path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: cpu profile: %v\n", err)
		return
	}
	p.running = true
}

func (p *cpuProfile) stop() {
	if p.running {
		pprof.StopCPUProfile()
		p.running = false
	}
}

// stampEvalImages is the size of the tiny evaluation whose hook marks the time stamps of
// Model.Fit's runs (two forward passes of that many images every Window steps).
const stampEvalImages = 100

// fitConfig is the vaekit configuration of a model trained with Model.Fit.
func fitConfig(m Model, opts RunOptions) (vaekit.Config, error) {
	cfg := vaekit.DefaultConfig()
	switch m.Kind {
	case "mlp":
		cfg.HiddenDims = []int{m.Hidden}
	case "tutorial":
		cfg.Architecture = "conv"
	case "burda":
		var err error
		if cfg, err = BurdaConfig(m.IWAESamples); err != nil {
			return cfg, err
		}
		// The notebook's held-out IWAE curve (k = 100 at each evaluation) is no part of
		// training; the time stamps' evaluations below leave it out.
		cfg.EvalIWAESamples = 0
	}
	cfg.LatentDim = m.Latent
	cfg.BatchSize = opts.Batch
	cfg.Steps = opts.Steps
	cfg.Seed = uint64(opts.Seed)
	// Time stamps come from the evaluation hook: every Window steps, a tiny
	// evaluation (stampEvalImages) marks the time.
	cfg.EvalEvery = opts.Window
	cfg.EvalBatchSize = stampEvalImages
	return cfg, nil
}

// trainWithFit trains model m through vaekit's Model.Fit, profiling from the end of the
// warm-up.
func trainWithFit(m Model, opts RunOptions, trainSet, testSet, heldOut *data.Set, profile *cpuProfile) (trained trainedRun, err error) {
	cfg, err := fitConfig(m, opts)
	if err != nil {
		return trained, err
	}
	model, err := vaekit.NewModel(cfg)
	if err != nil {
		return trained, err
	}
	start := time.Now()
	err = model.Fit(trainSet, testSet.Head(stampEvalImages), vaekit.TrainOptions{
		Quiet: true, TrainEvalSize: stampEvalImages,
		OnEval: func(rec vaekit.Record) {
			trained.stamps = append(trained.stamps, stamp{rec.Step, time.Since(start).Seconds(), cpuSeconds()})
			if rec.Step >= opts.Warmup {
				profile.start()
			}
		},
	})
	profile.stop()
	if err == nil {
		trained.params, err = model.NumParameters()
	}
	if n := len(model.History); n > 0 {
		trained.finalLoss = model.History[n-1].Train.Loss
	}
	trained.evaluate = func() (*HeldOut, error) {
		metrics, err := model.Measure(heldOut, vaekit.MeasureOptions{Seed: uint64(opts.Seed)})
		if err != nil {
			return nil, err
		}
		return &HeldOut{NegELBO: metrics.NegELBO, Reconstruction: metrics.Reconstruction, KL: metrics.KL, Images: heldOut.N}, nil
	}
	trained.likelihood = func() (*Likelihood, error) {
		return vaekitLikelihood(model, testSet, opts.NLLImages, opts.NLLK, opts.Seed)
	}
	return trained, err
}

// trainConvBench trains the conv benchmark network (convvae.go) with GoMLX's trainer and
// loop (runOwnTrainer), profiling from the end of the warm-up.
func trainConvBench(m Model, opts RunOptions, trainSet, heldOut *data.Set, profile *cpuProfile) (trained trainedRun, err error) {
	var store *model.Store
	trained.stamps, trained.finalLoss, store, err = runOwnTrainer(m, opts, trainSet, profile.start, func(scope *model.Scope, x *Node) *Node {
		recon, kl := convBenchTerms(scope, x, m.Latent)
		return Add(recon, kl)
	})
	profile.stop()
	if err == nil {
		trained.params = trainableParams(store)
	}
	trained.evaluate = func() (*HeldOut, error) {
		return evaluateOwn(store, heldOut, opts.Batch, func(scope *model.Scope, x *Node) (recon, kl *Node) {
			return convBenchTerms(scope, x, m.Latent)
		})
	}
	return trained, err
}

// vaekitLikelihood estimates -log p(x) of the first images of testSet with vaekit's own
// Model.Measure (IWAE bound, k samples), one image at a time: Measure returns the mean and
// its standard error, and the paired comparison with PyTorch needs each image's value.
// Image i's k draws are seeded by (seed, i). The active units are Measure's, over all of
// testSet.
func vaekitLikelihood(model *vaekit.Model, testSet *data.Set, images, k int, seed int64) (*Likelihood, error) {
	start := time.Now()
	set := testSet.Head(images)
	imageNLL := make([]float64, set.N)
	for i := range set.N {
		one, err := set.Select(i)
		if err != nil {
			return nil, err
		}
		metrics, err := model.Measure(one, vaekit.MeasureOptions{IWAESamples: k, Seed: uint64(seed)<<32 | uint64(i)})
		if err != nil {
			return nil, fmt.Errorf("bench: IWAE bound of test image %d: %w", i, err)
		}
		imageNLL[i] = metrics.IWAENLL
	}
	l := newLikelihood(k, imageNLL)
	all, err := model.Measure(testSet, vaekit.MeasureOptions{Seed: uint64(seed)})
	if err != nil {
		return nil, err
	}
	l.ActiveUnits, l.UnitImages, l.Seconds = all.ActiveUnits, testSet.N, time.Since(start).Seconds()
	return l, nil
}

// BinarizeSeed seeds the one Bernoulli draw of the test images that notebook 05's models
// are scored on: 1, notebook 05's seed, so that they are the very images its Model.Measure
// scores (vaekit binarises evaluation images with the PCG stream (seed, 0xb1)).
const BinarizeSeed = 1

// BinarizedTestImages is testSet with each pixel drawn once, 1 with probability its value
// (BinarizeSeed's draw): the test images of a dynamically binarised model, the same for
// every round and both frameworks. Model.Measure leaves such images as they are (a
// Bernoulli draw of a 0 or 1 pixel is itself).
func BinarizedTestImages(testSet *data.Set) *data.Set {
	return testSet.BernoulliBinarized(rand.New(rand.NewPCG(BinarizeSeed, 0xb1)))
}

// idxImageMagic heads an IDX file of unsigned bytes in 3 dimensions (MNIST's images).
const idxImageMagic = 0x00000803

// WriteBinaryImages writes set's images (pixels 0 or 1) to path as an uncompressed IDX file
// of bytes, [N, height, width]: what the PyTorch peer reads (--binary-test).
func WriteBinaryImages(path string, set *data.Set) error {
	if set.Shape().Channels != 1 {
		return fmt.Errorf("bench: WriteBinaryImages: %d channels, expected grey images", set.Shape().Channels)
	}
	buf := make([]byte, 16, 16+len(set.Images))
	for i, v := range []int{idxImageMagic, set.N, set.Height, set.Width} {
		binary.BigEndian.PutUint32(buf[4*i:], uint32(v))
	}
	for i, p := range set.Images {
		if p != 0 && p != 1 {
			return fmt.Errorf("bench: WriteBinaryImages: pixel %d of image %d is %g, expected 0 or 1", i%set.ImageSize(), i/set.ImageSize(), p)
		}
		buf = append(buf, byte(p))
	}
	return os.WriteFile(path, buf, 0o644)
}

// ReadBinaryImages reads a file of WriteBinaryImages as MNIST test images.
func ReadBinaryImages(path string) (*data.Set, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 16 || binary.BigEndian.Uint32(b) != idxImageMagic {
		return nil, fmt.Errorf("bench: %s: not an IDX file of images", path)
	}
	n, h, w := int(binary.BigEndian.Uint32(b[4:])), int(binary.BigEndian.Uint32(b[8:])), int(binary.BigEndian.Uint32(b[12:]))
	if len(b) != 16+n*h*w {
		return nil, fmt.Errorf("bench: %s: %d bytes, expected 16 + %d x %d x %d", path, len(b), n, h, w)
	}
	set := &data.Set{Name: data.MNIST, Split: data.Test, N: n, Height: h, Width: w, Channels: 1, Images: make([]float32, n*h*w),
		Source: path + " (binarised once)"}
	for i, v := range b[16:] {
		if v > 1 {
			return nil, fmt.Errorf("bench: %s: pixel value %d, expected 0 or 1", path, v)
		}
		set.Images[i] = float32(v)
	}
	return set, nil
}

// evaluateOwn scores set with a network trained by runOwnTrainer, whose terms (per
// example: -log p(x|z) and the KL, [batch] each) terms builds, batch images at a time.
func evaluateOwn(store *model.Store, set *data.Set, batch int, terms func(*model.Scope, *Node) (recon, kl *Node)) (*HeldOut, error) {
	backend, err := vaekit.Backend()
	if err != nil {
		return nil, err
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) []*Node {
		// As a training graph, so that the Go backend keeps the variables (the RNG's state
		// among them) as parameters instead of constants: each batch draws new z.
		store.SetTraining(x.Graph(), true)
		recon, kl := terms(scope, x)
		return []*Node{ReduceAllSum(recon), ReduceAllSum(kl)}
	})
	if err != nil {
		return nil, err
	}
	pixels := set.Height * set.Width
	var recon, kl float64
	for start := 0; start < set.N; start += batch {
		n := min(batch, set.N-start)
		x := tensors.FromFlatDataAndDimensions(set.Images[start*pixels:(start+n)*pixels], n, pixels)
		outs, err := exec.Call(x)
		if err != nil {
			return nil, fmt.Errorf("bench: scoring the held-out images: %w", err)
		}
		recon += float64(tensors.ToScalar[float32](outs[0]))
		kl += float64(tensors.ToScalar[float32](outs[1]))
		for _, out := range outs {
			out.FinalizeAll()
		}
	}
	n := float64(set.N)
	return &HeldOut{NegELBO: (recon + kl) / n, Reconstruction: recon / n, KL: kl / n, Images: set.N}, nil
}

func trainableParams(store *model.Store) (params int) {
	for v := range store.IterVariables() {
		if v.Trainable {
			params += v.Shape().Size()
		}
	}
	return params
}

// runOwnTrainer trains a network given by its per-example loss (convvae.go)
// with GoMLX's trainer and loop, the same way vaekit's Model does: data on the device,
// Adam 1e-3, shuffled batches.
func runOwnTrainer(m Model, opts RunOptions, trainSet *data.Set, onWarm func(), perExampleLoss func(*model.Scope, *Node) *Node) (stamps []stamp, loss float64, store *model.Store, err error) {
	backend, err := vaekit.Backend()
	if err != nil {
		return nil, 0, nil, err
	}
	store = model.NewStore()
	if err := store.SetRNGStateFromSeed(opts.Seed); err != nil {
		return nil, 0, nil, err
	}
	store.SetParams(map[string]any{optimizer.ParamOptimizer: "adam", optimizer.ParamLearningRate: 1e-3})
	modelFn := func(scope *model.Scope, _ any, inputs []*Node) []*Node {
		x := workarounds.PixelsFromBytes(inputs[0]) // MNIST is kept as bytes on the device.
		if parts := max(m.Split, 1); parts > 1 && x.Shape().Dimensions[0]%parts == 0 {
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
	images, err := workarounds.DeviceImages(backend, trainSet.Images, trainSet.N, trainSet.Height*trainSet.Width)
	if err != nil {
		return nil, 0, nil, err
	}
	if opts.ReleaseHostImages {
		trainSet.Images = nil
		runtime.GC()
	}
	ds, err := dataset.InMemoryFromData(backend, "train", []any{images}, nil)
	if err != nil {
		return nil, 0, nil, err
	}
	defer ds.FinalizeAll()
	ds.Shuffle().BatchSize(opts.Batch, true).Infinite(true).WithRand(mathrand.New(mathrand.NewSource(opts.Seed)))

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
		return nil, 0, nil, err
	}
	return stamps, loss, store, nil
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
