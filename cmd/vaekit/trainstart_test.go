package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A directory holding only a model's config.json trains a new model with its
// hyperparameters (the flags over them), and says so: never the defaults over the file.
// A config.json that is not a vaekit model's, or an invalid one, is refused and left as
// it is.
func TestTrainWithOnlyAConfigFile(t *testing.T) {
	model, _ := trainedModel(t)
	saved, err := os.ReadFile(filepath.Join(model, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "copied")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), saved, 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := runProcess(t, nil, "train", "-dir", dir, "-quiet", "--train_steps=20", "-eval_n=200", "-train_eval_n=200")
	note := "vaekit train: " + dir + " holds no checkpoint: training a new model with the hyperparameters of " + filepath.Join(dir, "config.json") + ", changed by the flags given\n"
	if r.code != 0 || r.stderr != note || !strings.Contains(r.stdout, "vae at step 20 (20 new steps") {
		t.Errorf("train on a directory holding only config.json: want exit 0, the note %q and 20 steps; got %s", note, r)
	}
	m := loadSaved(t, dir)
	if m.Config.LatentDim != 2 || !slices.Equal(m.Config.HiddenDims, []int{32}) || m.Config.BatchSize != 64 || m.Config.Steps != 20 {
		t.Errorf("the model trained with %s; want config.json's latent_dim=2, hidden_dims=32, batch_size=64, and the flag's train_steps=20", m.Config)
	}

	for _, tc := range []struct {
		name, content, want string
	}{
		{"another program's", `{"name": "my web app"}`, "is not a vaekit model's config.json"},
		{"invalid", `{"format": 1, "config": {"latent_dim": 0}}`, "config.json: invalid config: latent_dim=0: expected >= 1; fix it, or train in another directory"},
		{"broken", `{"format": 1, "config": {"latent_dim": `, "config.json: unexpected end of JSON input; fix it"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		before := treeSums(t, dir)
		r, _ := runProcess(t, nil, "train", "-dir", dir, "--train_steps=3")
		checkRefused(t, tc.name+" config.json", r, 1, tc.want)
		checkUnchanged(t, tc.name+" config.json", before, []string{dir})
	}
}

// A model directory inside, or equal to, the data directory is refused (its files would
// join the data), also through a symbolic link; the data stay as they were.
func TestTrainRefusesAModelInsideItsData(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "images")
	writePNGFolder(t, folder, 3)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(folder, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir, want string
	}{
		{folder, "is the data directory (-data_dir " + folder + ")"},
		{filepath.Join(folder, "model"), "is inside the data directory"},
		{filepath.Join(folder, "dark"), "is inside the data directory"},
		{filepath.Join(link, "model"), "is inside the data directory"},
	} {
		before := treeSums(t, folder)
		r, _ := runProcess(t, nil, "train", "-dir", tc.dir, "--dataset=folder", "-data_dir", folder, "--train_steps=3", "--hidden_dims=8")
		checkRefused(t, "train -dir "+tc.dir, r, 2, "-dir "+tc.dir+" "+tc.want, "expected a model directory outside it")
		checkUnchanged(t, "train -dir "+tc.dir, before, []string{folder})
	}
}
