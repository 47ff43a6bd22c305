package vaekit

import (
	"errors"
	"fmt"
	"io"
	"math"
	mathrand "math/rand"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/dataset"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/ui/commandline"

	"github.com/vaekit/vaekit/internal/workarounds"
	"github.com/vaekit/vaekit/vaekit/data"
)

// TrainOptions control how a training run is carried out; they are not hyperparameters
// and do not change the model (those live in Config).
type TrainOptions struct {
	// Dir, when set, is the model directory: training resumes from the checkpoint there,
	// saves a checkpoint at every evaluation and at the end, and the trained model can be
	// read back with Load(Dir). Train holds Dir's lock while it trains (see LockModelDir).
	Dir string

	// Lock, when set, is the caller's own hold on Dir (from LockModelDir), for a caller
	// that does more in Dir than training; Train then does not lock Dir itself.
	Lock *DirLock

	// Quiet turns off the progress bar.
	Quiet bool

	// Log receives the run's messages: resuming from a checkpoint, waiting for another
	// process (TrainOrLoad). Nil means os.Stderr.
	Log io.Writer

	// TrainEvalSize is how many training images (the first ones) are scored at each
	// evaluation, for the train side of the curves. 0 means 10,000 (or all, if fewer).
	TrainEvalSize int

	// OnStart, when set, is called once before training, with the model about to be
	// trained: Train and TrainOrLoad make the model, and a caller that wants to look at
	// it as it trains (from OnEval) gets it here. TrainOrLoad does not call it when it
	// loads a finished model.
	OnStart func(*Model)

	// OnEval, when set, is called after each evaluation (e.g. to update a live plot).
	// It runs inside GoMLX's training loop, between two steps.
	OnEval func(Record)

	// Frames, when > 0, keeps the reconstructions of that many held-out images (the
	// first ones) at every evaluation with the model (Model.Frames, saved with it), so
	// that a model loaded later shows how its pictures changed as it trained.
	// Reconstructing uses no random draws: it does not change what is trained.
	Frames int

	// MemoryLimit is the most memory the model may be estimated to need in training
	// (EstimateMemory): Train refuses a larger one with a *MemoryError before building
	// it, instead of running the machine out of memory. Zero means DefaultMemoryLimit.
	MemoryLimit MemoryLimit

	// Stop, when set, ends training early once it is closed (on Ctrl-C, say): after the
	// step under way, with a checkpoint of that step in Dir; Train then returns an error
	// wrapping ErrInterrupted that says at which step (see stop.go).
	Stop <-chan struct{}
}

func (o *TrainOptions) log() io.Writer {
	if o.Log == nil {
		return os.Stderr
	}
	return o.Log
}

// Train trains a model with cfg on trainSet, evaluating on heldOut. With opts.Dir it
// resumes from (and checkpoints to) that directory, and fails at once, naming the other
// process, if another process is training there.
func Train(cfg Config, trainSet, heldOut *data.Set, opts TrainOptions) (*Model, error) {
	cfg = forData(cfg, trainSet)
	if err := checkTrainingMemory(cfg, opts.MemoryLimit); err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		m, err := NewModel(cfg)
		if err != nil {
			return nil, err
		}
		return m, m.Fit(trainSet, heldOut, opts)
	}
	if opts.Lock == nil {
		lock, err := LockModelDir(opts.Dir) // Also creates Dir: fail now, not at the first checkpoint.
		if err != nil {
			return nil, err
		}
		defer lock.Unlock()
		opts.Lock = lock
	} else if !opts.Lock.Holds(opts.Dir) {
		return nil, fmt.Errorf("vaekit: TrainOptions.Lock holds %s, not Dir %s", opts.Lock.Dir(), opts.Dir)
	}
	m, err := openModel(cfg, opts.Dir)
	if err != nil {
		return nil, err
	}
	return m, m.Fit(trainSet, heldOut, opts)
}

// checkTrainingMemory refuses a valid cfg whose training is estimated to need more than
// limit (zero: DefaultMemoryLimit); an invalid one is NewModel's to report.
func checkTrainingMemory(cfg Config, limit MemoryLimit) error {
	if cfg.Validate() != nil {
		return nil
	}
	if limit == (MemoryLimit{}) {
		limit = DefaultMemoryLimit()
	}
	if err := EstimateMemory(cfg, MemoryUse{Training: true}).Check(limit); err != nil {
		return fmt.Errorf("vaekit: %w", err)
	}
	return nil
}

// forData returns cfg set up for the training set it is given. Data of one's own
// (dataset=idx|folder) has a name that says neither which data it is nor its shape:
// DataID is the training set's fingerprint (two folders give two models, the same folder
// loads the same one), and a Config that leaves image_shape at its default takes the
// shape of the images it is given; dsprites' splits are a sample of a size the loader is
// given, so its DataID is the fingerprint too. Objective=beta_tcvae with dataset_size 0 takes the
// training set's size as its N; a dataset_size set by hand is kept, even if it is not
// the training set's size: it is the user's choice of N (the estimate's constant).
func forData(cfg Config, trainSet *data.Set) Config {
	if trainSet == nil {
		return cfg
	}
	ownData := cfg.Dataset == data.IDXFiles || cfg.Dataset == data.ImageFolder
	// dsprites' splits are a sample of its combinations, of a size the loader is given.
	byFingerprint := ownData || cfg.Dataset == data.DSprites
	// A set smaller than a batch is refused by Fit, naming batch_size, not dataset_size.
	sizeFromData := cfg.Objective == "beta_tcvae" && cfg.DatasetSize == 0 && trainSet.N >= cfg.BatchSize
	if !byFingerprint && !sizeFromData {
		return cfg
	}
	cfg = cfg.Clone()
	if sizeFromData {
		cfg.DatasetSize = trainSet.N
	}
	if ownData && slices.Equal(cfg.ImageShape, DefaultConfig().ImageShape) {
		shape := trainSet.Shape()
		cfg.ImageShape = []int{shape.Height, shape.Width, shape.Channels}
	}
	if byFingerprint {
		cfg.DataID = trainSet.Fingerprint()
	}
	return cfg
}

// openModel returns the model saved in dir, set up to continue training with cfg, or a
// new model when dir holds none.
func openModel(cfg Config, dir string) (*Model, error) {
	if !HasSavedModel(dir) {
		return NewModel(cfg)
	}
	m, err := Load(dir)
	if err != nil {
		return nil, err
	}
	if m.TrainingFormat != TrainingFormat {
		return nil, fmt.Errorf("vaekit: cannot resume from %s: its model was trained by training format %d, this vaekit trains format %d (what a Config trains to has changed since); use another directory", dir, m.TrainingFormat, TrainingFormat)
	}
	if err := checkResumable(m.Config, cfg); err != nil {
		return nil, fmt.Errorf("vaekit: cannot resume from %s: %w", dir, err)
	}
	m.Config = cfg.Clone() // Resumable settings (steps, learning rate...) may change.
	return m, nil
}

// finished reports whether m has trained its whole budget on n images and was evaluated
// (and so checkpointed) at its last step.
func (m *Model) finished(n int) bool {
	last := len(m.History) - 1
	return m.GlobalStep() >= m.Config.StepsFor(n) && last >= 0 && m.History[last].Step == m.GlobalStep()
}

// checkResumable lists the hyperparameters that differ between saved and wanted, other
// than the resumable ones.
func checkResumable(saved, wanted Config) error {
	if err := wanted.Validate(); err != nil {
		return err
	}
	savedParams, wantedParams := saved.Params(), wanted.Params()
	var diffs []string
	for _, name := range ParamNames() {
		if slices.Contains(ResumableParams, name) {
			continue
		}
		a, b := fmt.Sprint(savedParams[name]), fmt.Sprint(wantedParams[name])
		if a != b {
			diffs = append(diffs, fmt.Sprintf("%s: saved %s, requested %s", name, a, b))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("the saved model has different hyperparameters (%s); use another directory", strings.Join(diffs, "; "))
	}
	return nil
}

// Fit trains the model up to the step budget of its Config (Config.StepsFor), continuing
// from its current global step. With opts.Dir it checkpoints there, without locking it:
// Train and TrainOrLoad hold the lock.
func (m *Model) Fit(trainSet, heldOut *data.Set, opts TrainOptions) error {
	if err := m.checkFitSets(trainSet, heldOut); err != nil {
		return err
	}
	cfg := &m.Config
	trainer := m.getTrainer()
	remaining := cfg.StepsFor(trainSet.N) - m.GlobalStep()
	if opts.Dir != "" && m.GlobalStep() > 0 && remaining > 0 {
		fmt.Fprintf(opts.log(), "vaekit: resuming the model in %s from step %d of %d\n", opts.Dir, m.GlobalStep(), cfg.StepsFor(trainSet.N))
	}
	if opts.OnStart != nil {
		opts.OnStart(m)
	}
	run, err := m.newFitRun(trainSet, heldOut, opts)
	if err != nil {
		return err
	}
	defer run.release()

	loop := train.NewLoop(trainer)
	if !opts.Quiet {
		commandline.AttachProgressBar(loop)
	}
	if err := m.followLearningRateSchedule(loop, trainSet.N); err != nil {
		return err
	}
	// Stop at the first non-finite loss, before the evaluation hook (hooks with lower
	// priority run first) could checkpoint the broken weights; at a stop request, before
	// evaluating too, so that the run ends soon.
	run.onStep(loop, "vaekit: finite loss", -100, run.addStepLoss)
	run.onStep(loop, "vaekit: stop", 50, run.checkStop)
	if cfg.EvalEvery > 0 {
		run.onStep(loop, "vaekit: evaluate", 100, func(loop *train.Loop, _ []*tensors.Tensor) error {
			if step := loop.LoopStep + 1; step%cfg.EvalEvery == 0 { // LoopStep counts from 0.
				return run.evaluate(step)
			}
			return nil
		})
	}
	if remaining > 0 {
		if stopRequested(opts.Stop) {
			return fmt.Errorf("vaekit: %w at step %d, before any new step: nothing new to save", ErrInterrupted, m.GlobalStep())
		}
		if _, err := loop.RunSteps(run.trainDS, remaining); err != nil {
			return run.failed(err)
		}
	}
	if n := len(m.History); n == 0 || m.History[n-1].Step != m.GlobalStep() {
		return run.evaluate(m.GlobalStep())
	}
	return nil
}

// checkFitSets checks the training and held-out sets that Fit is given.
func (m *Model) checkFitSets(trainSet, heldOut *data.Set) error {
	if err := m.checkSet(trainSet, "training set"); err != nil {
		return err
	}
	if err := m.checkSet(heldOut, "held-out set"); err != nil {
		return err
	}
	if trainSet.N < m.Config.BatchSize {
		return fmt.Errorf("vaekit: the training set has %d images, fewer than batch_size=%d", trainSet.N, m.Config.BatchSize)
	}
	if err := m.Config.datasetSizeProblem(); err != nil {
		return fmt.Errorf("%w; this training set has %d images: set dataset_size=%d, or train through vaekit.Train (or the model cache), which takes it from the training data", err, trainSet.N, trainSet.N)
	}
	return nil
}

// fitRun is one run of Fit: its data on the device, and what its evaluations record.
type fitRun struct {
	m       *Model
	opts    TrainOptions
	heldOut *data.Set

	// Data stays on the device; GoMLX gathers each batch there.
	trainDS, trainEvalDS, heldOutDS *dataset.InMemoryDataset
	heldOutImages                   *data.Set // The held-out images as the model sees them (binarised).

	lossSum   float64 // Training losses since the last record.
	lossSteps int
	start     time.Time
	before    float64 // The wall time of the runs this one resumes.
	steps     int     // The run's budget (Config.StepsFor).
	hookErr   error   // The error one of the run's hooks stopped the loop with.
}

// newFitRun uploads the training set (shuffled from the seed and the step reached, so a
// resumed run draws other batches than the run it resumes), the training images scored
// at each evaluation, and the held-out set.
func (m *Model) newFitRun(trainSet, heldOut *data.Set, opts TrainOptions) (*fitRun, error) {
	cfg := &m.Config
	run := &fitRun{m: m, opts: opts, heldOut: heldOut, heldOutImages: m.evalImages(heldOut), start: time.Now(), steps: cfg.StepsFor(trainSet.N)}
	if n := len(m.History); n > 0 {
		run.before = m.History[n-1].WallSeconds
	}
	shuffle := mathrand.New(mathrand.NewSource(int64(cfg.Seed) + int64(m.GlobalStep())))
	var err error
	if run.trainDS, err = m.inMemory(m.trainImages(trainSet), "train"); err != nil {
		return nil, err
	}
	run.trainDS.Shuffle().BatchSize(cfg.BatchSize, true).Infinite(true).WithRand(shuffle)
	evalSize := opts.TrainEvalSize
	if evalSize <= 0 {
		evalSize = 10_000
	}
	if run.trainEvalDS, err = m.evalDataset(trainSet.Head(min(evalSize, trainSet.N)), "train-eval"); err != nil {
		run.release()
		return nil, err
	}
	if run.heldOutDS, err = m.evalDataset(heldOut, "held-out"); err != nil {
		run.release()
		return nil, err
	}
	return run, nil
}

// release frees the run's data on the device.
func (r *fitRun) release() {
	for _, ds := range []*dataset.InMemoryDataset{r.trainDS, r.trainEvalDS, r.heldOutDS} {
		if ds != nil {
			ds.FinalizeAll()
		}
	}
}

// addStepLoss adds a step's training loss to the next record's StepLoss, and stops the
// run at a loss that is not finite.
func (r *fitRun) addStepLoss(loop *train.Loop, metrics []*tensors.Tensor) error {
	loss := float64(tensors.ToScalar[float32](metrics[0]))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		where := ""
		switch {
		case r.opts.Dir == "":
		case HasSavedModel(r.opts.Dir):
			where = fmt.Sprintf("; the last good checkpoint in %s is kept", r.opts.Dir)
		default:
			where = fmt.Sprintf("; nothing was saved in %s", r.opts.Dir)
		}
		return fmt.Errorf("vaekit: at step %d the training loss is %v: %w (try a lower learning_rate%s)", loop.LoopStep+1, loss, ErrNotFinite, where)
	}
	r.lossSum += loss
	r.lossSteps++
	return nil
}

// evaluate records the model at step in its History (and its frame, with opts.Frames),
// tells opts.OnEval, and checkpoints into opts.Dir.
func (r *fitRun) evaluate(step int) error {
	m, cfg := r.m, &r.m.Config
	record := Record{Step: step}
	if r.lossSteps > 0 {
		record.StepLoss = r.lossSum / float64(r.lossSteps)
		r.lossSum, r.lossSteps = 0, 0
	}
	var err error
	if record.Train, err = m.evaluateDS(r.trainEvalDS); err != nil {
		return err
	}
	if record.HeldOut, err = m.evaluateDS(r.heldOutDS); err != nil {
		return err
	}
	if err := m.recordCodes(&record, r.heldOutImages); err != nil {
		return err
	}
	if r.opts.Frames > 0 {
		if err := m.recordFrame(step, r.heldOut.Head(min(r.opts.Frames, r.heldOut.N))); err != nil {
			return err
		}
	}
	if cfg.EvalIWAESamples > 0 {
		// The same draws at every evaluation, so that the curve's steps are the model's.
		if record.HeldOutIWAENLL, _, err = m.iwae(r.heldOut, cfg.EvalIWAESamples, cfg.Seed, nil); err != nil {
			return err
		}
	}
	record.WallSeconds = r.before + time.Since(r.start).Seconds()
	m.History = append(m.History, record)
	if r.opts.OnEval != nil {
		r.opts.OnEval(record)
	}
	if r.opts.Dir != "" {
		return m.Save(r.opts.Dir)
	}
	return nil
}

// followLearningRateSchedule sets the schedule's rate of the coming step now and between
// steps (it changes only a few times, at epoch boundaries); a constant rate needs nothing.
func (m *Model) followLearningRateSchedule(loop *train.Loop, trainImages int) error {
	cfg := &m.Config
	if cfg.LRSchedule == "constant" {
		return nil
	}
	stepsPerEpoch := cfg.StepsPerEpoch(trainImages)
	if err := m.setLearningRate(cfg.LearningRateAt(m.GlobalStep() / stepsPerEpoch)); err != nil {
		return err
	}
	loop.OnStep("vaekit: learning rate schedule", 0, func(loop *train.Loop, _ []*tensors.Tensor) error {
		return m.setLearningRate(cfg.LearningRateAt(m.GlobalStep() / stepsPerEpoch))
	})
	return nil
}

// setLearningRate sets the optimizer's learning rate variable (which every vaekit
// optimizer reads at each step) if it holds another value.
func (m *Model) setLearningRate(lr float64) error {
	v := optimizer.LearningRateVarWithValue(m.store.RootScope(), dtypes.Float32, lr)
	if current, err := v.Value(); err == nil && float64(tensors.ToScalar[float32](current)) == float64(float32(lr)) {
		return nil
	}
	if err := v.SetValue(tensors.FromScalar(float32(lr))); err != nil {
		return fmt.Errorf("vaekit: setting the learning rate to %g: %w", lr, err)
	}
	return nil
}

// recordCodes adds the code diagnostics of the held-out images to record: active units
// and, for a VAE, the mean posterior standard deviation (the collapse diagnostic).
func (m *Model) recordCodes(record *Record, images *data.Set) error {
	means, logVars, err := m.encode(images)
	if err != nil {
		return err
	}
	activity, err := UnitActivity(means)
	if err != nil {
		return err
	}
	record.ActiveUnits = countActive(activity)
	if logVars != nil {
		record.PosteriorStdMean, err = MeanPosteriorStd(logVars)
	}
	return err
}

// evaluate scores a data set with the model: per-image averages in nats. The
// reconstruction and KL terms are single-sample Monte Carlo estimates (one z per image).
func (m *Model) evaluate(set *data.Set) (Terms, error) {
	if err := m.checkSet(set, "evaluation set"); err != nil {
		return Terms{}, err
	}
	if err := m.Config.datasetSizeProblem(); err != nil {
		return Terms{}, err // Its loss needs N.
	}
	ds, err := m.evalDataset(set, "eval")
	if err != nil {
		return Terms{}, err
	}
	defer ds.FinalizeAll()
	m.getTrainer()
	return m.evaluateDS(ds)
}

func (m *Model) evaluateDS(ds *dataset.InMemoryDataset) (Terms, error) {
	results, err := m.trainer.Eval(ds)
	if err != nil {
		return Terms{}, fmt.Errorf("vaekit: evaluating on %s: %w", ds.Name(), err)
	}
	byName := map[string]float64{} // The trainer's mean loss ("#loss"), then getTrainer's evalMetrics.
	for i, mt := range m.trainer.EvalMetrics() {
		byName[mt.ShortName()] = float64(tensors.ToScalar[float32](results[i]))
	}
	return Terms{Loss: byName["#loss"], Reconstruction: byName["#recon"], KL: byName["#kl"], NegELBO: byName["#neg_elbo"]}, nil
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
		workarounds.FlushSubnormals{Interface: m.newOptimizer()}, trainMetrics, evalMetrics)
	return m.trainer
}

// How a training run ends early: one of its hooks returns an error (a non-finite loss, a
// checkpoint that cannot be written), or the caller closes TrainOptions.Stop. Either way
// the error Fit returns leads with what happened, not with where in GoMLX's loop it was
// noticed ("Loop.RunSteps(40): failed TrainStep(LoopStep=19): train.Loop.OnStep(hook ...").

// ErrInterrupted is wrapped by the error of Train and Fit when TrainOptions.Stop ended the
// run.
var ErrInterrupted = errors.New("training interrupted")

// errStop is the stop hook's way to end GoMLX's loop.
var errStop = errors.New("stop requested")

// onStep adds a hook to the loop that records the error it stops the loop with.
func (r *fitRun) onStep(loop *train.Loop, name string, priority int, hook func(*train.Loop, []*tensors.Tensor) error) {
	loop.OnStep(name, train.Priority(priority), func(loop *train.Loop, metrics []*tensors.Tensor) error {
		err := hook(loop, metrics)
		if err != nil {
			r.hookErr = err
		}
		return err
	})
}

// checkStop ends the loop once TrainOptions.Stop is closed.
func (r *fitRun) checkStop(*train.Loop, []*tensors.Tensor) error {
	if stopRequested(r.opts.Stop) {
		return errStop
	}
	return nil
}

// stopRequested reports whether stop is closed (never, when nil).
func stopRequested(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// failed is Fit's error for a loop that failed with err: the hook's own error, which says
// what happened and what to do; a checkpoint of the step reached when interrupted.
func (r *fitRun) failed(err error) error {
	switch {
	case errors.Is(r.hookErr, errStop):
		return r.interrupted()
	case r.hookErr != nil:
		return r.hookErr
	}
	return fmt.Errorf("vaekit: training: %w", err)
}

// interrupted saves the model at the step it reached, and says so.
func (r *fitRun) interrupted() error {
	step := r.m.GlobalStep()
	if r.opts.Dir == "" {
		return fmt.Errorf("vaekit: %w at step %d of %d", ErrInterrupted, step, r.steps)
	}
	if err := r.m.Save(r.opts.Dir); err != nil {
		return fmt.Errorf("vaekit: %w at step %d of %d, and its checkpoint failed: %w", ErrInterrupted, step, r.steps, err)
	}
	return fmt.Errorf("vaekit: %w at step %d of %d: the model is saved in %s at step %d", ErrInterrupted, step, r.steps, r.opts.Dir, step)
}
