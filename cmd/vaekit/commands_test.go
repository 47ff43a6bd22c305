package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
)

// readMetrics reads a metrics JSON file as a generic map, to check its keys.
func readMetrics(t *testing.T, content []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(content, &m); err != nil {
		t.Fatalf("metrics JSON: %v\n%s", err, content)
	}
	return m
}

// number returns the value of a numeric key.
func number(t *testing.T, m map[string]any, key string) float64 {
	t.Helper()
	v, ok := m[key].(float64)
	if !ok {
		t.Fatalf("metrics: %q is %v (%T), want a number", key, m[key], m[key])
	}
	return v
}

func loadSaved(t *testing.T, dir string) *vaekit.Model {
	t.Helper()
	m, err := vaekit.Load(dir)
	if err != nil {
		t.Fatalf("loading the model in %s: %v", dir, err)
	}
	return m
}

func TestTrain(t *testing.T) {
	dir, r := trainedModel(t)
	metricsPath, curvesPath := filepath.Join(dir, "metrics.json"), filepath.Join(dir, "curves.png")
	for _, want := range []string{"vae at step 30 (30 new steps in", "test negative ELBO", "wrote " + metricsPath + " and " + curvesPath} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("train's summary does not say %q:\n%s", want, r.stdout)
		}
	}
	if strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("train -quiet: want a one-line summary, got:\n%s", r.stdout)
	}

	// The model is saved with the flags' hyperparameters over the defaults.
	m := loadSaved(t, dir)
	if m.GlobalStep() != 30 || m.Config.LatentDim != 2 || !slices.Equal(m.Config.HiddenDims, []int{32}) || m.Config.BatchSize != 64 || m.Config.KLWeight != 1 {
		t.Errorf("saved model: step %d, config %s; want step 30, latent_dim=2, hidden_dims=32, batch_size=64, kl_weight=1", m.GlobalStep(), m.Config)
	}

	content, err := os.ReadFile(metricsPath)
	if err != nil {
		t.Fatal(err)
	}
	metrics := readMetrics(t, content)
	for _, key := range []string{"dataset", "split", "images", "step", "loss", "reconstruction", "kl", "neg_elbo", "elbo",
		"active_units", "activity", "kl_per_dim", "reconstruction_mse", "posterior_std", "model_dir", "config"} {
		if _, ok := metrics[key]; !ok {
			t.Errorf("metrics.json has no %q:\n%s", key, content)
		}
	}
	if _, ok := metrics["iwae_nll"]; ok {
		t.Errorf("metrics.json has iwae_nll, but train ran without -iwae")
	}
	if metrics["dataset"] != "mnist" || metrics["split"] != "test" || number(t, metrics, "images") != 1000 || number(t, metrics, "step") != 30 || metrics["model_dir"] != dir {
		t.Errorf("metrics.json: want mnist test, 1000 images, step 30, model_dir %s:\n%s", dir, content)
	}
	negELBO, recon, kl := number(t, metrics, "neg_elbo"), number(t, metrics, "reconstruction"), number(t, metrics, "kl")
	if !(negELBO > 0 && recon > 0 && kl > 0) || math.Abs(negELBO-(recon+kl)) > 1e-3*negELBO || number(t, metrics, "elbo") != -negELBO {
		t.Errorf("metrics.json: want neg_elbo = reconstruction + kl > 0 and elbo = -neg_elbo, got %g, %g, %g, %g", negELBO, recon, kl, metrics["elbo"])
	}
	if mse := number(t, metrics, "reconstruction_mse"); !(mse > 0 && mse < 1) {
		t.Errorf("metrics.json: reconstruction_mse %g, want within (0, 1)", mse)
	}
	if kls, ok := metrics["kl_per_dim"].([]any); !ok || len(kls) != 2 {
		t.Errorf("metrics.json: kl_per_dim %v, want 2 values", metrics["kl_per_dim"])
	}
	if std, ok := metrics["posterior_std"].(map[string]any); !ok || !(number(t, std, "mean") > 0) {
		t.Errorf("metrics.json: posterior_std %v, want a positive mean", metrics["posterior_std"])
	}
	if cfg, ok := metrics["config"].(map[string]any); !ok || cfg["latent_dim"] != 2.0 || cfg["kl_weight"] != 1.0 {
		t.Errorf("metrics.json: config %v, want latent_dim 2 and kl_weight 1", metrics["config"])
	}

	curves := testutil.ReadPNG(t, curvesPath)
	if size := curves.Bounds().Size(); size.X < 200 || size.Y < 100 {
		t.Errorf("curves.png is %v pixels, want a readable chart", size)
	}
	// Atomic writes leave no temporary files behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("train left %s in %s", e.Name(), dir)
		}
	}
}

// TestTrainContinues checks that train on a model's directory continues it with the saved
// hyperparameters, changed only by the flags given.
func TestTrainContinues(t *testing.T) {
	dir := copyModel(t)
	r := mustRun(t, "train", "-dir", dir, "-quiet", "--train_steps=40", "-eval_n=500", "-train_eval_n=500")
	if !strings.Contains(r.stdout, "vae at step 40 (10 new steps in") {
		t.Errorf("train's summary does not say it went from step 30 to 40:\n%s", r.stdout)
	}
	m := loadSaved(t, dir)
	if m.GlobalStep() != 40 || m.Config.LatentDim != 2 || !slices.Equal(m.Config.HiddenDims, []int{32}) || m.Config.BatchSize != 64 {
		t.Errorf("continued model: step %d, config %s; want step 40 with the saved latent_dim=2, hidden_dims=32, batch_size=64", m.GlobalStep(), m.Config)
	}
	var steps []int
	for _, rec := range m.History {
		steps = append(steps, rec.Step)
	}
	if !slices.Equal(steps, []int{30, 40}) {
		t.Errorf("continued model's history at steps %v, want [30 40]", steps)
	}
	content, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if metrics := readMetrics(t, content); number(t, metrics, "step") != 40 || number(t, metrics, "images") != 500 {
		t.Errorf("metrics.json after continuing: want step 40 on 500 images:\n%s", content)
	}
}

func TestTrainQuick(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "quick")
	args := append([]string{"train", "-dir", dir, "-quiet", "-quick", "-train_eval_n=500"}, tinyModelWith("--train_steps=1000")...) // -quick caps it.
	r := mustRun(t, args...)
	if !strings.Contains(r.stdout, "vae at step 150 ") {
		t.Errorf("train -quick: want 150 steps, got:\n%s", r.stdout)
	}
	// The budget is nb.Quick's, the notebooks' quick mode: evaluated three times.
	var steps []int
	for _, rec := range loadSaved(t, dir).History {
		steps = append(steps, rec.Step)
	}
	if !slices.Equal(steps, []int{50, 100, 150}) {
		t.Errorf("train -quick evaluated at steps %v, want nb.Quick's [50 100 150]", steps)
	}
	content, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if metrics := readMetrics(t, content); number(t, metrics, "images") != 1000 {
		t.Errorf("train -quick: want metrics on 1000 test images:\n%s", content)
	}
}

func TestEval(t *testing.T) {
	model, _ := trainedModel(t)
	out := filepath.Join(t.TempDir(), "a", "eval.json")
	r := mustRun(t, "eval", "-dir", model, "-iwae", "20", "-n", "300", "-out", out)
	content, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(content) != r.stdout {
		t.Errorf("eval -out wrote something else than it printed:\n%s\nvs\n%s", content, r.stdout)
	}
	metrics := readMetrics(t, content)
	if metrics["split"] != "test" || number(t, metrics, "images") != 300 || number(t, metrics, "iwae_samples") != 20 {
		t.Errorf("eval: want 300 test images and 20 IWAE samples:\n%s", content)
	}
	// IWAE_k is a tighter bound than the ELBO: its NLL estimate is at most the negative ELBO
	// (up to the noise of the one-sample negative ELBO).
	iwae, negELBO := number(t, metrics, "iwae_nll"), number(t, metrics, "neg_elbo")
	if !(iwae > 0) || iwae > negELBO+1 {
		t.Errorf("eval: iwae_nll %g, want in (0, neg_elbo + 1 = %g]", iwae, negELBO+1)
	}

	plain := readMetrics(t, []byte(mustRun(t, "eval", "-dir", model, "-n", "200", "-split", "train").stdout))
	if _, ok := plain["iwae_nll"]; ok || plain["split"] != "train" || number(t, plain, "images") != 200 {
		t.Errorf("eval -split train -n 200 without -iwae: got %v", plain)
	}
}

// A model that older code trained (another training format) still loads, and the command
// says so in one line on stderr.
func TestEvalSaysWhenOlderCodeTrainedTheModel(t *testing.T) {
	model, _ := trainedModel(t)
	// Saved again as older code would have: the same weights, under training format 0.
	older := filepath.Join(t.TempDir(), "older")
	m := loadSaved(t, model)
	m.TrainingFormat = 0
	if err := m.Save(older); err != nil {
		t.Fatal(err)
	}
	r := vaekitRun("eval", "-dir", older, "-n", "100")
	want := fmt.Sprintf("vaekit: the model in %s was trained by training format 0, this vaekit trains format %d", older, vaekit.TrainingFormat)
	if r.code != 0 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, want) {
		t.Errorf("eval of a format-0 model: want exit 0 and one line on stderr starting %q, got %s", want, r)
	}
	if r := mustRun(t, "eval", "-dir", model, "-n", "100"); r.stderr != "" {
		t.Errorf("eval of today's model said %q on stderr", r.stderr)
	}
}

// The IWAE progress: a line when an interval has passed since the last (with the time
// left extrapolated from the pace so far), none in between, and one at the end; nothing
// at all for a bound done within the interval.
func TestIWAEProgress(t *testing.T) {
	var out strings.Builder
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	quick := iwaeProgress(&out, 20, func() time.Time { return clock })
	clock = clock.Add(3 * time.Second)
	quick(50, 100)
	if quick(100, 100); out.Len() > 0 {
		t.Errorf("a 3 s IWAE bound reported %q, want nothing", out.String())
	}
	progress := iwaeProgress(&out, 5000, func() time.Time { return clock })
	for _, step := range []struct {
		after      time.Duration
		done       int
		wantOutput string
	}{
		{5 * time.Second, 200, ""},
		{15 * time.Second, 1000, "IWAE-5000: 1000 of 10000 images (10%), 20s so far, about 3m0s left\n"},
		{5 * time.Second, 1200, ""},
		{5 * time.Second, 1500, "IWAE-5000: 1500 of 10000 images (15%), 30s so far, about 2m50s left\n"},
		{170 * time.Second, 10000, "IWAE-5000: 10000 images in 3m20s (20.0 ms per image)\n"},
	} {
		out.Reset()
		clock = clock.Add(step.after)
		progress(step.done, 10000)
		if out.String() != step.wantOutput {
			t.Errorf("%d images done: wrote %q, want %q", step.done, out.String(), step.wantOutput)
		}
	}
}

func TestSample(t *testing.T) {
	model, _ := trainedModel(t)
	tmp := t.TempDir()
	out := filepath.Join(tmp, "pictures", "samples.png")
	r := mustRun(t, "sample", "-dir", model, "-n", "10", "-cols", "4", "-scale", "2", "-padding", "3", "-out", out)
	if !strings.Contains(r.stdout, "wrote "+out) {
		t.Errorf("sample: stdout does not name %s:\n%s", out, r.stdout)
	}
	// 10 images in rows of 4: 3 rows; each tile 28*2 pixels plus 3 of padding, and a border.
	checkSize(t, out, testutil.ReadPNG(t, out), 4*(2*28+3)+3, 3*(2*28+3)+3)

	// Samples are reproducible: from the model's generator, or from -seed.
	pngOf := func(args ...string) []byte {
		path := filepath.Join(tmp, strings.Join(args, "")+".png")
		mustRun(t, append([]string{"sample", "-dir", model, "-n", "6", "-out", path}, args...)...)
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return content
	}
	model1, model2, seed5, seed5again, seed6 := pngOf(), pngOf(), pngOf("-seed", "5"), pngOf("-seed", "5"), pngOf("-seed", "6")
	if !bytes.Equal(model1, model2) || !bytes.Equal(seed5, seed5again) {
		t.Errorf("sample: the same seed gave different pictures")
	}
	if bytes.Equal(model1, seed5) || bytes.Equal(seed5, seed6) {
		t.Errorf("sample: different seeds gave the same picture")
	}

	// Without -out, the picture goes into the model's directory.
	dir := copyModel(t)
	mustRun(t, "sample", "-dir", dir, "-n", "9", "-cols", "0", "-scale", "1", "-padding", "0")
	checkSize(t, "DIR/samples.png", testutil.ReadPNG(t, filepath.Join(dir, "samples.png")), 3*28, 3*28)
}

// grayAt returns the grey level of a pixel of a greyscale PNG.
func grayAt(t *testing.T, img image.Image, x, y int) int {
	t.Helper()
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("want a greyscale picture, got %T", img)
	}
	return int(g.GrayAt(x, y).Y)
}

// checkTile checks that the 28x28 tile at (x0, y0) of a scale-1 picture shows want (ink
// black on white), up to one grey level.
func checkTile(t *testing.T, what string, img image.Image, x0, y0 int, want []float32) {
	t.Helper()
	bad := 0
	for y := range 28 {
		for x := range 28 {
			v := min(max(want[y*28+x], 0), 1)
			if expected := int(math.Round(float64(255 * (1 - v)))); math.Abs(float64(grayAt(t, img, x0+x, y0+y)-expected)) > 1 {
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of 784 pixels differ from the expected image", what, bad)
	}
}

func TestManifold(t *testing.T) {
	model, _ := trainedModel(t)
	m := loadSaved(t, model)
	tmp := t.TempDir()

	// The bare tiles: 5x5 images over [-3, 3]^2, the top row at z1 = +3, as on a plot.
	bare := filepath.Join(tmp, "bare.png")
	r := mustRun(t, "manifold", "-dir", model, "-n", "5", "-axes=false", "-out", bare)
	if !strings.Contains(r.stdout, "wrote "+bare+": 5x5 linear grid over z0 (x) and z1 (y), from -3 to 3") {
		t.Errorf("manifold: unexpected report:\n%s", r.stdout)
	}
	img := testutil.ReadPNG(t, bare)
	checkSize(t, bare, img, 5*28, 5*28)
	corners, err := m.Decode([][]float32{{-3, 3}, {-3, -3}, {3, -3}})
	if err != nil {
		t.Fatal(err)
	}
	checkTile(t, "top-left tile, z=(-3, 3)", img, 0, 0, corners.Image(0))
	checkTile(t, "bottom-left tile, z=(-3, -3)", img, 0, 4*28, corners.Image(1))
	checkTile(t, "bottom-right tile, z=(3, -3)", img, 4*28, 4*28, corners.Image(2))

	quantile := filepath.Join(tmp, "quantile.png")
	r = mustRun(t, "manifold", "-dir", model, "-n", "4", "-grid", "quantile", "-axes=false", "-scale", "2", "-dims", "1,0", "-out", quantile)
	if !strings.Contains(r.stdout, "4x4 quantile grid over z1 (x) and z0 (y), from -1.64 to 1.64") {
		t.Errorf("manifold -grid quantile: unexpected report:\n%s", r.stdout)
	}
	checkSize(t, quantile, testutil.ReadPNG(t, quantile), 4*2*28, 4*2*28)

	// With axes (the default), in the model's directory.
	dir := copyModel(t)
	mustRun(t, "manifold", "-dir", dir, "-n", "6")
	chart := testutil.ReadPNG(t, filepath.Join(dir, "manifold.png"))
	if size := chart.Bounds().Size(); size.X <= 6*28 || size.Y <= 6*28 {
		t.Errorf("manifold with axes is %v pixels, want more than the %d pixels of its tiles", size, 6*28)
	}
}

func TestReconstruct(t *testing.T) {
	model, _ := trainedModel(t)
	m := loadSaved(t, model)
	test, err := data.Load(data.MNIST, data.Test, data.Options{NoDownload: true})
	if err != nil {
		t.Fatalf("reading MNIST offline (scripts/setup.sh fetches it): %v", err)
	}
	out := filepath.Join(t.TempDir(), "recon.png")
	r := mustRun(t, "reconstruct", "-dir", model, "-n", "4", "-first", "3", "-cols", "4", "-names=false", "-scale", "1", "-padding", "2", "-out", out)
	if !strings.Contains(r.stdout, "test images 3 to 6 and their reconstructions, mean squared pixel error") {
		t.Errorf("reconstruct: unexpected report:\n%s", r.stdout)
	}
	img := testutil.ReadPNG(t, out)
	// One band of 4 pairs: originals above reconstructions, 2 pixels of padding around each.
	checkSize(t, out, img, 2+4*(28+2), 2+28+2+28+2)
	third, err := test.Select(3)
	if err != nil {
		t.Fatal(err)
	}
	recon, err := m.Reconstruct(third)
	if err != nil {
		t.Fatal(err)
	}
	checkTile(t, "first original (test image 3)", img, 2, 2, test.Image(3))
	checkTile(t, "first reconstruction", img, 2, 2+28+2, recon.Image(0))

	// Row names make the picture wider, not taller.
	named := filepath.Join(t.TempDir(), "named.png")
	mustRun(t, "reconstruct", "-dir", model, "-n", "4", "-cols", "4", "-scale", "1", "-padding", "2", "-out", named)
	if size := testutil.ReadPNG(t, named).Bounds().Size(); size.X <= 2+4*30 || size.Y != 2+28+2+28+2 {
		t.Errorf("reconstruct with row names is %v pixels, want wider than %d and %d high", size, 2+4*30, 2+28+2+28+2)
	}
}

// A conditional model samples the class -label names: each class a different picture,
// "all" one row per class with the same codes; a missing or impossible -label is a usage
// error, and so is -label for an unconditional model.
func TestSampleLabel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cvae")
	args := append([]string{"train", "-dir", dir, "-quiet", "-eval_n=500", "-train_eval_n=500", "--condition=label"}, tinyModel...)
	mustRun(t, args...)
	tmp := t.TempDir()
	sample := func(label string) []byte {
		path := filepath.Join(tmp, label+".png")
		r := mustRun(t, "sample", "-dir", dir, "-n", "4", "-label", label, "-out", path)
		if want := "of class " + label; label != "all" && !strings.Contains(r.stdout, want) {
			t.Errorf("sample -label %s: stdout does not say %q:\n%s", label, want, r.stdout)
		}
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return content
	}
	three, threeAgain, seven := sample("3"), sample("3"), sample("7")
	if !bytes.Equal(three, threeAgain) || bytes.Equal(three, seven) {
		t.Error("sample -label: the same class gave different pictures, or two classes the same")
	}
	all := filepath.Join(tmp, "all.png")
	mustRun(t, "sample", "-dir", dir, "-n", "4", "-label", "all", "-scale", "1", "-padding", "0", "-out", all)
	checkSize(t, all, testutil.ReadPNG(t, all), 4*28, 10*28) // 4 columns, one row per class.

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sample", "-dir", dir}, "give -label"},
		{[]string{"sample", "-dir", dir, "-label", "10"}, "expected a class from 0 to 9"},
		{[]string{"sample", "-dir", dir, "-label", "x"}, "expected a class from 0 to 9"},
	} {
		r := vaekitRun(tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	manifold := filepath.Join(tmp, "manifold.png")
	if r := mustRun(t, "manifold", "-dir", dir, "-n", "3", "-label", "5", "-axes=false", "-out", manifold); !strings.Contains(r.stdout, "wrote "+manifold) {
		t.Errorf("manifold -label 5: %s", r.stdout)
	}
	if r := vaekitRun("manifold", "-dir", dir, "-n", "3"); r.code != 2 || !strings.Contains(r.stderr, "give -label") {
		t.Errorf("manifold of a conditional model without -label: exit %d, stderr %q", r.code, r.stderr)
	}
	plain, _ := trainedModel(t)
	if r := vaekitRun("sample", "-dir", plain, "-label", "3"); r.code != 2 || !strings.Contains(r.stderr, "not conditional") {
		t.Errorf("-label for an unconditional model: exit %d, stderr %q", r.code, r.stderr)
	}
}

// writePNGFolder writes n colour PNGs of 10x8 pixels per class into dir/<class>/.
func writePNGFolder(t *testing.T, dir string, n int) {
	t.Helper()
	for class, name := range []string{"dark", "light"} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			img := image.NewRGBA(image.Rect(0, 0, 10, 8))
			for p := range img.Pix {
				img.Pix[p] = uint8(40*class + (p*7+i*13)%200)
			}
			f, err := os.Create(filepath.Join(dir, name, strings.Repeat("x", i+1)+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

// --dataset=folder trains on a folder of images at their own shape (10x8x3 here), or
// resized to --image_shape; sample then draws pictures of that shape.
func TestTrainOnAFolder(t *testing.T) {
	folder := t.TempDir()
	writePNGFolder(t, folder, 20)
	dir := filepath.Join(t.TempDir(), "own")
	r := mustRun(t, "train", "-dir", dir, "--dataset=folder", "-data_dir", folder,
		"--hidden_dims=16", "--latent_dim=2", "--train_steps=10", "--eval_every=0", "--batch_size=8")
	if !strings.Contains(r.stdout, "data: folder, 36 training and 4 test images") {
		t.Errorf("train --dataset=folder: %s", r.stdout)
	}
	cfg, err := vaekit.LoadConfig(dir)
	if err != nil || !slices.Equal(cfg.ImageShape, []int{8, 10, 3}) || cfg.DataID == "" {
		t.Fatalf("the model's image_shape %v (want the images' 8,10,3), data_id %q, %v", cfg.ImageShape, cfg.DataID, err)
	}
	out := filepath.Join(t.TempDir(), "s.png")
	mustRun(t, "sample", "-dir", dir, "-n", "2", "-cols", "2", "-scale", "1", "-padding", "0", "-out", out)
	checkSize(t, out, testutil.ReadPNG(t, out), 2*10, 8)

	resized := filepath.Join(t.TempDir(), "small")
	mustRun(t, "train", "-dir", resized, "--dataset=folder", "-data_dir", folder, "--image_shape=6,6,1",
		"--hidden_dims=16", "--latent_dim=2", "--train_steps=10", "--eval_every=0", "--batch_size=8")
	if cfg, _ := vaekit.LoadConfig(resized); !slices.Equal(cfg.ImageShape, []int{6, 6, 1}) {
		t.Errorf("--image_shape=6,6,1: the model has %v", cfg.ImageShape)
	}
	if r := vaekitRun("train", "-dir", filepath.Join(t.TempDir(), "x"), "--dataset=folder", "--train_steps=5"); r.code == 0 || !strings.Contains(r.stderr, "-data_dir") {
		t.Errorf("--dataset=folder without -data_dir: exit %d, %q", r.code, r.stderr)
	}
}

// dsprites trains and scores like any data set, and its factors add the MIG and the KL
// term's three parts to the metrics: a beta-TCVAE, a few steps.
func TestDSpritesBetaTCVAE(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tcvae")
	r := mustRun(t, "train", "-dir", dir, "-quiet", "-dataset=dsprites", "-image_shape=64,64,1", "-objective=beta_tcvae", "-tc_beta=6",
		"-hidden_dims=16", "-latent_dim=3", "-batch_size=32", "-train_steps=3", "-eval_n=200", "-train_eval_n=200")
	if !strings.Contains(r.stdout, ", MIG 0.") {
		t.Errorf("train's summary does not give the MIG:\n%s", r.stdout)
	}
	m := loadSaved(t, dir)
	if m.Config.DatasetSize != data.DSpritesTrainImages || m.Config.TCBeta != 6 {
		t.Errorf("the trained model has dataset_size %d and tc_beta %g, expected %d (the training split) and 6", m.Config.DatasetSize, m.Config.TCBeta, data.DSpritesTrainImages)
	}
	metrics := readMetrics(t, []byte(mustRun(t, "eval", "-dir", dir, "-n", "300").stdout))
	scores, ok := metrics["factor_scores"].(map[string]any)
	if !ok {
		t.Fatalf("eval on dsprites: no factor_scores in %v", metrics)
	}
	if mig := number(t, scores, "mig"); mig < 0 || mig > 1 || number(t, scores, "images") != 300 {
		t.Errorf("eval: MIG %v over %v images, expected one in [0, 1] over 300", scores["mig"], scores["images"])
	}
	parts, ok := metrics["kl_decomposition"].(map[string]any)
	if !ok {
		t.Fatalf("eval on dsprites: no kl_decomposition in %v", metrics)
	}
	sum := number(t, parts, "index_code_mi") + number(t, parts, "total_correlation") + number(t, parts, "dimensionwise_kl")
	if math.IsNaN(sum) || sum < 0 {
		t.Errorf("eval: the KL term's parts sum to %g, expected a KL >= 0", sum)
	}
	// MNIST has no factors: no factor scores.
	mnist, _ := trainedModel(t)
	plain := readMetrics(t, []byte(mustRun(t, "eval", "-dir", mnist, "-n", "100").stdout))
	if _, ok := plain["factor_scores"]; ok {
		t.Errorf("eval on MNIST gave factor scores: %v", plain["factor_scores"])
	}
	bad := vaekitRun("train", "-dir", filepath.Join(t.TempDir(), "bad"), "-dataset=dsprites", "-image_shape=64,64,1", "-objective=beta_tcvae", "-tc_gamma=-1")
	if bad.code == 0 || !strings.Contains(bad.stderr, "tc_gamma=-1") {
		t.Errorf("train -tc_gamma=-1: exit %d, stderr %q: expected an error naming tc_gamma", bad.code, bad.stderr)
	}
}
