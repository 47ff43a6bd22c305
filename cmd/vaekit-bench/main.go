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
	var (
		child      = flag.String("child", "", "internal: run one model with vaekit in this process and print its result")
		cpuprofile = flag.String("cpuprofile", "", "child: write a CPU profile of the steps after warm-up")
		seed       = flag.Int64("seed", 1, "child: seeds initialisation, shuffling and sampling (the driver passes the round's)")
		models     = flag.String("models", "", "comma-separated models (default: "+strings.Join(bench.DefaultModelNames(), ", ")+"); all: "+strings.Join(bench.ModelNames(), ", "))
		rounds     = flag.Int("rounds", 3, "interleaved repetitions (medians are reported); round r has seed r")
		seeds      = flag.String("seeds", "", "comma-separated seeds, one interleaved round each (overrides -rounds)")
		nllImages  = flag.Int("nll-images", bench.DefaultNLLImages, "likelihood models (burda-vae, burda-iwae5): test images of the IWAE estimate of -log p(x)")
		nllK       = flag.Int("nll-k", bench.DefaultNLLK, "likelihood models: importance samples per image of that estimate")
		binaryTest = flag.String("binary-test", "", "child: the file of binarised test images to score notebook 05's models on (the driver writes it)")
		steps      = flag.Int("steps", 0, "training steps per run, warm-up included (0: each model's default)")
		window     = flag.Int("window", 50, "steps between time stamps; the first window is the warm-up")
		torch      = flag.Bool("torch", true, "also run the PyTorch peer")
		python     = flag.String("python", "/usr/bin/python3", "python with torch (Debian's python3-torch)")
		threads    = flag.Int("threads", 2, "PyTorch threads")
		ompWait    = flag.String("omp-wait-policy", "default,PASSIVE", "OMP_WAIT_POLICY values to run PyTorch with, comma-separated; each round the faster counts (libgomp's default spin-waits: fastest on a quiet machine, 5-15x slower when another process shares the CPUs)")
		mnistDir   = flag.String("mnist-dir", "", "directory with MNIST's IDX .gz files for the peer (default: the GoMNIST module's)")
		out        = flag.String("out", "", "directory for results.json and table.md")
		profileDir = flag.String("profile", "", "directory for CPU profiles of the vaekit runs")
		quick      = flag.Bool("quick", false, "smoke run: 60 steps (window 20), 1 round, 1,000 held-out images; likelihood models: IWAE k=100 on 50 images")
		simd       = flag.String("simd", bench.SIMDNative, "SIMD kernels both frameworks may use: native (each its own choice for this CPU) or avx2 (held to AVX2 on an AVX-512 CPU too: GoMLX's GOMLX_GO_SIMD_AVX512=false, OpenBLAS's OPENBLAS_CORETYPE=Haswell, oneDNN's DNNL_MAX_CPU_ISA=AVX2, ATen's ATEN_CPU_CAPABILITY=avx2, glibc's AVX-512 memcpy off)")
		heldOut    = flag.Int("heldout", 0, "MNIST test images scored after each run's training, for the held-out -ELBO (0: all 10,000; -1: none)")
		report     = flag.String("report", "", "print the table of a saved results.json instead of running")
	)
	flag.Parse()
	if *report != "" {
		saved, err := bench.ReadResults(*report)
		if err != nil {
			fmt.Fprintln(os.Stderr, "vaekit-bench:", err)
			os.Exit(1)
		}
		fmt.Print(saved)
		return
	}
	if *child != "" {
		err := bench.ChildMain(*child, bench.RunOptions{Steps: *steps, Window: *window, CPUProfile: *cpuprofile, Seed: *seed, HeldOutImages: *heldOut,
			NLLImages: *nllImages, NLLK: *nllK}, *binaryTest)
		if err != nil {
			fmt.Fprintln(os.Stderr, "vaekit-bench:", err)
			os.Exit(1)
		}
		return
	}
	opts := bench.Options{
		Rounds: *rounds, Steps: *steps, Window: *window, Torch: *torch, Python: *python, Threads: *threads, OMPWaitPolicies: strings.Split(*ompWait, ","),
		MNISTDir: *mnistDir, OutDir: *out, Profile: *profileDir, SIMD: *simd, HeldOutImages: *heldOut,
		NLLImages: *nllImages, NLLK: *nllK,
	}
	if *models != "" {
		opts.Models = strings.Split(*models, ",")
	}
	if *seeds != "" {
		for _, s := range strings.Split(*seeds, ",") {
			seed, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || seed < 1 {
				fmt.Fprintf(os.Stderr, "vaekit-bench: -seeds: %q is not a seed (a positive integer)\n", s)
				os.Exit(2)
			}
			opts.Seeds = append(opts.Seeds, seed)
		}
	}
	if *quick {
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
	saved, err := bench.Run(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vaekit-bench:", err)
		os.Exit(1)
	}
	fmt.Printf("\n%s", saved)
	failed := false
	for _, s := range saved.Summaries {
		for _, r := range append(s.Go, s.Torch...) {
			failed = failed || r.Error != ""
		}
	}
	if failed {
		os.Exit(1)
	}
}
