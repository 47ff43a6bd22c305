// Command vaekit-bench measures vaekit's steady-state training speed (images/s), the time
// of one epoch, peak memory and the held-out negative ELBO after training for a set of
// VAEs on real MNIST, and, in the same run, the same models in PyTorch (Debian's
// python3-torch; skipped with a message when it is missing), interleaved round by round,
// and prints the vaekit / PyTorch ratios and, for pytorch/examples' VAE trained its full
// 10 epochs, the held-out -ELBO difference; for notebook 05's VAE and IWAE (k=5) trained 10
// epochs (burda-vae, burda-iwae5, run only when named), the IWAE estimate of -log p(x) of
// each framework, their paired difference and the active units.
//
//	scripts/bench.sh                      # every model but the burda-* parity ones, 3 rounds
//	scripts/bench.sh -quick               # smoke run: 60 steps a model, 1 round
//	scripts/bench.sh -models pytorch-examples -rounds 3   # the parity with PyTorch
//	scripts/bench.sh -models burda-vae,burda-iwae5 -seeds 1,2,3   # notebook 05's likelihood parity
//	scripts/bench.sh -simd avx2           # both frameworks on their AVX2 kernels
//	go run ./cmd/vaekit-bench -report out/bench/results.json   # a saved run's table
//	go run ./cmd/vaekit-bench -models mlp-512-2-b128,conv-b64 -rounds 3
//
// Every (model, framework, round) runs in its own child process, so peak memory
// (VmHWM) is that run's alone. Set GOMLX_BACKEND=go for the pure Go backend.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/vaekit/vaekit/cmd/vaekit-bench/internal/bench"
)

func main() {
	flags := parseFlags()
	if flags.report != "" {
		saved, err := bench.ReadResults(flags.report)
		if err != nil {
			exit(err, 1)
		}
		fmt.Print(saved)
		return
	}
	if flags.child != "" {
		err := bench.ChildMain(flags.child, bench.RunOptions{Steps: flags.steps, Window: flags.window, CPUProfile: flags.cpuprofile, Seed: flags.seed,
			HeldOutImages: flags.heldOut, NLLImages: flags.nllImages, NLLK: flags.nllK}, flags.binaryTest)
		if err != nil {
			exit(err, 1)
		}
		return
	}
	opts, err := benchOptions(flags)
	if err != nil {
		exit(err, 2)
	}
	saved, err := bench.Run(opts)
	if err != nil {
		exit(err, 1)
	}
	fmt.Printf("\n%s", saved)
	if anyRunFailed(saved) {
		os.Exit(1)
	}
}

// commandLine holds the flags' values (see parseFlags for what each means).
type commandLine struct {
	// A saved run's table to print instead of running.
	report string
	// A child process's: the model it runs, and its profile, seed and test images.
	child, cpuprofile, binaryTest string
	seed                          int64
	// The driver's, and passed on to every run.
	models, seeds         string
	rounds, steps, window int
	torch                 bool
	python, ompWait       string
	threads               int
	mnistDir              string
	out, profileDir       string
	quick                 bool
	simd                  string
	heldOut               int
	nllImages, nllK       int
}

// parseFlags defines the flags and parses the command line.
func parseFlags() commandLine {
	var c commandLine
	flag.StringVar(&c.child, "child", "", "internal: run one model with vaekit in this process and print its result")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "child: write a CPU profile of the steps after warm-up")
	flag.Int64Var(&c.seed, "seed", 1, "child: seeds initialisation, shuffling and sampling (the driver passes the round's)")
	flag.StringVar(&c.models, "models", "", "comma-separated models (default: "+strings.Join(bench.DefaultModelNames(), ", ")+"); all: "+strings.Join(bench.ModelNames(), ", "))
	flag.IntVar(&c.rounds, "rounds", 3, "interleaved repetitions (medians are reported); round r has seed r")
	flag.StringVar(&c.seeds, "seeds", "", "comma-separated seeds, one interleaved round each (overrides -rounds)")
	flag.IntVar(&c.nllImages, "nll-images", bench.DefaultNLLImages, "likelihood models (burda-vae, burda-iwae5): test images of the IWAE estimate of -log p(x)")
	flag.IntVar(&c.nllK, "nll-k", bench.DefaultNLLK, "likelihood models: importance samples per image of that estimate")
	flag.StringVar(&c.binaryTest, "binary-test", "", "child: the file of binarised test images to score notebook 05's models on (the driver writes it)")
	flag.IntVar(&c.steps, "steps", 0, "training steps per run, warm-up included (0: each model's default)")
	flag.IntVar(&c.window, "window", 50, "steps between time stamps; the first window is the warm-up")
	flag.BoolVar(&c.torch, "torch", true, "also run the PyTorch peer")
	flag.StringVar(&c.python, "python", "/usr/bin/python3", "python with torch (Debian's python3-torch)")
	flag.IntVar(&c.threads, "threads", 2, "PyTorch threads")
	flag.StringVar(&c.ompWait, "omp-wait-policy", "default,PASSIVE", "OMP_WAIT_POLICY values to run PyTorch with, comma-separated; each round the faster counts (libgomp's default spin-waits: fastest on a quiet machine, 5-15x slower when another process shares the CPUs)")
	flag.StringVar(&c.mnistDir, "mnist-dir", "", "directory with MNIST's IDX .gz files for the peer (default: the GoMNIST module's)")
	flag.StringVar(&c.out, "out", "", "directory for results.json and table.md")
	flag.StringVar(&c.profileDir, "profile", "", "directory for CPU profiles of the vaekit runs")
	flag.BoolVar(&c.quick, "quick", false, "smoke run: 60 steps (window 20), 1 round, 1,000 held-out images; likelihood models: IWAE k=100 on 50 images")
	flag.StringVar(&c.simd, "simd", bench.SIMDNative, "SIMD kernels both frameworks may use: native (each its own choice for this CPU) or avx2 (held to AVX2 on an AVX-512 CPU too: GoMLX's GOMLX_GO_SIMD_AVX512=false, OpenBLAS's OPENBLAS_CORETYPE=Haswell, oneDNN's DNNL_MAX_CPU_ISA=AVX2, ATen's ATEN_CPU_CAPABILITY=avx2, glibc's AVX-512 memcpy off)")
	flag.IntVar(&c.heldOut, "heldout", 0, "MNIST test images scored after each run's training, for the held-out -ELBO (0: all 10,000; -1: none)")
	flag.StringVar(&c.report, "report", "", "print the table of a saved results.json instead of running")
	flag.Parse()
	return c
}

// benchOptions are the driver's options from the command line.
func benchOptions(c commandLine) (bench.Options, error) {
	opts := bench.Options{
		Rounds: c.rounds, Steps: c.steps, Window: c.window, Torch: c.torch, Python: c.python, Threads: c.threads, OMPWaitPolicies: strings.Split(c.ompWait, ","),
		MNISTDir: c.mnistDir, OutDir: c.out, Profile: c.profileDir, SIMD: c.simd, HeldOutImages: c.heldOut,
		NLLImages: c.nllImages, NLLK: c.nllK,
	}
	if c.models != "" {
		opts.Models = strings.Split(c.models, ",")
	}
	if c.seeds != "" {
		for _, s := range strings.Split(c.seeds, ",") {
			seed, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || seed < 1 {
				return opts, fmt.Errorf("-seeds: %q is not a seed (a positive integer)", s)
			}
			opts.Seeds = append(opts.Seeds, seed)
		}
	}
	if c.quick {
		shortenForQuick(&opts)
	}
	return opts, nil
}

// shortenForQuick makes opts the -quick smoke run's, keeping the likelihood estimate's
// size where its flags were given.
func shortenForQuick(opts *bench.Options) {
	opts.Steps, opts.Window, opts.Rounds = 60, 20, 1
	if opts.HeldOutImages == 0 {
		opts.HeldOutImages = 1000
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["nll-images"] {
		opts.NLLImages = 50
	}
	if !set["nll-k"] {
		opts.NLLK = 100
	}
}

// anyRunFailed reports whether a run of either framework failed.
func anyRunFailed(report *bench.Report) bool {
	for _, s := range report.Summaries {
		for _, r := range append(s.Go, s.Torch...) {
			if r.Error != "" {
				return true
			}
		}
	}
	return false
}

// exit prints err and ends the program with code.
func exit(err error, code int) {
	fmt.Fprintln(os.Stderr, "vaekit-bench:", err)
	os.Exit(code)
}
