package vaekit

import (
	"testing"
	"time"
)

// BenchmarkTrainSteps measures steady-state training throughput of the default model
// (784-400-20, batch 128) on real MNIST: compile and warm-up steps are excluded.
// Compare builds side by side, e.g. with and without GOEXPERIMENT=simd:
//
//	go test ./vaekit/ -run '^$' -bench TrainSteps -benchtime 300x
//
// The full benchmark, next to PyTorch and with peak memory, is scripts/bench.sh.
func BenchmarkTrainSteps(b *testing.B) {
	benchmarkTrainSteps(b, DefaultConfig())
}

// BenchmarkTrainStepsConv is BenchmarkTrainSteps for architecture=conv (the TensorFlow
// tutorial's network) with an 8-dimensional code and batches of 64:
//
//	go test ./vaekit/ -run '^$' -bench TrainStepsConv -benchtime 50x
func BenchmarkTrainStepsConv(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Architecture = "conv"
	cfg.LatentDim = 8
	cfg.BatchSize = 64
	benchmarkTrainSteps(b, cfg)
}

func benchmarkTrainSteps(b *testing.B, cfg Config) {
	trainSet, testSet := realMNIST(b)
	cfg.EvalEvery = 0
	m, err := NewModel(cfg)
	if err != nil {
		b.Fatal(err)
	}
	opts := TrainOptions{Quiet: true, TrainEvalSize: 1000}
	warmup := 20
	m.Config.Steps = warmup
	if err := m.Fit(trainSet, testSet.Head(1000), opts); err != nil {
		b.Fatal(err)
	}
	m.Config.Steps = warmup + b.N
	start := time.Now()
	b.ResetTimer()
	if err := m.Fit(trainSet, testSet.Head(1000), opts); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*cfg.BatchSize)/time.Since(start).Seconds(), "images/s")
}
