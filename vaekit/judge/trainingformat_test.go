package judge

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit/data"
)

// judgeFingerprint is what a few steps of the judge's training make of fixed images:
// the features of four of them, summed per image, recorded under TrainingFormat Format.
var judgeFingerprint = struct {
	Format int
	Sums   []float64
}{
	Format: 1,
	Sums:   []float64{27.2879449, 29.1280144, 31.2505471, 27.9597406},
}

// labelledBlobs is n 28x28 images of a bright square whose place says its label.
func labelledBlobs(n int, seed uint64) *data.Set {
	rng := rand.New(rand.NewPCG(seed, 3))
	set := &data.Set{Name: data.MNIST, N: n, Height: height, Width: width, Images: make([]float32, n*height*width), Labels: make([]uint8, n)}
	for i := range n {
		label := i % 10
		set.Labels[i] = uint8(label)
		x0, y0 := 2+2*label, 4+rng.IntN(10)
		for y := y0; y < y0+8; y++ {
			for x := x0; x < x0+8; x++ {
				set.Images[i*height*width+y*width+x] = 1
			}
		}
	}
	return set
}

// TestJudgeTrainingFingerprint fails when what the judge trains to changes while
// TrainingFormat stays: cached judges would then pass for today's code's.
func TestJudgeTrainingFingerprint(t *testing.T) {
	s := defaultSettings(data.MNIST)
	s.Steps, s.BatchSize = 5, 20
	j, err := newJudge(testBackend(t), s)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.train(labelledBlobs(100, 1), labelledBlobs(20, 2), false, io.Discard); err != nil {
		t.Fatal(err)
	}
	features, err := j.Features(labelledBlobs(4, 3))
	if err != nil {
		t.Fatal(err)
	}
	sums := make([]float64, len(features))
	for i, row := range features {
		for _, v := range row {
			sums[i] += float64(v)
		}
	}
	same := len(sums) == len(judgeFingerprint.Sums)
	worst := 0.0
	for i := 0; same && i < len(sums); i++ {
		worst = max(worst, math.Abs(sums[i]-judgeFingerprint.Sums[i])/math.Max(math.Abs(judgeFingerprint.Sums[i]), 1e-2))
	}
	// Float32 rounding differs between CPUs' kernels; a change to the training moves these sums far more.
	const tolerance = 1e-4
	same = same && worst <= tolerance
	t.Logf("largest relative deviation from the recorded fingerprint: %.2g (tolerance %g)", worst, tolerance)
	record := make([]string, len(sums))
	for i, v := range sums {
		record[i] = fmt.Sprintf("%.9g", v)
	}
	switch {
	case judgeFingerprint.Format != TrainingFormat:
		t.Fatalf("judge.TrainingFormat is %d, but judgeFingerprint was recorded under format %d: record today's: Format: %d, Sums: []float64{%s}",
			TrainingFormat, judgeFingerprint.Format, TrainingFormat, strings.Join(record, ", "))
	case !same:
		t.Fatalf("what the judge trains to changed (feature sums %v, recorded %v), but judge.TrainingFormat is still %d. "+
			"If the change is meant: bump TrainingFormat to %d in vaekit/judge/trainingformat.go, record Format: %d, Sums: []float64{%s}, and regenerate the notebooks from an empty model cache (scripts/refresh_notebooks.sh --from-scratch)",
			sums, judgeFingerprint.Sums, TrainingFormat, TrainingFormat+1, TrainingFormat+1, strings.Join(record, ", "))
	}
}
