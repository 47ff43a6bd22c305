package judge

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/ml/model/checkpoint"

	"github.com/vaekit/vaekit/internal/backend"
	"github.com/vaekit/vaekit/internal/cachedir"
	"github.com/vaekit/vaekit/internal/ckptfile"
	"github.com/vaekit/vaekit/internal/dirlock"
	"github.com/vaekit/vaekit/vaekit/data"
)

// A judge is trained once per data set and kept in vaekit's model cache ($VAEKIT_MODELS,
// else <user cache dir>/vaekit/models), in the directory judge-<data set>-f<training
// format>-<hash of its settings>, by the protocol of the models' entries there:
//
//	.lock                                who holds the entry (internal/dirlock)
//	checkpoint-n*-step-*.{json,bin}      its weights (a GoMLX checkpoint, written atomically)
//	judge.json                           Info: settings, test accuracy, training time
//
// judge.json is written last, atomically: an entry without it is a judge whose training
// or saving did not finish, trained again. Processes coordinate through the entry's lock:
// the first one trains, and the others wait for it (saying for whom), then load what it
// saved.

const infoFileName = "judge.json"

// Options steer Load; none of them changes the judge.
type Options struct {
	// Data says where to find the data set, should the judge need training.
	Data data.Options

	// Log receives Load's messages: training the judge (with its test accuracy), waiting
	// for another process. Nil means os.Stderr.
	Log io.Writer

	// Progress shows a progress bar while the judge trains.
	Progress bool

	// Steps, when > 0, trains the judge for that many steps instead of its 3,000: a quick
	// judge for budget runs (notebooks in quick mode), cached apart from the full one.
	Steps int
}

// Load returns the judge of a data set: read from the model cache, or, the first time,
// trained on the data set's training images (a few minutes) and saved there. Its test
// accuracy is in Info.TestAccuracy. It runs on vaekit's backend (vaekit.Backend).
func Load(dataset data.Name, opts Options) (*Judge, error) {
	name, err := judgedName(dataset)
	if err != nil {
		return nil, err
	}
	if opts.Steps < 0 {
		return nil, fmt.Errorf("judge: Options.Steps=%d, expected >= 0 (0: the default)", opts.Steps)
	}
	s := defaultSettings(name)
	if opts.Steps > 0 {
		s.Steps = opts.Steps
	}
	return load(s, opts)
}

// Untrained returns a judge of the data set with random weights (drawn from its seed), not
// trained and not cached: its scores say nothing about images. It stands in for a trained
// judge in tests of code that takes a *Judge, which would otherwise train one first.
func Untrained(dataset data.Name) (*Judge, error) {
	name, err := judgedName(dataset)
	if err != nil {
		return nil, err
	}
	b, err := backend.Get()
	if err != nil {
		return nil, err
	}
	return newJudge(b, defaultSettings(name))
}

// judgedName parses dataset and checks it is one a judge exists for: MNIST and
// Fashion-MNIST (28x28 grey digits and clothes). Other data, CIFAR-10 or one's own, has
// other images, and a judge of one's own data would be cached under a name that does not
// say which data it learned.
func judgedName(dataset data.Name) (data.Name, error) {
	name, err := data.ParseName(string(dataset))
	if err != nil {
		return "", fmt.Errorf("judge: %w", err)
	}
	if name != data.MNIST && name != data.FashionMNIST {
		return "", fmt.Errorf("judge: no judge for %s: judges exist for %s and %s only", name, data.MNIST, data.FashionMNIST)
	}
	return name, nil
}

func load(s Settings, opts Options) (*Judge, error) {
	b, err := backend.Get()
	if err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = os.Stderr
	}
	root, err := cachedir.Models()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, s.entryName())
	lock, err := dirlock.Wait(dir, "training this judge", "judge", log)
	if err != nil {
		return nil, fmt.Errorf("judge: %w", err)
	}
	defer lock.Unlock()

	if _, err := os.Stat(filepath.Join(dir, infoFileName)); err == nil {
		return open(b, s, dir)
	}
	// What a run that died before judge.json left: only a holder of the lock writes here.
	if err := clearEntry(dir); err != nil {
		return nil, err
	}
	trainSet, testSet, err := data.LoadBoth(data.Name(s.Dataset), opts.Data)
	if err != nil {
		return nil, fmt.Errorf("judge: loading the data to train the judge of %s: %w", s.Dataset, err)
	}
	j, err := newJudge(b, s)
	if err != nil {
		return nil, err
	}
	if err := j.train(trainSet, testSet, opts.Progress, log); err != nil {
		return nil, err
	}
	if err := j.save(dir); err != nil {
		return nil, fmt.Errorf("judge: saving the judge of %s in %s: %w", s.Dataset, dir, err)
	}
	j.dir = dir
	return j, nil
}

// clearEntry removes everything in the entry dir but its lock file.
func clearEntry(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("judge: %w", err)
	}
	for _, e := range entries {
		if e.Name() != dirlock.FileName {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("judge: clearing the unfinished judge in %s: %w", dir, err)
			}
		}
	}
	return nil
}

// entryName is the name of the judge's directory in the model cache.
func (s Settings) entryName() string {
	return fmt.Sprintf("judge-%s-f%d-%s", s.Dataset, s.Format, s.hash())
}

// save writes the judge's weights and Info into dir.
func (j *Judge) save(dir string) error {
	saver, err := ckptfile.NewSaver(j.store, dir, 1)
	if err != nil {
		return err
	}
	if err := saver.Save(j.Info.Settings.Steps); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(dir, ckptfile.StagingDirName)); err != nil {
		return err
	}
	return ckptfile.WriteJSONAtomic(filepath.Join(dir, infoFileName), j.Info)
}

// open reads the judge saved in dir, which must have been trained with settings s.
func open(backend compute.Backend, s Settings, dir string) (*Judge, error) {
	j, err := newJudge(backend, s)
	if err != nil {
		return nil, err
	}
	if err := j.read(dir); err != nil {
		return nil, fmt.Errorf("judge: the saved judge in %s cannot be used: %w; delete that directory to train the judge again", dir, err)
	}
	j.dir = dir
	return j, nil
}

func (j *Judge) read(dir string) error {
	raw, err := os.ReadFile(filepath.Join(dir, infoFileName))
	if err != nil {
		return err
	}
	var info Info
	if err := json.Unmarshal(raw, &info); err != nil {
		return fmt.Errorf("reading %s: %w", infoFileName, err)
	}
	if info.Settings != j.Info.Settings {
		return fmt.Errorf("%s says it was trained with settings %+v, expected %+v", infoFileName, info.Settings, j.Info.Settings)
	}
	bases, err := ckptfile.List(dir)
	if err != nil {
		return err
	}
	if len(bases) == 0 {
		return fmt.Errorf("no checkpoint (checkpoint-*%s) holds its weights", checkpoint.JsonNameSuffix)
	}
	saved, err := ckptfile.ReadIndex(dir, bases[len(bases)-1])
	if err != nil {
		return err
	}
	if err := checkWeights(j.Info.Settings.variables(), saved); err != nil {
		return err
	}
	if err := ckptfile.Load(j.store, dir, saved); err != nil {
		return err
	}
	j.Info = info
	return nil
}

// checkWeights compares the weights a checkpoint holds with those the network needs:
// GoMLX would quietly give a missing weight fresh random values. Variables outside the
// network's scopes (the global step GoMLX's checkpoints keep) are left alone.
func checkWeights(want map[string]shapes.Shape, saved map[string]ckptfile.Var) error {
	var problems []string
	for _, d := range ckptfile.Compare(want, saved) {
		switch {
		case d.Saved == nil:
			problems = append(problems, fmt.Sprintf("the checkpoint lacks the weight %s %s", d.Path, *d.Want))
		case d.Want == nil:
			problems = append(problems, fmt.Sprintf("the checkpoint holds %s, which the network does not have", d.Path))
		default:
			problems = append(problems, fmt.Sprintf("the weight %s is %s in the checkpoint, expected %s", d.Path, *d.Saved, *d.Want))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return errors.New(strings.Join(problems, "; "))
}
