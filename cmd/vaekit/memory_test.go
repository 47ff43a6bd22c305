package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaekit/vaekit/vaekit"
)

// memoryCase is a command that once ran the machine out of memory.
type memoryCase struct {
	name  string
	args  []string
	wants []string // On stderr.
	limit bool     // Whether the message names the memory limit.
}

func memoryCases(model, cvae, folder, work string) []memoryCase {
	dir := func(name string) string { return filepath.Join(work, name) }
	return []memoryCase{
		{"latent_dim=1e11", []string{"train", "-dir", dir("a"), "--latent_dim=100000000000", "--train_steps=3"},
			[]string{"vaekit train: hidden_dims[0]=400 x latent_dim=100000000000 (the posterior's mean): training needs about "}, true},
		{"4096x4096 images", []string{"train", "-dir", dir("b"), "--dataset=folder", "-data_dir", folder, "--image_shape=4096,4096,3", "--train_steps=3", "--batch_size=1"},
			[]string{"image_shape=4096,4096,3", "training needs about "}, true},
		{"conv_kernel=100", []string{"train", "-dir", dir("c"), "--architecture=conv", "--conv_kernel=100", "--train_steps=3"},
			[]string{"conv_kernel=100: larger than the 28x28 input of the encoder's convolution 1", "expected conv_kernel <= 7"}, false},
		{"conv_kernel=28", []string{"train", "-dir", dir("d"), "--architecture=conv", "--conv_kernel=28", "--train_steps=3"},
			[]string{"conv_kernel=28: larger than the 14x14 input of the encoder's convolution 2"}, false},
		{"sample -label all", []string{"sample", "-dir", cvae, "-n", "10000", "-label", "all", "-scale", "16", "-padding", "100", "-out", dir("s.png")},
			[]string{"-n=10000 -label=all -scale=16 -padding=100: the picture would be 5480100x5580 pixels", "more than the 100 megapixels"}, false},
		{"eval -iwae 1000000", []string{"eval", "-dir", model, "-n", "2", "-iwae", "1000000"},
			[]string{"-iwae=1000000: expected a number of samples from 0 (skip) to 100000"}, false},
		{"reconstruct", []string{"reconstruct", "-dir", model, "-n", "10000", "-scale", "16", "-padding", "100", "-out", dir("r.png")},
			[]string{"-n=10000 -cols=0 -scale=16 -padding=100: the picture would be ", "more than the 100 megapixels"}, false},
		{"manifold", []string{"manifold", "-dir", model, "-n", "100", "-axes=false", "-scale", "16", "-out", dir("m.png")},
			[]string{"-n=100 -axes=false -scale=16: the picture would be 44800x44800 pixels"}, false},
		{"latent_dim=5e6", []string{"train", "-dir", dir("e"), "--latent_dim=5000000", "--train_steps=3"},
			[]string{"latent_dim=5000000", "training needs about "}, true},
	}
}

// The settings that crashed the command out of memory (issue 26) are usage errors, given
// at once with the setting, the estimate and the limit, before any file is written: in a
// process of its own, and again under an address-space limit of 4 GiB (ulimit -v), well
// below the machine's, where they crashed sooner.
func TestMemoryCasesAreUsageErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes (-short)")
	}
	model, _ := trainedModel(t)
	cvae := trainedCVAE(t)
	folder, work := t.TempDir(), t.TempDir()
	writePNGFolder(t, folder, 2)
	roots := []string{model, cvae, folder, work}
	const asLimit = 4 << 30
	limited := []string{"sh", "-c", `ulimit -v 4194304 && exec "$@"`, "sh"}
	for _, run := range []struct {
		name    string
		wrapper []string
		source  string // How the message names the limit.
	}{
		{"unlimited", nil, "of this machine's"},
		{"ulimit -v", limited, "of the address-space limit (ulimit -v) of 4.0 GiB"},
	} {
		t.Run(run.name, func(t *testing.T) {
			if run.wrapper != nil {
				if out, err := exec.Command(run.wrapper[0], run.wrapper[1], "true").CombinedOutput(); err != nil {
					t.Skipf("sh cannot set ulimit -v: %v %s", err, out)
				}
				if machine, _ := vaekit.MachineMemory(); machine <= asLimit {
					run.source = "memory limit of" // The machine has less: the limit is its.
				}
			}
			for _, tc := range memoryCases(model, cvae, folder, work) {
				before := treeSums(t, roots...)
				r, took := runProcess(t, run.wrapper, tc.args...)
				wants := tc.wants
				if tc.limit {
					wants = append(wants, "more than the memory limit of ", run.source, "; -memory_limit raises the limit")
				}
				checkRefused(t, tc.name, r, 2, wants...)
				if took > 30*time.Second {
					t.Errorf("%s: refused after %v, want at once", tc.name, took)
				}
				checkUnchanged(t, tc.name, before, roots)
			}
		})
	}
}

// -memory_limit sets the limit, as a size or a percentage of the machine's memory: a
// model or a picture above it is refused, naming it; a limit it fits is accepted.
func TestMemoryLimitFlag(t *testing.T) {
	model, _ := trainedModel(t)
	work := t.TempDir()
	out := filepath.Join(work, "s.png")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append([]string{"train", "-dir", filepath.Join(work, "x"), "-memory_limit=1M"}, tinyModel...), "more than the memory limit of 1.0 MiB (-memory_limit)"},
		{[]string{"eval", "-dir", model, "-n", "5", "-memory_limit", "0.0001%"}, "more than the memory limit of "},
		{[]string{"sample", "-dir", model, "-n", "4", "-memory_limit=64K", "-out", out}, "-n=4 -cols=8 -scale=2 -padding=2: the picture and its images need about"},
		{[]string{"sample", "-dir", model, "-memory_limit=lots"}, `invalid value "lots" for flag -memory_limit: expected a size such as 16G`},
		{[]string{"sample", "-dir", model, "-memory_limit=-3G"}, `invalid value "-3G" for flag -memory_limit`},
		{[]string{"eval", "-dir", model, "-iwae", "100001"}, "-iwae=100001: expected a number of samples from 0 (skip) to 100000"},
		{[]string{"train", "-dir", filepath.Join(work, "x"), "-iwae", "100001"}, "-iwae=100001"},
	} {
		checkRefused(t, strings.Join(tc.args, " "), vaekitRun(tc.args...), 2, tc.want)
	}
	mustRun(t, "sample", "-dir", model, "-n", "4", "-memory_limit=1G", "-out", out)
	mustRun(t, "eval", "-dir", model, "-n", "5", "-iwae", "10", "-memory_limit=90%")
	checkUnchanged(t, "the refused commands", map[string]string{}, []string{filepath.Join(work, "x")})
}

func TestParseByteSize(t *testing.T) {
	for text, want := range map[string]float64{"512": 512, "16G": 16 << 30, "16GiB": 16 << 30, "16gb": 16 << 30, "1.5M": 1.5 * (1 << 20), "2T": 2 << 40} {
		if got, err := parseByteSize(text); err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %g, %v; want %g", text, got, err, want)
		}
	}
	for _, text := range []string{"", "G", "0", "-1K", "x", "1X", "Inf"} {
		if got, err := parseByteSize(text); err == nil {
			t.Errorf("parseByteSize(%q) = %g, want an error", text, got)
		}
	}
}
