package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
)

// Flags shared by several commands.

func dirFlag(fs *flag.FlagSet, doc string) *string {
	return fs.String("dir", "", "model directory (required): "+doc)
}

func dataDirFlag(fs *flag.FlagSet) *string {
	return fs.String("data_dir", "", "directory holding the data set's files, used instead of $VAEKIT_DATA, the\n"+
		"offline copies and the download mirrors (if its files are missing or broken, the\n"+
		"command fails): MNIST's *-ubyte.gz, CIFAR-10's cifar-10-binary.tar.gz, or, for\n"+
		"--dataset=idx, train-images*/t10k-images* IDX files (labels optional), and for\n"+
		"--dataset=folder, a folder of PNG/JPEG images (one subfolder per class, or\n"+
		"train/ and test/; else 10% held out)")
}

// dataOptions are the options to load the data of cfg from dataDir with: a folder's
// images are read at cfg's image shape.
func dataOptions(cfg vaekit.Config, dataDir string, log io.Writer) data.Options {
	shape := cfg.Shape()
	return data.Options{Dir: dataDir, Log: log, Folder: data.FolderOptions{
		Height: shape.Height, Width: shape.Width, Channels: shape.Channels, Seed: cfg.Seed}}
}

// outFlag is -out for a picture; its default is DIR/name.
func outFlag(fs *flag.FlagSet, name string) *string {
	return fs.String("out", "", "PNG file to write, outside any model directory, or - for standard output\n(default DIR/"+name+")")
}

// pngPath returns the -out path of a picture command: out (checked by checkOut), or
// DIR/name when out is empty.
func pngPath(out, dir, name string) (string, error) {
	if out == "" {
		return filepath.Join(dir, name), nil
	}
	return out, checkOut(out, ".png", dir, name)
}

// loadModel loads the model saved in dir, explaining what is wrong when there is none, and
// saying on stderr when older code trained it.
func loadModel(dir string, stderr io.Writer) (*vaekit.Model, error) {
	if dir == "" {
		return nil, usagef("-dir is required: the directory of a model written by 'vaekit train'")
	}
	if !vaekit.HasSavedModel(dir) {
		if err := trainingUnderway(dir); err != nil {
			return nil, err
		}
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("model directory %s does not exist (train a model there with 'vaekit train -dir %s')", dir, dir)
		}
		return nil, fmt.Errorf("no trained model in %s (train one with 'vaekit train -dir %s')", dir, dir)
	}
	m, err := vaekit.Load(dir)
	if err == nil && m.TrainingFormat != vaekit.TrainingFormat {
		// Usable, but not what today's code trains from its Config: never silently.
		fmt.Fprintf(stderr, "vaekit: the model in %s was trained by training format %d, this vaekit trains format %d: it is what older code made of its settings\n",
			dir, m.TrainingFormat, vaekit.TrainingFormat)
	}
	return m, err
}

// loadSplit loads one split ("train" or "test") of the model's data set, refusing data of
// one's own other than the model's (checkTrainingData).
func loadSplit(m *vaekit.Model, split, dataDir string) (*data.Set, error) {
	name, err := data.ParseName(string(m.Config.Dataset))
	if err != nil {
		return nil, err
	}
	sp, err := data.ParseSplit(split)
	if err != nil {
		return nil, usagef("-split: %v", err)
	}
	set, err := data.Load(name, sp, dataOptions(m.Config, dataDir, nil))
	if err != nil {
		return nil, err
	}
	if err := checkTrainingData(m, set, sp, dataDir); err != nil {
		return nil, err
	}
	return set, nil
}

// metricsFile is the JSON that train and eval write: vaekit.Metrics (the ELBO and its
// terms, IWAE, active units, KL per dimension, ...) and, so that a file stands on its own,
// the model's directory and hyperparameters.
type metricsFile struct {
	*vaekit.Metrics
	ModelDir string        `json:"model_dir"`
	Config   vaekit.Config `json:"config"`
}

func metricsJSON(m *vaekit.Model, dir string, metrics *vaekit.Metrics) ([]byte, error) {
	out, err := json.MarshalIndent(metricsFile{Metrics: metrics, ModelDir: dir, Config: m.Config}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("the metrics cannot be written as JSON (%w): is the model broken?", err)
	}
	return append(out, '\n'), nil
}
