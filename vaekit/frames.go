package vaekit

import (
	"github.com/vaekit/vaekit/vaekit/data"
)

// Frame is one picture of a training run: the reconstructions of the first held-out
// images at one evaluation. Kept with the model (Model.Frames) when training is asked
// for them (TrainOptions.Frames), they show how its reconstructions sharpened as it
// trained, also for a model loaded later from the model cache.
type Frame struct {
	Step            int       `json:"step"`
	Reconstructions *data.Set `json:"reconstructions"` // Of heldOut.Head(n): the decoder's means, the images' labels kept.
}

// recordFrame appends the reconstructions of images at step to m.Frames.
func (m *Model) recordFrame(step int, images *data.Set) error {
	recon, err := m.Reconstruct(images)
	if err != nil {
		return err
	}
	recon.Source = ""
	m.Frames = append(m.Frames, Frame{Step: step, Reconstructions: recon})
	return nil
}
