package vaekit

import "fmt"

// A model's weights are created lazily, when a graph first uses them: what needs them
// all (saving a never-trained model, counting them, measuring) runs the model once first.

// initVariables makes sure every model weight exists (they are created lazily, when a
// graph first uses them), so that a never-trained model saves its initial weights.
func (m *Model) initVariables() error {
	blank, err := m.imageSet([][]float32{make([]float32, m.Pixels())}, []uint8{0})
	if err != nil {
		return err
	}
	if _, err := m.Reconstruct(blank); err != nil {
		return fmt.Errorf("vaekit: initialising the model's weights: %w", err)
	}
	return nil
}

// NumParameters counts the model's trainable weights (creating them first, from the
// Config's seed, if no graph has used them yet).
func (m *Model) NumParameters() (int, error) {
	if err := m.initVariables(); err != nil {
		return 0, err
	}
	n := 0
	for v := range m.store.IterVariables() {
		if v.Trainable {
			n += v.Shape().Size()
		}
	}
	return n, nil
}
