package judge

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // The pure Go backend: needs no install.

	"github.com/gomlx/compute/shapes"

	"github.com/vaekit/vaekit/internal/cachedir"
	"github.com/vaekit/vaekit/internal/ckptfile"
	"github.com/vaekit/vaekit/internal/dirlock"
	"github.com/vaekit/vaekit/vaekit/data"
)

// Tests keep their judges in a model cache of their own, and run on the pure Go backend
// unless the caller chose one.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "judge-test-models-")
	if err != nil {
		panic(err)
	}
	os.Setenv(cachedir.EnvModels, dir)
	if _, found := os.LookupEnv(compute.ConfigEnvVar); !found {
		os.Setenv(compute.ConfigEnvVar, "go")
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func testBackend(t *testing.T) compute.Backend {
	t.Helper()
	backend, err := compute.New()
	if err != nil {
		t.Fatal(err)
	}
	return backend
}

func loadMNIST(t *testing.T) (train, test *data.Set) {
	t.Helper()
	train, test, err := data.LoadBoth(data.MNIST, data.Options{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

// noise is n images of uniform random pixels.
func noise(n int, seed uint64) *data.Set {
	rng := rand.New(rand.NewPCG(seed, 0))
	set := &data.Set{N: n, Height: height, Width: width, Images: make([]float32, n*height*width)}
	for i := range set.Images {
		set.Images[i] = rng.Float32()
	}
	return set
}

// The judge of MNIST, trained with its real settings on the real data: its test accuracy,
// its class scores, the scale of FD_judge, and a second Load that reads it back.
func TestJudgeMNIST(t *testing.T) {
	trainSet, testSet := loadMNIST(t)
	var log bytes.Buffer
	j, err := Load(data.MNIST, Options{Log: &log, Data: data.Options{NoDownload: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", log.String())
	if !j.trainedNow {
		t.Fatal("the first Load in an empty cache did not train the judge")
	}
	const wantAccuracy = 0.985
	t.Logf("trained in %.1f s on %s; test accuracy %.4f", j.Info.TrainSeconds, j.Info.Backend, j.Info.TestAccuracy)
	if j.Info.TestAccuracy < wantAccuracy {
		t.Errorf("test accuracy %.4f, want >= %.3f", j.Info.TestAccuracy, wantAccuracy)
	}

	// ClassAccuracy against a count made here from Classify and the labels.
	judged, err := j.Classify(testSet)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := j.ClassAccuracy(testSet)
	if err != nil {
		t.Fatal(err)
	}
	right, perClassRight, perClass := 0, make([]int, 10), make([]int, 10)
	for i, l := range testSet.Labels {
		perClass[l]++
		if judged[i] == l {
			right++
			perClassRight[l]++
		}
	}
	if want := float64(right) / float64(testSet.N); scores.Accuracy != want || j.Info.TestAccuracy != want {
		t.Errorf("ClassAccuracy().Accuracy = %v, Info.TestAccuracy = %v, counted %v", scores.Accuracy, j.Info.TestAccuracy, want)
	}
	for k := range 10 {
		if scores.Counts[k] != perClass[k] || scores.PerClass[k] != float64(perClassRight[k])/float64(perClass[k]) {
			t.Errorf("class %d: counts %d, per-class %v; counted %d of %d", k, scores.Counts[k], scores.PerClass[k], perClassRight[k], perClass[k])
		}
		rowSum := 0
		for _, c := range scores.Confusion[k] {
			rowSum += c
		}
		if rowSum != perClass[k] || scores.Confusion[k][k] != perClassRight[k] {
			t.Errorf("confusion row %d sums to %d with %d on the diagonal, want %d and %d", k, rowSum, scores.Confusion[k][k], perClass[k], perClassRight[k])
		}
	}
	t.Logf("per class: %.4f", scores.PerClass)

	// FD_judge: 0 for a set against itself; real images against real images far below
	// noise against real images.
	same, err := j.FrechetDistance(testSet, testSet)
	if err != nil {
		t.Fatal(err)
	}
	real, err := j.FrechetDistance(trainSet.Head(10_000), testSet)
	if err != nil {
		t.Fatal(err)
	}
	noisy, err := j.FrechetDistance(noise(10_000, 1), testSet)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FD_judge: test vs test %.3g, first 10,000 training images vs test %.4g, uniform noise vs test %.4g", same, real, noisy)
	if same > 1e-6 {
		t.Errorf("FD_judge of the test set against itself = %g, want 0", same)
	}
	if real <= 0 || noisy < 100*real {
		t.Errorf("FD_judge real vs real = %g, noise vs real = %g: want 0 < real and noise > 100x real", real, noisy)
	}

	// The second Load reads the saved judge: same information, same outputs, no training.
	again, err := Load(data.MNIST, Options{Log: &log, Data: data.Options{NoDownload: true}})
	if err != nil {
		t.Fatal(err)
	}
	if again.trainedNow {
		t.Error("the second Load trained the judge again instead of loading it")
	}
	if again.Info != j.Info || again.Dir() != j.Dir() {
		t.Errorf("loaded judge: %+v in %s, want %+v in %s", again.Info, again.Dir(), j.Info, j.Dir())
	}
	checkSameFeatures(t, j, again, testSet.Head(500))
}

// checkSameFeatures checks that two judges (one trained, one loaded) have the same weights.
func checkSameFeatures(t *testing.T, a, b *Judge, images *data.Set) {
	t.Helper()
	want, err := a.Features(images)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Features(images)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("features of image %d differ between the two judges:\n%v\n%v", i, want[i][:8], got[i][:8])
		}
	}
}

// tinySettings train a (bad) judge in about a second, for the tests of the cache.
func tinySettings(t *testing.T) Settings {
	s := defaultSettings(data.MNIST)
	s.Steps, s.Seed = 5, uint64(len(t.Name())) // A judge of its own for each test.
	return s
}

// Two loads at once: one trains, the other waits for its lock and then loads its judge.
func TestLoadConcurrent(t *testing.T) {
	s := tinySettings(t)
	var wg sync.WaitGroup
	judges := make([]*Judge, 2)
	errs := make([]error, 2)
	logs := make([]bytes.Buffer, 2)
	for i := range judges {
		wg.Go(func() {
			judges[i], errs[i] = load(s, Options{Log: &logs[i], Data: data.Options{NoDownload: true}})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("load %d: %v", i, err)
		}
	}
	if judges[0].trainedNow == judges[1].trainedNow {
		t.Errorf("trained by load 0: %v, by load 1: %v; want exactly one of them", judges[0].trainedNow, judges[1].trainedNow)
	}
	both := logs[0].String() + logs[1].String()
	if !strings.Contains(both, "judge: waiting for PID ") || !strings.Contains(both, "which is training this judge") || strings.Count(both, "judge: training the judge") != 1 {
		t.Errorf("want one load training and the other waiting; logs:\n%s", both)
	}
	if judges[0].Info != judges[1].Info {
		t.Errorf("the two loads differ: %+v and %+v", judges[0].Info, judges[1].Info)
	}
	checkSameFeatures(t, judges[0], judges[1], noise(20, 2))
	// Only the finished judge is left in the cache, with its lock file inside, as a model's.
	root, _ := cachedir.Models()
	entries, _ := filepath.Glob(filepath.Join(root, "*"+s.entryName()+"*"))
	for i, e := range entries {
		entries[i] = filepath.Base(e)
	}
	if want := []string{s.entryName()}; !slices.Equal(entries, want) {
		t.Errorf("cache holds %v, want %v", entries, want)
	}
	for _, name := range []string{dirlock.FileName, infoFileName} {
		if _, err := os.Stat(filepath.Join(root, s.entryName(), name)); err != nil {
			t.Errorf("the judge's entry lacks %s: %v", name, err)
		}
	}
}

// What a crash leaves behind (an entry without judge.json) is cleared and trained again,
// and a damaged judge is reported, not used.
func TestLoadDamagedCache(t *testing.T) {
	s := tinySettings(t)
	root, _ := cachedir.Models()
	debris := filepath.Join(root, s.entryName(), "checkpoint-n0000001-step-00000002.bin")
	if err := os.MkdirAll(filepath.Dir(debris), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(debris, []byte("half a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{Log: &bytes.Buffer{}, Data: data.Options{NoDownload: true}}
	j, err := load(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(debris); !os.IsNotExist(err) || !j.trainedNow {
		t.Errorf("the debris of an interrupted save %s is still there (%v), or the judge was not trained again (%v)", debris, err, j.trainedNow)
	}
	bins, _ := filepath.Glob(filepath.Join(j.Dir(), "checkpoint-*.bin"))
	if len(bins) != 1 {
		t.Fatalf("the judge's directory has %d checkpoints, want 1", len(bins))
	}

	// The judge copied to the place of a judge with other settings: its weights do not fit.
	wider := s
	wider.Features = 256
	widerDir := filepath.Join(root, wider.entryName())
	if err := os.CopyFS(widerDir, os.DirFS(j.Dir())); err != nil {
		t.Fatal(err)
	}
	info := j.Info
	info.Settings = wider
	if err := ckptfile.WriteJSONAtomic(filepath.Join(widerDir, infoFileName), info); err != nil {
		t.Fatal(err)
	}
	_, err = load(wider, opts)
	if err == nil || !strings.Contains(err.Error(), "the weight /features/dense/weights is (Float32)[3136, 128] in the checkpoint, expected (Float32)[3136, 256]") {
		t.Errorf("loading weights of other shapes: err = %v, want one naming the weight", err)
	}

	if err := os.Truncate(bins[0], 100); err != nil {
		t.Fatal(err)
	}
	_, err = load(s, opts)
	if err == nil || !strings.Contains(err.Error(), "the saved judge in "+j.Dir()+" cannot be used") || !strings.Contains(err.Error(), "delete that directory to train the judge again") {
		t.Errorf("loading a truncated checkpoint: err = %v, want one naming the directory and what to do", err)
	}
	// Without judge.json, the entry is an unfinished judge: trained again, not loaded.
	os.Remove(filepath.Join(j.Dir(), infoFileName))
	again, err := load(s, opts)
	if err != nil || !again.trainedNow {
		t.Errorf("loading without %s: err = %v, trained again: %v; want a judge trained again", infoFileName, err, err == nil && again.trainedNow)
	}
}

func TestCheckWeights(t *testing.T) {
	want := defaultSettings(data.MNIST).variables()
	other := defaultSettings(data.MNIST)
	other.Features = 64
	saved := savedFrom(other.variables())
	saved[ckptfile.KeyPrefix+"/conv_0/extra"] = ckptfile.Var{DType: want["/conv_0/biases"].DType, Dimensions: []int{3}}
	delete(saved, ckptfile.KeyPrefix+"/conv_0/biases")
	err := checkWeights(want, saved)
	for _, part := range []string{
		"the checkpoint lacks the weight /conv_0/biases (Float32)[32]",
		"the weight /features/dense/weights is (Float32)[3136, 64] in the checkpoint, expected (Float32)[3136, 128]",
		"the checkpoint holds /conv_0/extra, which the network does not have",
	} {
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("checkWeights: err = %v, want it to say %q", err, part)
		}
	}
	withStep := savedFrom(want)
	withStep[ckptfile.KeyPrefix+"/global_step"] = ckptfile.Var{DType: want["/conv_0/biases"].DType}
	if err := checkWeights(want, withStep); err != nil {
		t.Errorf("checkWeights of matching weights: %v", err)
	}
}

// savedFrom is the checkpoint index of weights of the given shapes.
func savedFrom(weights map[string]shapes.Shape) map[string]ckptfile.Var {
	saved := map[string]ckptfile.Var{}
	for path, shape := range weights {
		saved[ckptfile.KeyPrefix+path] = ckptfile.Var{DType: shape.DType, Dimensions: shape.Dimensions}
	}
	return saved
}

// Bad input is an error that says what is wrong, before anything runs.
func TestJudgeBadInput(t *testing.T) {
	j, err := newJudge(testBackend(t), defaultSettings(data.MNIST)) // Untrained: nothing here runs it.
	if err != nil {
		t.Fatal(err)
	}
	nan := noise(2, 1)
	nan.Images[900] = float32(math.NaN())
	fashion := noise(3, 1)
	fashion.Name = data.FashionMNIST
	small, _ := data.FromImages([][]float32{make([]float32, 16)}, 4, 4)
	unlabelled := noise(3, 1)
	short := noise(3, 1)
	short.Images = short.Images[:100]
	badLabel := noise(1, 1)
	badLabel.Labels = []uint8{10}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", second(j.Classify(nil)), "judge: no images given (nil)"},
		{"empty", second(j.Features(noise(0, 1))), "no images given (an empty set)"},
		{"4x4 images", second(j.Features(small)), "the images are 4x4, the judge of mnist expects 28x28"},
		{"other data set", second(j.Classify(fashion)), "the images are of fashion-mnist, but this is the judge of mnist"},
		{"NaN pixel", second(j.Classify(nan)), "image 1 has a non-finite pixel (NaN) at 116"},
		{"pixels missing", second(j.Classify(short)), "the set holds 100 pixel values, expected 3 images x 784"},
		{"no labels", second(j.ClassAccuracy(unlabelled)), "the images have 0 labels for 3 images"},
		{"label 10", second(j.ClassAccuracy(badLabel)), "image 0 has label 10, expected a class 0..9"},
		{"FD without samples", second(j.FrechetDistance(nil, noise(3, 1))), "no images given (nil) (the samples)"},
		{"unknown data set", second(Load("cifar", Options{})), `judge: unknown dataset "cifar"`},
		{"CIFAR-10", second(Load(data.CIFAR10, Options{})), "judge: no judge for cifar10: judges exist for mnist and fashion-mnist only"},
		{"one's own data", second(Untrained(data.IDXFiles)), "judge: no judge for idx"},
		{"classes of unlabelled samples", third(j.FrechetAndClassAccuracy(unlabelled, noise(3, 2))), "the images have 0 labels for 3 images"},
		{"negative steps", second(Load(data.MNIST, Options{Steps: -1})), "Options.Steps=-1, expected >= 0"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func third[T, U any](_ T, _ U, err error) error { return err }

// FrechetAndClassAccuracy gives what FrechetDistance and ClassAccuracy give, from one run
// over the samples; the reference's Gaussian is kept by fingerprint, so another reference
// set is scored as itself.
func TestFrechetAndClassAccuracy(t *testing.T) {
	j, err := Untrained(data.MNIST)
	if err != nil {
		t.Fatal(err)
	}
	samples, reference, other := noise(40, 1), noise(50, 2), noise(50, 3)
	samples.Labels = make([]uint8, samples.N)
	for i := range samples.Labels {
		samples.Labels[i] = uint8(i % numClasses)
	}
	fd, classes, err := j.FrechetAndClassAccuracy(samples, reference)
	if err != nil {
		t.Fatal(err)
	}
	wantFD, err := j.FrechetDistance(samples, reference)
	if err != nil {
		t.Fatal(err)
	}
	wantClasses, err := j.ClassAccuracy(samples)
	if err != nil {
		t.Fatal(err)
	}
	if fd != wantFD || !reflect.DeepEqual(classes, wantClasses) {
		t.Errorf("FrechetAndClassAccuracy: %v, %+v; FrechetDistance and ClassAccuracy: %v, %+v", fd, classes, wantFD, wantClasses)
	}
	otherFD, err := j.FrechetDistance(samples, other)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := j.Stats(samples)
	b, _ := j.Stats(other)
	if want, _ := frechetFromStats(a, b); otherFD != want || otherFD == fd || len(j.reference) != 2 {
		t.Errorf("against another reference: %v, want %v (not %v); %d reference Gaussians kept, want 2", otherFD, want, fd, len(j.reference))
	}
}

// Options.Steps trains a judge of fewer steps, kept in the cache apart from the default.
func TestLoadWithFewerSteps(t *testing.T) {
	quick, err := Load(data.MNIST, Options{Steps: 5, Log: io.Discard, Data: data.Options{NoDownload: true}})
	if err != nil {
		t.Fatal(err)
	}
	if quick.Info.Settings.Steps != 5 || !strings.Contains(filepath.Base(quick.Dir()), "judge-mnist-") {
		t.Errorf("Load with Steps 5: settings %+v in %s", quick.Info.Settings, quick.Dir())
	}
	full := defaultSettings(data.MNIST)
	if strings.HasSuffix(quick.Dir(), full.hash()) {
		t.Errorf("the 5-step judge is cached as %s, the name of the default judge", quick.Dir())
	}
}
