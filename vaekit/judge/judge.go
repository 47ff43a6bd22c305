package judge

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/vaekit/vaekit/vaekit/data"
)

// Judge is a trained classifier of one data set's images, used to score images a model
// made. It is read-only once made, and safe for concurrent use.
type Judge struct {
	Info Info // How the judge was trained (Info.Settings), and how well it classifies the test set.

	backend compute.Backend
	store   *model.Store
	dir     string // Its directory in the model cache.

	mu        sync.Mutex // Guards exec, built on first use, and the reference statistics.
	exec      *model.Exec
	reference map[string]GaussianStats // Of the reference sets scored against, by fingerprint.

	trainedNow bool // Trained by this Load, not read from the cache (TrainedNow).
}

// Info describes a trained judge; it is saved with it (judge.json).
type Info struct {
	Dataset      string   `json:"dataset"`
	Settings     Settings `json:"settings"`
	TestAccuracy float64  `json:"test_accuracy"` // On the data set's 10,000 test images.
	TrainSeconds float64  `json:"train_seconds"` // Wall time of the training run.
	Backend      string   `json:"backend"`       // The GoMLX backend it was trained on.
}

// Dataset is the data set the judge was trained on.
func (j *Judge) Dataset() data.Name { return data.Name(j.Info.Settings.Dataset) }

// Dir is the judge's directory in the model cache.
func (j *Judge) Dir() string { return j.dir }

// TrainedNow reports whether the Load that returned the judge trained it (false: it was
// read from the model cache, trained by an earlier run).
func (j *Judge) TrainedNow() bool { return j.trainedNow }

// Classify returns the judge's label for each image: the class of its largest logit.
func (j *Judge) Classify(images *data.Set) ([]uint8, error) {
	_, labels, err := j.run(images)
	return labels, err
}

// Features returns the judge's penultimate-layer features of each image (the ReLU layer
// before the logits), one row of Info.Settings.Features values per image: the space in
// which FrechetDistance compares sets of images.
func (j *Judge) Features(images *data.Set) ([][]float32, error) {
	features, _, err := j.run(images)
	return features, err
}

// Accuracy is the fraction of the labelled images to which the judge gives their label.
func (j *Judge) Accuracy(labelled *data.Set) (float64, error) {
	scores, err := j.ClassAccuracy(labelled)
	return scores.Accuracy, err
}

// ClassScores says how often the judge gives images the class they were meant to have.
type ClassScores struct {
	Accuracy float64   `json:"accuracy"`  // Fraction of all images judged to be of their class.
	PerClass []float64 `json:"per_class"` // For each class k, the fraction of the images of class k judged k (0 when Counts[k] is 0).
	Counts   []int     `json:"counts"`    // How many images of each class there were.

	// Confusion[k][c] counts the images of class k that the judge calls c.
	Confusion [][]int `json:"confusion"`
}

// ClassAccuracy scores images against their labels: for conditional samples, the class
// each was asked to be; for data, its true class.
func (j *Judge) ClassAccuracy(labelled *data.Set) (ClassScores, error) {
	if err := checkLabelled(labelled); err != nil {
		return ClassScores{}, err
	}
	judged, err := j.Classify(labelled)
	if err != nil {
		return ClassScores{}, err
	}
	return classScores(labelled.Labels, judged)
}

// checkLabelled checks that images carry one label each (the class each should be).
func checkLabelled(images *data.Set) error {
	if images != nil && len(images.Labels) != images.N {
		return fmt.Errorf("judge: the images have %d labels for %d images, expected one label each (the class each image should be)", len(images.Labels), images.N)
	}
	return nil
}

// classScores compares the judge's classes with the wanted ones, image by image.
func classScores(want, judged []uint8) (ClassScores, error) {
	scores := ClassScores{PerClass: make([]float64, numClasses), Counts: make([]int, numClasses), Confusion: make([][]int, numClasses)}
	for k := range scores.Confusion {
		scores.Confusion[k] = make([]int, numClasses)
	}
	correct := 0
	for i, w := range want {
		if int(w) >= numClasses {
			return ClassScores{}, fmt.Errorf("judge: image %d has label %d, expected a class 0..%d", i, w, numClasses-1)
		}
		scores.Counts[w]++
		scores.Confusion[w][judged[i]]++
		if judged[i] == w {
			correct++
		}
	}
	for k, n := range scores.Counts {
		if n > 0 {
			scores.PerClass[k] = float64(scores.Confusion[k][k]) / float64(n)
		}
	}
	scores.Accuracy = float64(correct) / float64(len(want))
	return scores, nil
}

// Stats fits a Gaussian to the judge's features of the images (FitGaussian), e.g. once
// for a reference set that many models are compared with.
func (j *Judge) Stats(images *data.Set) (GaussianStats, error) {
	features, err := j.Features(images)
	if err != nil {
		return GaussianStats{}, err
	}
	return FitGaussian(features)
}

// FrechetDistance is FD_judge: the Fréchet distance between Gaussians fitted to the
// judge's features of samples and of reference images (usually the test set). It is the
// idea of FID (Heusel et al. 2017) with this small judge in place of Inception-v3, so its
// values are only comparable with other FD_judge values of the same judge (the same data
// set and settings), never with published FIDs. Like FID it is biased upwards for small
// sets: compare values computed from equally many samples (thousands). The reference's
// Gaussian is kept (by the set's fingerprint) for the next models compared with it.
func (j *Judge) FrechetDistance(samples, reference *data.Set) (float64, error) {
	fd, _, err := j.scoreSamples(samples, reference, false)
	return fd, err
}

// FrechetAndClassAccuracy is FrechetDistance and, for samples labelled with the class each
// was asked to be, ClassAccuracy, from one run of the judge over the samples.
func (j *Judge) FrechetAndClassAccuracy(samples, reference *data.Set) (float64, ClassScores, error) {
	return j.scoreSamples(samples, reference, true)
}

func (j *Judge) scoreSamples(samples, reference *data.Set, withClasses bool) (fd float64, classes ClassScores, err error) {
	if withClasses {
		if err := checkLabelled(samples); err != nil {
			return 0, ClassScores{}, err
		}
	}
	features, judged, err := j.run(samples)
	if err != nil {
		return 0, ClassScores{}, fmt.Errorf("%w (the samples)", err)
	}
	a, err := FitGaussian(features)
	if err != nil {
		return 0, ClassScores{}, fmt.Errorf("%w (the samples)", err)
	}
	b, err := j.referenceStats(reference)
	if err != nil {
		return 0, ClassScores{}, fmt.Errorf("%w (the reference images)", err)
	}
	if fd, err = frechetFromStats(a, b); err != nil {
		return 0, ClassScores{}, err
	}
	if withClasses {
		if classes, err = classScores(samples.Labels, judged); err != nil {
			return 0, ClassScores{}, err
		}
	}
	return fd, classes, nil
}

// referenceStats is Stats of reference, computed once per set (by its fingerprint).
func (j *Judge) referenceStats(reference *data.Set) (GaussianStats, error) {
	if err := j.checkSet(reference); err != nil {
		return GaussianStats{}, err
	}
	key := reference.Fingerprint()
	j.mu.Lock()
	stats, found := j.reference[key]
	j.mu.Unlock()
	if found {
		return stats, nil
	}
	stats, err := j.Stats(reference)
	if err != nil {
		return GaussianStats{}, err
	}
	j.mu.Lock()
	if j.reference == nil {
		j.reference = map[string]GaussianStats{}
	}
	j.reference[key] = stats
	j.mu.Unlock()
	return stats, nil
}

// evalChunk is how many images one call of the inference graph takes; the last chunk is
// padded, so one compiled graph serves every call.
const evalChunk = 1000

// run returns the features and the label of each image.
func (j *Judge) run(images *data.Set) (features [][]float32, labels []uint8, err error) {
	if err := j.checkSet(images); err != nil {
		return nil, nil, err
	}
	exec, err := j.executor()
	if err != nil {
		return nil, nil, err
	}
	pixels := height * width
	chunk := min(evalChunk, images.N)
	flat := make([]float32, chunk*pixels)
	for start := 0; start < images.N; start += chunk {
		n := min(chunk, images.N-start)
		clear(flat)
		copy(flat, images.Images[start*pixels:(start+n)*pixels])
		outs, err := exec.Call(tensors.FromFlatDataAndDimensions(flat, chunk, pixels))
		if err != nil {
			return nil, nil, fmt.Errorf("judge: running the judge: %w", err)
		}
		feats, err := tensors.CopyFlatData[float32](outs[0])
		if err == nil {
			var logits []float32
			if logits, err = tensors.CopyFlatData[float32](outs[1]); err == nil {
				for i := range n {
					labels = append(labels, argMax(logits[i*numClasses:(i+1)*numClasses]))
				}
			}
		}
		for _, out := range outs {
			_ = out.FinalizeAll()
		}
		if err != nil {
			return nil, nil, fmt.Errorf("judge: reading the judge's outputs: %w", err)
		}
		size := j.Info.Settings.Features
		for i := range n {
			features = append(features, feats[i*size:(i+1)*size:(i+1)*size])
		}
	}
	return features, labels, nil
}

// executor builds the inference graph once, after the weights are final: the Go backend
// may compile them into it as constants.
func (j *Judge) executor() (*model.Exec, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.exec == nil {
		exec, err := model.NewExec(j.backend, j.store, func(scope *model.Scope, x *Node) []*Node {
			features, logits := j.Info.Settings.network(scope, x)
			return []*Node{features, logits}
		})
		if err != nil {
			return nil, fmt.Errorf("judge: building the judge's graph: %w", err)
		}
		j.exec = exec
	}
	return j.exec, nil
}

// argMax is the index of the largest value (the first, on ties).
func argMax(values []float32) uint8 {
	best := 0
	for i, v := range values {
		if v > values[best] {
			best = i
		}
	}
	return uint8(best)
}

// checkSet reports images the judge cannot score.
func (j *Judge) checkSet(images *data.Set) error {
	switch {
	case images == nil:
		return errors.New("judge: no images given (nil)")
	case images.N < 1:
		return errors.New("judge: no images given (an empty set)")
	case images.Height != height || images.Width != width:
		return fmt.Errorf("judge: the images are %dx%d, the judge of %s expects %dx%d", images.Height, images.Width, j.Dataset(), height, width)
	case images.Name != "" && images.Name != j.Dataset():
		return fmt.Errorf("judge: the images are of %s, but this is the judge of %s: load the judge of %s", images.Name, j.Dataset(), images.Name)
	case len(images.Images) != images.N*height*width:
		return fmt.Errorf("judge: the set holds %d pixel values, expected %d images x %d", len(images.Images), images.N, height*width)
	}
	for i, v := range images.Images {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("judge: image %d has a non-finite pixel (%v) at %d", i/(height*width), v, i%(height*width))
		}
	}
	return nil
}
