package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit"
)

// The tests run the command end to end on the real MNIST (read offline from the GoMNIST
// Go module), with a model small enough to train in seconds.

// tinyModel are the hyperparameters of the model the tests train.
var tinyModel = []string{"--hidden_dims=32", "--latent_dim=2", "--train_steps=30", "--eval_every=0", "--batch_size=64"}

// tinyModelWith is tinyModel with some of its flags given other values (a flag given
// twice is refused).
func tinyModelWith(flags ...string) []string {
	out := slices.Clone(tinyModel)
	for _, f := range flags {
		name, _, _ := strings.Cut(f, "=")
		if i := slices.IndexFunc(out, func(g string) bool { return strings.HasPrefix(g, name+"=") }); i >= 0 {
			out[i] = f
		} else {
			out = append(out, f)
		}
	}
	return out
}

// testRoot is a temporary directory for the whole package's tests.
var testRoot string

// asCommandEnv makes the test binary the vaekit command: tests that need other processes
// run it with the command's arguments.
const asCommandEnv = "VAEKIT_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommandEnv) != "" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	// The pure Go backend needs nothing installed; the child processes inherit it.
	os.Setenv("GOMLX_BACKEND", "go")
	os.Unsetenv("VAEKIT_QUICK") // -quick would change the training budgets.
	// The commands read MNIST from this machine's offline copy (scripts/setup.sh fetches
	// it); a test never downloads.
	os.Setenv("VAEKIT_NO_DOWNLOAD", "1")
	var err error
	if testRoot, err = os.MkdirTemp("", "vaekit-cmd-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(testRoot)
	os.Exit(code)
}

// result is what one run of the command gave.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// vaekitRun runs the command in this process, as main does.
func vaekitRun(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mustRun runs the command and fails the test unless it succeeds.
func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := vaekitRun(args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("vaekit %s: want exit 0 and nothing on stderr, got %s", strings.Join(args, " "), r)
	}
	return r
}

var (
	trainOnce   sync.Once
	trainResult result
)

// trainedModel returns the directory of a tiny model trained once for all tests (which
// must not change it), and the result of that train command.
func trainedModel(t *testing.T) (string, result) {
	t.Helper()
	dir := filepath.Join(testRoot, "model")
	trainOnce.Do(func() {
		args := append([]string{"train", "-dir", dir, "-quiet", "-eval_n=1000", "-train_eval_n=1000"}, tinyModel...)
		trainResult = vaekitRun(args...)
	})
	if trainResult.code != 0 {
		t.Fatalf("training the test model failed (it reads MNIST offline: run scripts/setup.sh if the copy is missing): %s", trainResult)
	}
	return dir, trainResult
}

// copyModel copies the trained model into a new directory, for tests that change it.
func copyModel(t *testing.T) string {
	t.Helper()
	src, _ := trainedModel(t)
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		content, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func checkSize(t *testing.T, path string, img image.Image, width, height int) {
	t.Helper()
	if got := img.Bounds().Size(); got.X != width || got.Y != height {
		t.Errorf("%s is %dx%d pixels, want %dx%d", path, got.X, got.Y, width, height)
	}
}

// commandFlags returns the flags a command defines.
func commandFlags(c *command) []string {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.flags(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		r := mustRun(t, args...)
		for _, c := range commands {
			if !strings.Contains(r.stdout, "  "+c.name+" ") || !strings.Contains(r.stdout, c.summary) {
				t.Errorf("vaekit %s does not list the command %q with its summary:\n%s", args[0], c.name, r.stdout)
			}
		}
		for _, name := range hyperparameterNames() {
			if !strings.Contains(r.stdout, "-"+name+" ") {
				t.Errorf("vaekit %s does not document the hyperparameter -%s", args[0], name)
			}
		}
	}
	// Every command documents every one of its flags, with train's hyperparameters.
	for _, c := range commands {
		r := mustRun(t, c.name, "-h")
		if !strings.HasPrefix(r.stdout, "Usage: vaekit "+c.name) {
			t.Errorf("vaekit %s -h does not start with its usage line:\n%s", c.name, r.stdout)
		}
		for _, name := range commandFlags(c) {
			if !strings.Contains(r.stdout, "  -"+name+" ") && !strings.Contains(r.stdout, "  -"+name+"\n") {
				t.Errorf("vaekit %s -h does not document its flag -%s:\n%s", c.name, name, r.stdout)
			}
		}
		if hyper := strings.Contains(r.stdout, "Hyperparameters"); hyper != (c == trainCmd) {
			t.Errorf("vaekit %s -h: lists hyperparameters: %v, want %v", c.name, hyper, c == trainCmd)
		}
		if help := mustRun(t, "help", c.name); help.stdout != r.stdout {
			t.Errorf("vaekit help %s differs from vaekit %s -h", c.name, c.name)
		}
	}
	train := mustRun(t, "train", "-h")
	if !strings.Contains(train.stdout, "  -kl_weight float\n") || !strings.Contains(train.stdout, "(default 1)") {
		t.Errorf("vaekit train -h does not document -kl_weight with its default:\n%s", train.stdout)
	}
}

// TestHyperparameters checks that the hyperparameter flags apply together, validated
// together, over the Config they are applied to, and that one given twice is refused.
func TestHyperparameters(t *testing.T) {
	parse := func(args ...string) *settings {
		t.Helper()
		var s settings
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		registerHyperparameters(fs, &s)
		if err := fs.Parse(args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return &s
	}
	cfg, err := parse("--epochs=0", "--train_steps=30", "--latent_dim=3", "-set", " hidden_dims = 64 ;kl_weight=0.5").apply(vaekit.DefaultConfig())
	if err != nil || cfg.Epochs != 0 || cfg.Steps != 30 || cfg.LatentDim != 3 || cfg.KLWeight != 0.5 || !slices.Equal(cfg.HiddenDims, []int{64}) {
		t.Errorf("want epochs=0, train_steps=30, latent_dim=3, hidden_dims=64, kl_weight=0.5; got %s, error %v", cfg, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--latent_dim=3", "-set", "latent_dim=4"}, `latent_dim is given twice, as --latent_dim=3 and -set "latent_dim=4": give it once`},
		{[]string{"--latent_dim=3", "--latent_dim=4"}, "latent_dim is given twice, as --latent_dim=3 and --latent_dim=4"},
		{[]string{"-set", "kl_weight=1", "-set", "latent_dim=2;kl_weight=2"}, `kl_weight is given twice, as -set "kl_weight=1" and -set "kl_weight=2"`},
		{[]string{"--activation=tanh;latent_dim=5"}, `invalid value "tanh;latent_dim=5" for flag -activation: expected one value`},
	} {
		if _, err := parse(tc.args...).apply(vaekit.DefaultConfig()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v; want one saying %q", tc.args, err, tc.want)
		}
	}
	saved := vaekit.DefaultConfig()
	saved.LatentDim, saved.HiddenDims = 2, []int{32}
	cfg, err = parse("--train_steps=100").apply(saved)
	if err != nil || cfg.LatentDim != 2 || !slices.Equal(cfg.HiddenDims, []int{32}) || cfg.Steps != 100 {
		t.Errorf("applied over a saved config: want latent_dim=2, hidden_dims=32, train_steps=100; got %s, error %v", cfg, err)
	}
	if _, err := parse("--epochs=0").apply(vaekit.DefaultConfig()); err == nil || !strings.Contains(err.Error(), "train_steps=0 and epochs=0") {
		t.Errorf("--epochs=0 alone: want an error naming train_steps and epochs, got %v", err)
	}
}

// TestUsageErrors checks that bad commands, flags and settings exit with status 2 (usage)
// or 1 (runtime), with one line on stderr that names the problem.
func TestUsageErrors(t *testing.T) {
	model, _ := trainedModel(t)
	empty := t.TempDir()
	x := filepath.Join(t.TempDir(), "x")
	for _, tc := range []struct {
		args []string
		code int
		want string // On stderr.
	}{
		{nil, 2, "no command given"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"--kl_weight=3", "train"}, 2, "flags go after the command"},
		{[]string{"train"}, 2, "-dir is required"},
		{[]string{"train", "-dir", x, "--latent_dim=0"}, 2, "-latent_dim"},
		{[]string{"train", "-dir", x, "--kl_weight=-1"}, 2, "kl_weight=-1"},
		{[]string{"train", "-dir", x, "--architecture=foo"}, 2, `architecture="foo": expected one of mlp, conv`},
		{[]string{"train", "-dir", x, "--latent_dim=two"}, 2, `invalid value "two" for flag -latent_dim`},
		{[]string{"train", "-dir", x, "-set", "latent_dim=0;kl_weight=-2"}, 2, "latent_dim=0: expected >= 1; kl_weight=-2"},
		{[]string{"train", "-dir", x, "--latent_dim=2", "--dropout=1.5"}, 2, "invalid hyperparameters: invalid config: dropout=1.5"},
		{[]string{"train", "-dir", x, "-set", "no_such_param=1"}, 2, "no_such_param"},
		{[]string{"train", "-dir", x, "--no_such_flag"}, 2, "-no_such_flag"},
		{[]string{"train", "-dir", x, "-iwae", "-1"}, 2, "-iwae=-1"},
		{[]string{"train", "-dir", x, "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"eval"}, 2, "-dir is required"},
		{[]string{"eval", "-dir", x}, 1, "does not exist"},
		{[]string{"eval", "-dir", empty}, 1, "no trained model in " + empty},
		{[]string{"sample", "-dir", empty}, 1, "no trained model"},
		{[]string{"manifold", "-dir", empty}, 1, "no trained model"},
		{[]string{"reconstruct", "-dir", empty}, 1, "no trained model"},
		{[]string{"eval", "-dir", model, "--kl_weight=3"}, 2, "-kl_weight; hyperparameters are set by 'vaekit train'"},
		{[]string{"eval", "-dir", model, "-split", "validation"}, 2, `-split="validation"`},
		{[]string{"eval", "-dir", model, "-n", "-5"}, 2, "-n=-5"},
		{[]string{"eval", "-dir", model, "-judge", "-3"}, 2, "-judge=-3: expected a number of samples >= 2"},
		{[]string{"eval", "-dir", model, "-judge", "1"}, 2, "-judge=1: expected a number of samples >= 2"},
		{[]string{"sample", "-dir", model, "-n", "0"}, 2, "-n=0"},
		{[]string{"sample", "-dir", model, "-scale", "0"}, 2, "-scale=0"},
		{[]string{"sample", "-dir", model, "-out", "samples.jpg"}, 2, "expected a file name ending in .png"},
		{[]string{"manifold", "-dir", model, "-dims", "0,2"}, 2, "latent dimension 2 does not exist"},
		{[]string{"manifold", "-dir", model, "-dims", "1,1"}, 2, "two different dimensions"},
		{[]string{"manifold", "-dir", model, "-dims", "x"}, 2, "-dims"},
		{[]string{"manifold", "-dir", model, "-grid", "log"}, 2, `-grid="log"`},
		{[]string{"manifold", "-dir", model, "-n", "1"}, 2, "-n=1"},
		{[]string{"manifold", "-dir", model, "-range", "0"}, 2, "-range=0"},
		{[]string{"manifold", "-dir", model, "-grid", "quantile", "-quantile", "0.7"}, 2, "-quantile=0.7"},
		{[]string{"reconstruct", "-dir", model, "-first", "9998", "-n", "5"}, 2, "has 10000 images"},
		{[]string{"train", "-dir", model, "--latent_dim=3", "-quiet"}, 1, "latent_dim: saved 2, requested 3"},
		{[]string{"train", "-dir", x, "--model=ae", "-iwae", "10"}, 2, "model=ae"},
	} {
		r := vaekitRun(tc.args...)
		name := "vaekit " + strings.Join(tc.args, " ")
		if r.code != tc.code {
			t.Errorf("%s: want exit %d, got %s", name, tc.code, r)
			continue
		}
		if !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: stderr does not say %q:\n%s", name, tc.want, r.stderr)
		}
		if strings.Count(r.stderr, "\n") != 1 || strings.Contains(r.stderr, "goroutine") {
			t.Errorf("%s: want one line on stderr, got:\n%s", name, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%s: want nothing on stdout, got:\n%s", name, r.stdout)
		}
	}
	if _, err := os.Stat(x); err == nil {
		t.Errorf("a failed command created %s", x)
	}
}

// TestBinary builds the real command and checks its exit statuses and outputs.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command (-short)")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build vaekit with")
	}
	model, _ := trainedModel(t)
	bin := filepath.Join(t.TempDir(), "vaekit")
	if out, err := exec.Command(goCmd, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	samples := filepath.Join(t.TempDir(), "pictures", "samples.png")
	for _, tc := range []struct {
		args       []string
		code       int
		wantStdout string
		wantStderr string
	}{
		{[]string{"-h"}, 0, "kl_weight", ""},
		{[]string{"train", "-h"}, 0, "-latent_dim int", ""},
		{[]string{}, 2, "", "no command given"},
		{[]string{"train", "-dir", t.TempDir(), "--latent_dim=0"}, 2, "", "-latent_dim"},
		{[]string{"train", "-dir", t.TempDir(), "--architecture=foo"}, 2, "", "architecture"},
		{[]string{"eval", "-dir", t.TempDir()}, 1, "", "no trained model"},
		{[]string{"sample", "-dir", model, "-n", "4", "-out", samples}, 0, "wrote " + samples, ""},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Env = append(os.Environ(), "GOMLX_BACKEND=go")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if exit, ok := err.(*exec.ExitError); ok {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("running %s: %v", bin, err)
		}
		r := result{code, stdout.String(), stderr.String()}
		name := "vaekit " + strings.Join(tc.args, " ")
		if r.code != tc.code || !strings.Contains(r.stdout, tc.wantStdout) || !strings.Contains(r.stderr, tc.wantStderr) {
			t.Errorf("%s: want exit %d, %q on stdout and %q on stderr; got %s", name, tc.code, tc.wantStdout, tc.wantStderr, r)
		}
		if tc.code != 0 && (strings.Count(r.stderr, "\n") != 1 || strings.Contains(r.stderr, "goroutine")) {
			t.Errorf("%s: want one line on stderr, got:\n%s", name, r.stderr)
		}
	}
	testutil.ReadPNG(t, samples)
}
