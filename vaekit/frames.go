package vaekit

import (
	"github.com/vaekit/vaekit/vaekit/data"
)

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
