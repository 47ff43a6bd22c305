package nb

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
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

// In quick mode Train trains Quick(cfg) through the model cache; Trained and
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
	quick := Quick(cfg)
	dir, err := vaekit.CachedModelDir(quick)
	if err != nil {
		t.Fatal(err)
	}

	var m *vaekit.Model
	out := output(t, func() { m = Train(cfg, train, test) })
	if m.GlobalStep() != 150 || m.Config.String() != quick.String() || !vaekit.HasSavedModel(dir) {
		t.Fatalf("Train in quick mode: step %d, config %s, saved in %s: %v; want 150 steps of Quick(cfg) in the cache", m.GlobalStep(), m.Config, dir, vaekit.HasSavedModel(dir))
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

	// Train kept no frames: TrainAndWatch shows the model once, at its last step, and says why.
	var watched []int
	out = output(t, func() {
		m = TrainAndWatch(cfg, train, test, 2, func(r vaekit.Record, originals, recon *data.Set) {
			watched = append(watched, r.Step, originals.N, recon.N)
		})
	})
	took := time.Duration(m.History[len(m.History)-1].WallSeconds * float64(time.Second)).Round(time.Second)
	if want := fmt.Sprintf("found a model trained earlier with these settings in the model cache: %s (training format %d; its training took %s)\n"+
		"(this cached model kept no frames of its training for 2 images: its reconstructions at step 150 only)\nvae after 150 steps", filepath.Base(dir), vaekit.TrainingFormat, took); !strings.HasPrefix(out, want) {
		t.Errorf("TrainAndWatch of a cached model printed %q, want it to start with %q", out, want)
	}
	if len(watched) != 3 || watched[0] != 150 || watched[1] != 2 || watched[2] != 2 {
		t.Errorf("watch saw (step, originals, reconstructions) %v, want one call at 150 with 2 and 2 images", watched)
	}
}

// Outside quick mode the budget is cfg's own. While training, watch sees the
// reconstructions of each evaluation; loaded from the cache, the same frames again; and
// both runs are recorded in $VAEKIT_MODEL_RECORD.
func TestTrainAndWatchShowsTheSameFramesWhenLoaded(t *testing.T) {
	t.Setenv("VAEKIT_QUICK", "")
	t.Setenv("VAEKIT_MODELS", t.TempDir())
	record := filepath.Join(t.TempDir(), "models.jsonl")
	t.Setenv(RecordEnv, record)
	cfg := vaekit.DefaultConfig()
	cfg.HiddenDims, cfg.LatentDim, cfg.BatchSize, cfg.EvalBatchSize = []int{16}, 2, 16, 32
	cfg.Steps, cfg.EvalEvery = 20, 10
	type frame struct {
		step   int
		pixels []float32
	}
	watchAll := func() (frames []frame, m *vaekit.Model) {
		output(t, func() {
			m = TrainAndWatch(cfg, blobs(64), blobs(32), 3, func(r vaekit.Record, originals, recon *data.Set) {
				if originals.N != 3 || recon.N != 3 {
					t.Errorf("step %d: %d originals, %d reconstructions, want 3 of each", r.Step, originals.N, recon.N)
				}
				frames = append(frames, frame{r.Step, recon.Images})
			})
		})
		return frames, m
	}
	trained, m := watchAll()
	loaded, _ := watchAll()
	if len(trained) != 2 || trained[0].step != 10 || trained[1].step != 20 || slices.Equal(trained[0].pixels, trained[1].pixels) {
		t.Fatalf("while training, watch saw %d frames (want steps 10 and 20, with different pictures)", len(trained))
	}
	last := Must(m.Reconstruct(blobs(32).Head(3)))
	if !slices.Equal(trained[1].pixels, last.Images) {
		t.Error("the last frame is not the trained model's reconstructions")
	}
	if len(loaded) != 2 || loaded[0].step != 10 || !slices.Equal(loaded[0].pixels, trained[0].pixels) || !slices.Equal(loaded[1].pixels, trained[1].pixels) {
		t.Errorf("loaded from the cache, watch saw other frames than while training")
	}

	raw := Must(os.ReadFile(record))
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	entry := filepath.Base(Must(vaekit.CachedModelDir(cfg)))
	want := []string{
		fmt.Sprintf(`{"kind":"model","entry":"%s","training_format":%d,"train_seconds":%v,"from_cache":false}`, entry, vaekit.TrainingFormat, m.TrainSeconds()),
		fmt.Sprintf(`{"kind":"model","entry":"%s","training_format":%d,"train_seconds":%v,"from_cache":true}`, entry, vaekit.TrainingFormat, m.TrainSeconds()),
	}
	if !slices.Equal(lines, want) {
		t.Errorf("$%s holds\n%s\nwant\n%s", RecordEnv, strings.Join(lines, "\n"), strings.Join(want, "\n"))
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
	want := fmt.Sprintf("the judge of mnist (%d training steps, %.0f s, training format %d; cache entry %s): %.2f%% of the test images classified right\n",
		QuickJudgeSteps, first.Info.TrainSeconds, judge.TrainingFormat, filepath.Base(first.Dir()), 100*first.Info.TestAccuracy)
	if !strings.HasSuffix(trained, want) || loaded != want {
		t.Errorf("nb.Judge printed\n%q\nthen\n%q\nwant each to end with\n%q", trained, loaded, want)
	}
	if first.Info.TestAccuracy < 0.9 {
		t.Errorf("the %d-step judge classifies %.1f%% of the test images right, want >= 90%%", QuickJudgeSteps, 100*first.Info.TestAccuracy)
	}
}

// SeedSpread trains the Config again from the next seed and prints each number of both
// models with their difference.
func TestSeedSpreadComparesTheNextSeed(t *testing.T) {
	t.Setenv("VAEKIT_QUICK", "")
	t.Setenv("VAEKIT_MODELS", t.TempDir())
	cfg := vaekit.DefaultConfig()
	cfg.HiddenDims, cfg.LatentDim, cfg.BatchSize, cfg.EvalBatchSize = []int{16}, 2, 16, 32
	cfg.Steps, cfg.EvalEvery, cfg.Seed = 20, 10, 7
	train, test := blobs(64), blobs(32)
	negELBO := func(m *vaekit.Model) float64 { return m.History[len(m.History)-1].HeldOut.NegELBO }
	measure := func(m *vaekit.Model) []Number {
		return []Number{{Name: "seed", Format: "%.0f", Value: float64(m.Config.Seed)}, {Name: "held-out -ELBO (nats)", Format: "%.3f", Value: negELBO(m)}}
	}
	var spreads []Spread
	out := output(t, func() { spreads = SeedSpread(cfg, train, test, measure) })
	other := cfg.Clone()
	other.Seed = 8
	first, second := Trained(cfg, train, test), Trained(other, train, test)
	if len(spreads) != 2 || spreads[0].First != 7 || spreads[0].Second != 8 {
		t.Fatalf("SeedSpread compared seeds %+v, want 7 and 8", spreads)
	}
	s := spreads[1]
	if s.First != negELBO(first) || s.Second != negELBO(second) || s.First == s.Second || s.Difference() != s.Second-s.First {
		t.Errorf("SeedSpread's -ELBO %+v (difference %g), want seed 7's %g and seed 8's %g", s, s.Difference(), negELBO(first), negELBO(second))
	}
	sign := "+"
	if s.Difference() < 0 {
		sign = "-"
	}
	row := fmt.Sprintf("held-out -ELBO (nats)|%.3f|%.3f|%s%.3f|", s.First, s.Second, sign, math.Abs(s.Difference()))
	if compact := strings.ReplaceAll(out, " ", ""); !strings.Contains(out, "seed 7 (this notebook's) and from seed 8") || !strings.Contains(compact, strings.ReplaceAll(row, " ", "")) {
		t.Errorf("SeedSpread printed\n%s\nwant the seeds and the row %q", out, row)
	}

	for _, c := range []struct {
		format string
		d      float64
		want   string
	}{{"%.0f", 0, "0"}, {"%.1f", -0.04, "0.0"}, {"%.1f", -0.06, "-0.1"}, {"%.2f", 1.5, "+1.50"}} {
		if got := signed(c.format, c.d); got != c.want {
			t.Errorf("signed(%q, %g) = %q, want %q", c.format, c.d, got, c.want)
		}
	}

	// A measure that names its numbers differently for the two models is a mistake.
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `is "seed" for seed 7 and "Seed" for seed 8`) {
			t.Errorf("SeedSpread with mismatched names: panic %v, want one naming both", r)
		}
	}()
	output(t, func() {
		SeedSpread(cfg, train, test, func(m *vaekit.Model) []Number {
			name := "seed"
			if m.Config.Seed == 8 {
				name = "Seed"
			}
			return []Number{{Name: name, Format: "%.0f", Value: 1}}
		})
	})
}

// MetricNumbers reports what was measured, each number under its own name, and leaves
// out what was not: an autoencoder has no KL term or sigma, an unscored model no FD_judge.
func TestMetricNumbersReportWhatWasMeasured(t *testing.T) {
	byName := func(numbers []Number) map[string]float64 {
		out := map[string]float64{}
		for _, n := range numbers {
			if _, dup := out[n.Name]; dup {
				t.Errorf("MetricNumbers names %q twice", n.Name)
			}
			out[n.Name] = n.Value
		}
		return out
	}
	vae := &vaekit.Metrics{Terms: vaekit.Terms{Loss: 130, Reconstruction: 100, KL: 10, NegELBO: 110},
		IWAESamples: 100, IWAENLL: 105, ActiveUnits: 3, Activity: []float64{1, 1, 1, 0}, KLPerDim: []float64{4, 3, 3, 0},
		ReconstructionMSE: 0.02, PosteriorStd: &vaekit.StdStats{Mean: 0.3}, JudgeFrechet: 7, SamplesScored: 500, SampleClassAccuracy: 0.9,
		KLDecomposition: &vaekit.KLDecomposition{IndexCodeMI: 5, TotalCorrelation: 1, DimensionwiseKL: 4}, FactorScores: &vaekit.FactorScores{MIG: 0}}
	want := map[string]float64{"reconstruction term (nats)": 100, "KL term (nats)": 10, "-ELBO (nats)": 110,
		"held-out loss (the training objective)": 130, "IWAE(k=100) NLL (nats)": 105, "active units (of 4)": 3, "pixel MSE": 0.02,
		"mean posterior sigma": 0.3, "FD_judge of 500 prior samples": 7, "judge's class accuracy of the samples (%)": 90,
		"index-code mutual information (nats)": 5, "total correlation (nats)": 1, "dimension-wise KL (nats)": 4, "MIG": 0}
	cvae := vaekit.DefaultConfig()
	cvae.Condition = "label"
	if got := byName(MetricNumbers(cvae, vae)); !maps.Equal(got, want) {
		t.Errorf("MetricNumbers(VAE) = %v, want %v", got, want)
	}
	// A sample class accuracy of 0 is a number too: a seed whose samples the judge all
	// misreads must report as many numbers as another seed's.
	vae.SampleClassAccuracy = 0
	if got := byName(MetricNumbers(cvae, vae)); got["judge's class accuracy of the samples (%)"] != 0 || len(got) != len(want) {
		t.Errorf("MetricNumbers(CVAE whose samples scored 0%%) = %v, want the accuracy 0 among %d numbers", got, len(want))
	}
	ae := &vaekit.Metrics{Terms: vaekit.Terms{Loss: 60, Reconstruction: 60, NegELBO: 60}, ActiveUnits: 2, Activity: []float64{1, 1}, ReconstructionMSE: 0.01}
	want = map[string]float64{"reconstruction term (nats)": 60, "active units (of 2)": 2, "pixel MSE": 0.01}
	autoencoder := vaekit.DefaultConfig()
	autoencoder.Model = "ae"
	if got := byName(MetricNumbers(autoencoder, ae)); !maps.Equal(got, want) {
		t.Errorf("MetricNumbers(autoencoder) = %v, want %v", got, want)
	}
}
