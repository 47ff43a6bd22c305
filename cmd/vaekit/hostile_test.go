package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Careless and hostile input to the command (issue 26, "silently wrong" and "messages"):
// each case runs the command in a process of its own and checks its exit status, its
// message, that no panic or runtime trace shows, and that no file changed but the ones
// the case names (checksums of the models, the data folders and the working directory).

// commandProcess runs the vaekit command (this test binary, as the command) in a process
// of its own, in the directory cwd, to its end.
func commandProcess(t *testing.T, cwd string, args ...string) result {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), asCommandEnv+"=1")
	cmd.Dir = cwd
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	code := 0
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running vaekit %s: %v", strings.Join(args, " "), err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// checkOnlyChanged fails for each file that appeared, disappeared or changed between
// before and after, unless its path matches one of the patterns (filepath.Match).
func checkOnlyChanged(t *testing.T, what string, before, after map[string]string, patterns ...string) {
	t.Helper()
	allowed := func(path string) bool {
		return slices.ContainsFunc(patterns, func(p string) bool { ok, _ := filepath.Match(p, path); return ok })
	}
	for path, sum := range after {
		if before[path] != sum && !allowed(path) {
			t.Errorf("%s: %s was written (only %v may be)", what, path, patterns)
		}
	}
	for path := range before {
		if _, kept := after[path]; !kept && !allowed(path) {
			t.Errorf("%s: %s was removed", what, path)
		}
	}
}

// checkNoTrace fails when the output shows a panic or a Go runtime trace.
func checkNoTrace(t *testing.T, what string, r result) {
	t.Helper()
	for _, trace := range []string{"panic", "goroutine ", "runtime.", "internal error"} {
		if strings.Contains(r.stderr, trace) || strings.Contains(r.stdout, trace) {
			t.Errorf("%s: the output shows %q:\n%s", what, trace, r)
		}
	}
}

// writePNGs writes n PNGs of width x height pixels (grey, or colour) into dir.
func writePNGs(t *testing.T, dir string, n, width, height int, colour bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		var img image.Image
		if colour {
			rgba := image.NewRGBA(image.Rect(0, 0, width, height))
			for p := range rgba.Pix {
				rgba.Pix[p] = uint8((p*7 + i*13) % 256)
			}
			img = rgba
		} else {
			grey := image.NewGray(image.Rect(0, 0, width, height))
			for p := range grey.Pix {
				grey.Pix[p] = uint8((p*11 + i*29) % 256)
			}
			img = grey
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, strings.Repeat("i", i+1)+".png"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// hostileFixtures are the models and data folders the cases use.
type hostileFixtures struct {
	cwd                  string // The processes' working directory, empty.
	mnist, edited, cvae  string // Models: MNIST's tiny one, a copy with config.json edited, a conditional one.
	grey                 string // 30 grey 16x16 PNGs...
	greyModel            string // ...and a model trained on them.
	small, mixed, noImgs string // 8x8 colour PNGs; PNGs of two sizes; one x.png that is no image.
}

func newHostileFixtures(t *testing.T) hostileFixtures {
	t.Helper()
	root := t.TempDir()
	f := hostileFixtures{cwd: filepath.Join(root, "cwd"), edited: copyModel(t), grey: filepath.Join(root, "grey"),
		greyModel: filepath.Join(root, "grey-model"), small: filepath.Join(root, "small"), mixed: filepath.Join(root, "mixed"),
		noImgs: filepath.Join(root, "noimage"), cvae: filepath.Join(root, "cvae")}
	f.mnist, _ = trainedModel(t)
	if err := os.MkdirAll(f.cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	writePNGs(t, f.grey, 30, 16, 16, false)
	writePNGs(t, f.small, 30, 8, 8, true)
	writePNGs(t, f.mixed, 3, 8, 8, false)
	writePNGs(t, filepath.Join(root, "odd"), 1, 10, 12, false) // One of another size...
	if err := os.Rename(filepath.Join(root, "odd", "i.png"), filepath.Join(f.mixed, "z.png")); err != nil {
		t.Fatal(err) // ...among the 8x8 ones.
	}
	if os.Mkdir(f.noImgs, 0o755) != nil || os.WriteFile(filepath.Join(f.noImgs, "x.png"), []byte("<html>not a picture</html>"), 0o644) != nil {
		t.Fatal("cannot write the folder of no image")
	}
	mustRun(t, "train", "-dir", f.greyModel, "-quiet", "--dataset=folder", "-data_dir", f.grey,
		"--hidden_dims=16", "--latent_dim=2", "--train_steps=5", "--eval_every=0", "--batch_size=8")
	mustRun(t, append([]string{"train", "-dir", f.cvae, "-quiet", "-eval_n=100", "-train_eval_n=100", "--condition=label"},
		tinyModelWith("--train_steps=5")...)...)
	editJSON(t, filepath.Join(f.edited, "config.json"), func(file map[string]any) {
		file["config"].(map[string]any)["activation"] = "tanh"
	})
	return f
}

// editJSON rewrites a JSON file through a generic map.
func editJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(content, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if content, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f hostileFixtures) roots() []string {
	return []string{f.cwd, f.mnist, f.edited, f.cvae, f.grey, f.greyModel, f.small, f.mixed, f.noImgs}
}

// hostileCase is one command line, what it must give, and the files it may write.
type hostileCase struct {
	args    []string
	code    int
	stderr  []string // What stderr must say.
	not     []string // What neither stdout nor stderr may say.
	changes []string // Patterns of the files it may write.
	check   func(t *testing.T, r result)
}

func (f hostileFixtures) run(t *testing.T, tc hostileCase) {
	t.Helper()
	name := "vaekit " + strings.Join(tc.args, " ")
	before := treeSums(t, f.roots()...)
	r := commandProcess(t, f.cwd, tc.args...)
	t.Logf("%s -> exit %d: %s", name, r.code, strings.TrimSpace(r.stderr))
	if r.code != tc.code {
		t.Errorf("%s: want exit %d, got %s", name, tc.code, r)
	}
	for _, want := range tc.stderr {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("%s: stderr does not say %q:\n%s", name, want, r.stderr)
		}
	}
	for _, not := range tc.not {
		if strings.Contains(r.stderr, not) || strings.Contains(r.stdout, not) {
			t.Errorf("%s: the output says %q:\n%s", name, not, r)
		}
	}
	checkNoTrace(t, name, r)
	checkOnlyChanged(t, name, before, treeSums(t, f.roots()...), tc.changes...)
	if tc.check != nil {
		tc.check(t, r)
	}
}

// Section 3 of issue 26: what the command did silently wrong.
func TestCommandRefusesWhatWasSilentlyWrong(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes (-short)")
	}
	f := newHostileFixtures(t)
	x := filepath.Join(f.cwd, "x")
	noFileNamedDash := func(t *testing.T, _ result) {
		if _, err := os.Stat(filepath.Join(f.cwd, "-")); err == nil {
			t.Errorf("-out - wrote a file named \"-\"")
		}
	}
	for _, tc := range []hostileCase{
		// The data's identity: a model of 16x16 grey images, given 8x8 colour ones.
		{args: []string{"eval", "-dir", f.greyModel, "-data_dir", f.small}, code: 1,
			stderr: []string{"vaekit eval: -data_dir " + f.small + " holds other folder data than the model was trained on", "the model takes 16x16x1 images", "give -data_dir the data it was trained on"}},
		{args: []string{"reconstruct", "-dir", f.greyModel, "-data_dir", f.small, "-n", "2", "-out", filepath.Join(f.cwd, "r.png")}, code: 1,
			stderr: []string{"vaekit reconstruct: -data_dir " + f.small + " holds other folder data"}},
		{args: []string{"eval", "-dir", f.greyModel, "-data_dir", f.grey}, code: 0},
		{args: []string{"reconstruct", "-dir", f.greyModel, "-data_dir", f.grey, "-n", "2", "-out", filepath.Join(f.cwd, "r.png")}, code: 0,
			changes: []string{filepath.Join(f.cwd, "r.png")}},
		// config.json edited after training.
		{args: []string{"eval", "-dir", f.edited, "-n", "10"}, code: 1,
			stderr: []string{"does not match its config.json: config.json says activation=tanh, the checkpoint was trained with activation=relu",
				"put back activation=relu in config.json"}},
		// A flag twice, or -set with the same flag.
		{args: []string{"eval", "-dir", f.mnist, "-n", "5", "-n", "6"}, code: 2,
			stderr: []string{`vaekit eval: invalid value "6" for flag -n: already given as "5": give -n once`}},
		{args: []string{"train", "-dir", x, "--latent_dim=2", "-set", "latent_dim=3"}, code: 2,
			stderr: []string{`vaekit train: latent_dim is given twice, as --latent_dim=2 and -set "latent_dim=3": give it once`}},
		{args: []string{"train", "-dir", x, "--latent_dim=2", "--latent_dim=3"}, code: 2,
			stderr: []string{"latent_dim is given twice, as --latent_dim=2 and --latent_dim=3"}},
		{args: []string{"train", "-dir", x, "-set", "latent_dim=2;latent_dim=3"}, code: 2,
			stderr: []string{`latent_dim is given twice, as -set "latent_dim=2" and -set "latent_dim=3"`}},
		{args: []string{"train", "-dir", x, "-dir", f.mnist}, code: 2,
			stderr: []string{`invalid value "` + f.mnist + `" for flag -dir: already given as "` + x + `"`}},
		// -out - is standard output.
		{args: []string{"sample", "-dir", f.mnist, "-n", "2", "-out", "-"}, code: 0, stderr: []string{"wrote -: 2 samples"},
			check: func(t *testing.T, r result) {
				noFileNamedDash(t, r)
				if _, err := png.Decode(strings.NewReader(r.stdout)); err != nil {
					t.Errorf("sample -out -: stdout is not a PNG: %v", err)
				}
			}},
		{args: []string{"eval", "-dir", f.mnist, "-n", "10", "-out", "-"}, code: 0,
			check: func(t *testing.T, r result) {
				noFileNamedDash(t, r)
				var metrics map[string]any
				if err := json.Unmarshal([]byte(r.stdout), &metrics); err != nil || metrics["images"] != 10.0 {
					t.Errorf("eval -out -: stdout is not the metrics of 10 images, once: %v\n%s", err, r.stdout)
				}
			}},
		// More images than the split has.
		{args: []string{"eval", "-dir", f.mnist, "-n", "1000000"}, code: 2,
			stderr: []string{"vaekit eval: -n=1000000: the test split has 10000 images"}},
	} {
		f.run(t, tc)
	}
	if _, err := os.Stat(x); err == nil {
		t.Errorf("a refused train created %s", x)
	}
}

// Section 4 of issue 26: messages that misled or showed internals.
func TestCommandMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes (-short)")
	}
	f := newHostileFixtures(t)
	x := filepath.Join(f.cwd, "x")
	nested := filepath.Join(f.cwd, "new", "nested", "model")
	userMade := filepath.Join(f.cwd, "mine")
	if err := os.Mkdir(userMade, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []hostileCase{
		// A conditional model's manifold: the suggestion and the accepted values agree.
		{args: []string{"manifold", "-dir", f.cvae, "-n", "3"}, code: 2,
			stderr: []string{"the model is conditional (condition=label): give -label with a class from 0 to 9 (run"}, not: []string{"or all"}},
		{args: []string{"manifold", "-dir", f.cvae, "-n", "3", "-label", "all"}, code: 2,
			stderr: []string{"-label=all: the manifold draws one class, expected a class from 0 to 9"}, not: []string{"or all"}},
		{args: []string{"manifold", "-dir", f.cvae, "-n", "3", "-label", "10"}, code: 2,
			stderr: []string{"-label=10: the manifold draws one class"}, not: []string{"or all"}},
		// A range float32 cannot hold.
		{args: []string{"manifold", "-dir", f.mnist, "-range", "Inf"}, code: 2,
			stderr: []string{"vaekit manifold: -range=+Inf: expected a number > 0 and at most 1000"}, not: []string{"NaN"}},
		{args: []string{"manifold", "-dir", f.mnist, "-range", "1e39"}, code: 2,
			stderr: []string{"vaekit manifold: -range=1e+39: expected a number > 0 and at most 1000"}},
		// Hyperparameters: the bad value and the real default; spaces; NaN and Inf.
		{args: []string{"train", "-dir", x, "--hidden_dims=a,b"}, code: 2,
			stderr: []string{`hidden_dims="a,b": "a" is not an integer: expected integers, comma separated (default 400)`}, not: []string{"[]int{"}},
		{args: []string{"train", "-dir", x, "-set", " latent_dim = 2 ; model = ae ", "-iwae", "5"}, code: 2,
			stderr: []string{"-iwae=5: a plain autoencoder (model=ae) has no likelihood to bound"}},
		{args: []string{"train", "-dir", x, "--kl_weight=NaN"}, code: 2,
			stderr: []string{"kl_weight=NaN: expected a finite number (default 1)"}, not: []string{"invalid character"}},
		{args: []string{"train", "-dir", x, "-set", "learning_rate=inf"}, code: 2,
			stderr: []string{"learning_rate=inf: expected a finite number"}, not: []string{"invalid character"}},
		// Folder data: what a command-line user can do; a file that is no image. The
		// failed first training leaves none of the directories it created.
		{args: []string{"train", "-dir", nested, "-quiet", "--dataset=folder", "-data_dir", f.mixed}, code: 1,
			stderr: []string{"expected images of one size, or -image_shape=HEIGHT,WIDTH,CHANNELS to resize them to"}, not: []string{"FolderOptions"}},
		{args: []string{"train", "-dir", x, "-quiet", "--dataset=folder", "-data_dir", f.noImgs}, code: 1,
			stderr: []string{filepath.Join(f.noImgs, "x.png") + ": cannot read the image header (image: unknown format): expected a PNG or JPEG image"},
			not:    []string{"holds only"}},
		{args: []string{"train", "-dir", userMade, "-quiet", "--dataset=folder", "-data_dir", f.noImgs}, code: 1},
		// A diverging first training: what happened and what to do, not GoMLX's loop.
		{args: append([]string{"train", "-dir", x, "-quiet", "-eval_n=100", "-train_eval_n=100", "--learning_rate=1e30", "--reconstruction=gaussian"}, tinyModel...), code: 1,
			stderr: []string{"vaekit train: at step ", "the training loss is ", "not finite (try a lower learning_rate; nothing was saved in " + x + ")"},
			not:    []string{"Loop.", "TrainStep", "OnStep"}},
	} {
		f.run(t, tc)
	}
	for _, gone := range []string{x, filepath.Join(f.cwd, "new")} {
		if _, err := os.Stat(gone); err == nil {
			t.Errorf("a failed first training left %s", gone)
		}
	}
	if entries, err := os.ReadDir(userMade); err != nil || len(entries) > 0 {
		t.Errorf("the directory the user made: %v, holding %v; want it kept, as empty as it was", err, entries)
	}
}
