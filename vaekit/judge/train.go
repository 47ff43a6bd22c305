package judge

import (
	"fmt"
	"io"
	mathrand "math/rand"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/dataset"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/ml/train/optimizer/cosineschedule"
	"github.com/gomlx/gomlx/ui/commandline"

	"github.com/vaekit/vaekit/internal/workarounds"
	"github.com/vaekit/vaekit/vaekit/data"
)

// newJudge returns an untrained judge with s's network; its weights are drawn from s.Seed
// when a graph first uses them.
func newJudge(backend compute.Backend, s Settings) (*Judge, error) {
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(int64(s.Seed)); err != nil {
		return nil, fmt.Errorf("judge: seeding the judge's weights: %w", err)
	}
	return &Judge{backend: backend, store: store, Info: Info{Dataset: s.Dataset, Settings: s, Backend: backend.Name()}}, nil
}

// train trains the judge on trainSet for s.Steps steps of Adam on the cross-entropy,
// batches drawn at random (seeded) from the whole set, then scores it on testSet.
func (j *Judge) train(trainSet, testSet *data.Set, progress bool, log io.Writer) error {
	s := j.Info.Settings
	for _, set := range []*data.Set{trainSet, testSet} {
		if err := j.checkSet(set); err != nil {
			return err
		}
		if len(set.Labels) != set.N {
			return fmt.Errorf("judge: the %s set of %s has %d labels for %d images", set.Split, set.Name, len(set.Labels), set.N)
		}
	}
	fmt.Fprintf(log, "judge: training the judge of %s (%d steps of %d images: a minute or two on two CPU cores, once; it is kept in the model cache)\n", s.Dataset, s.Steps, s.BatchSize)
	start := time.Now()

	// The images stay on the device (as bytes); GoMLX gathers each batch there.
	images, err := workarounds.DeviceImages(j.backend, trainSet.Images, trainSet.N, height*width)
	if err != nil {
		return fmt.Errorf("judge: preparing the training images: %w", err)
	}
	labels := make([]int32, trainSet.N) // The loss takes [N, 1] integer labels.
	for i, l := range trainSet.Labels {
		labels[i] = int32(l)
	}
	ds, err := dataset.InMemoryFromData(j.backend, "judge-train", []any{images}, []any{tensors.FromFlatDataAndDimensions(labels, trainSet.N, 1)})
	if err != nil {
		return fmt.Errorf("judge: preparing the training data: %w", err)
	}
	defer ds.FinalizeAll()
	ds.Shuffle().BatchSize(s.BatchSize, true).Infinite(true).WithRand(mathrand.New(mathrand.NewSource(int64(s.Seed))))

	modelFn := func(scope *model.Scope, _ any, inputs []*Node) []*Node {
		// The learning rate falls from LearningRate to 0 along a half cosine.
		cosineschedule.New(scope, inputs[0].Graph(), dtypes.Float32).LearningRate(s.LearningRate).PeriodSteps(s.Steps).Done()
		_, logits := s.network(scope, inputs[0])
		return []*Node{logits}
	}
	opt := workarounds.FlushSubnormals{Interface: optimizer.Adam().LearningRate(s.LearningRate).Done()}
	trainer := train.NewTrainer(j.backend, j.store, modelFn, loss.SparseCategoricalCrossEntropyLogits, opt, nil, nil)
	loop := train.NewLoop(trainer)
	if progress {
		commandline.AttachProgressBar(loop)
	}
	if _, err := loop.RunSteps(ds, s.Steps); err != nil {
		return fmt.Errorf("judge: training: %w", err)
	}
	j.Info.TrainSeconds = time.Since(start).Seconds()
	j.dropTrainingState()
	if j.Info.TestAccuracy, err = j.Accuracy(testSet); err != nil {
		return err
	}
	j.trainedNow = true
	fmt.Fprintf(log, "judge: the judge of %s classifies %.2f%% of the test images right (trained in %.0f s)\n",
		s.Dataset, 100*j.Info.TestAccuracy, j.Info.TrainSeconds)
	return nil
}

// dropTrainingState deletes what only training needs (the optimizer's moments, the global
// step, the random number generator's state), so that the judge saves its weights alone.
func (j *Judge) dropTrainingState() {
	var paths []string
	weights := j.Info.Settings.variables()
	for v := range j.store.IterVariables() {
		if _, weight := weights[v.Path()]; !weight {
			paths = append(paths, v.Path())
		}
	}
	for _, path := range paths {
		_ = j.store.DeleteVariable(path) // It exists: it was just listed.
	}
}
