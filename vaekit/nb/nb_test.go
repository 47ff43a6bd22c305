package nb

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
	"github.com/vaekit/vaekit/vaekit/judge"
)

func TestMain(m *testing.M) {
	if os.Getenv("GOMLX_BACKEND") == "" {
		os.Setenv("GOMLX_BACKEND", "go") // Never depend on an XLA plugin.
	}
	os.Exit(m.Run())
}

// blobs is a small synthetic data set: one Gaussian blob per image, at a position set by i.
func blobs(n int) *data.Set {
	s := &data.Set{Name: data.MNIST, Split: data.Train, N: n, Height: 28, Width: 28,
		Images: make([]float32, n*784), Labels: make([]uint8, n)}
	for i := range n {
		cx, cy := float64(6+i%16), float64(6+(i*7)%16)
		for y := range 28 {
			for x := range 28 {
				d2 := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
				s.Images[i*784+y*28+x] = float32(math.Exp(-d2 / 18))
			}
		}
	}
	return s
}

// output runs f and returns what it printed (nb's stdout).
func output(t *testing.T, f func()) string {
	t.Helper()
	var b strings.Builder
	saved := stdout
	stdout = &b
	defer func() { stdout = saved }()
	f()
	return b.String()
}

// In quick mode Train trains vaekit.Quick(cfg) through the model cache; Trained and
// TrainAndWatch then load that model: Trained in one quiet line, TrainAndWatch showing it
// (watch called once, at the last step).
func TestTrainGoesThroughTheCacheInQuickMode(t *testing.T) {
	t.Setenv("VAEKIT_QUICK", "1")
	t.Setenv("VAEKIT_MODELS", t.TempDir())
	cfg := vaekit.DefaultConfig()
	cfg.HiddenDims, cfg.LatentDim, cfg.BatchSize, cfg.EvalBatchSize = []int{16}, 2, 16, 32
	cfg.Steps = 3000 // Quick mode trains 150.
	train, test := blobs(64), blobs(32)
	for i := range test.Images {
		test.Images[i] *= 0.5 // Fainter than the training images: the held-out terms differ from the training subset's.
	}
	quick := vaekit.Quick(cfg)
	dir, err := vaekit.CachedModelDir(quick)
	if err != nil {
		t.Fatal(err)
	}

	var m *vaekit.Model
	out := output(t, func() { m = Train(cfg, train, test) })
	if m.GlobalStep() != 150 || m.Config.String() != quick.String() || !vaekit.HasSavedModel(dir) {
		t.Fatalf("Train in quick mode: step %d, config %s, saved in %s: %v; want 150 steps of vaekit.Quick(cfg) in the cache", m.GlobalStep(), m.Config, dir, vaekit.HasSavedModel(dir))
	}
	// The summary line (whose format scripts/check_notebook.py reads) holds the held-out
	// terms of the last evaluation.
	last := m.History[len(m.History)-1]
	summary := func(terms vaekit.Terms) string {
		return fmt.Sprintf("vae after 150 steps: held-out reconstruction %.1f + KL %.1f = %.1f nats per image (negative ELBO) of 784 values; %d active units\n",
			terms.Reconstruction, terms.KL, terms.NegELBO, last.ActiveUnits)
	}
	if summary(last.Train) == summary(last.HeldOut) {
		t.Fatalf("test data: the training subset's and the held-out terms print the same: %q", summary(last.HeldOut))
	}
	if want := summary(last.HeldOut); out != want {
		t.Errorf("Train printed %q, want the summary of the held-out terms %q", out, want)
	}

	out = output(t, func() { m = Trained(cfg, train, test) })
	if want := "(vae model of 150 steps, loaded from the model cache: " + filepath.Base(dir) + ")\n"; out != want || m.GlobalStep() != 150 {
		t.Errorf("Trained printed %q (step %d), want exactly %q", out, m.GlobalStep(), want)
	}

	var watched []int
	out = output(t, func() {
		m = TrainAndWatch(cfg, train, test, func(wm *vaekit.Model, r vaekit.Record) {
			watched = append(watched, r.Step, wm.GlobalStep())
		})
	})
	took := time.Duration(m.History[len(m.History)-1].WallSeconds * float64(time.Second)).Round(time.Second)
	if want := "found a model trained earlier with these settings in the model cache: " + filepath.Base(dir) +
		" (its training took " + took.String() + ")\nvae after 150 steps"; !strings.HasPrefix(out, want) {
		t.Errorf("TrainAndWatch of a cached model printed %q, want it to start with %q", out, want)
	}
	if len(watched) != 2 || watched[0] != 150 || watched[1] != 150 {
		t.Errorf("watch saw (step, model step) %v, want one call at 150", watched)
	}
}

// Outside quick mode the budget is cfg's own; while training, watch sees the model
// being trained at each evaluation.
func TestTrainAndWatchSeesTheTrainingModel(t *testing.T) {
	t.Setenv("VAEKIT_QUICK", "")
	t.Setenv("VAEKIT_MODELS", t.TempDir())
	cfg := vaekit.DefaultConfig()
	cfg.HiddenDims, cfg.LatentDim, cfg.BatchSize, cfg.EvalBatchSize = []int{16}, 2, 16, 32
	cfg.Steps, cfg.EvalEvery = 20, 10
	var watched []int
	output(t, func() {
		TrainAndWatch(cfg, blobs(64), blobs(32), func(m *vaekit.Model, r vaekit.Record) {
			watched = append(watched, r.Step, m.GlobalStep())
		})
	})
	if len(watched) != 4 || watched[0] != 10 || watched[1] != 10 || watched[2] != 20 || watched[3] != 20 {
		t.Errorf("watch saw (step, model step) %v, want (10, 10) and (20, 20)", watched)
	}
}

func TestMustPanicsWithTheError(t *testing.T) {
	want := errors.New("boom")
	defer func() {
		if r := recover(); r != want {
			t.Errorf("recovered %v, want the error itself", r)
		}
	}()
	Must(0, want)
}

// In quick mode nb.Judge trains (then loads) the quick judge, and says how good it is.
func TestJudgeInQuickMode(t *testing.T) {
	t.Setenv("VAEKIT_QUICK", "1")
	t.Setenv("VAEKIT_MODELS", t.TempDir())
	var first, second, again *judge.Judge
	trained := output(t, func() { first = Judge("mnist") })
	clear(judges.byName) // As in the next cell, another process.
	loaded := output(t, func() { second = Judge("mnist") })
	if quiet := output(t, func() { again = Judge("mnist") }); quiet != "" || again != second {
		t.Errorf("asked again in the same process, nb.Judge printed %q and returned another judge: %v", quiet, again != second)
	}
	if first.Info.Settings.Steps != QuickJudgeSteps || first.Dir() != second.Dir() {
		t.Errorf("quick judges of %d steps in %s and %s, want %d steps in one cache entry", first.Info.Settings.Steps, first.Dir(), second.Dir(), QuickJudgeSteps)
	}
	want := fmt.Sprintf("the judge of mnist (%d training steps, %.0f s; cache entry %s): %.2f%% of the test images classified right\n",
		QuickJudgeSteps, first.Info.TrainSeconds, filepath.Base(first.Dir()), 100*first.Info.TestAccuracy)
	if !strings.HasSuffix(trained, want) || loaded != want {
		t.Errorf("nb.Judge printed\n%q\nthen\n%q\nwant each to end with\n%q", trained, loaded, want)
	}
	if first.Info.TestAccuracy < 0.9 {
		t.Errorf("the %d-step judge classifies %.1f%% of the test images right, want >= 90%%", QuickJudgeSteps, 100*first.Info.TestAccuracy)
	}
}
