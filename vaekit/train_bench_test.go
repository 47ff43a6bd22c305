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
func BenchmarkTrainSteps(b *testing.B) {
	trainSet, testSet := realMNIST(b)
	cfg := DefaultConfig()
	cfg.EvalEvery = 0
	m, err := NewModel(cfg)
	if err != nil {
		b.Fatal(err)
	}
	warmup := 20
	m.Config.Steps = warmup
	if err := m.Fit(trainSet, testSet.Subset(1000), TrainOptions{Quiet: true, TrainEvalSize: 1000}); err != nil {
		b.Fatal(err)
	}
	m.Config.Steps = warmup + b.N
	start := time.Now()
	b.ResetTimer()
	if err := m.Fit(trainSet, testSet.Subset(1000), TrainOptions{Quiet: true, TrainEvalSize: 1000}); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*cfg.BatchSize)/time.Since(start).Seconds(), "images/s")
}
