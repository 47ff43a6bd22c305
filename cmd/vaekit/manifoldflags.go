package main

import (
	"strconv"

	"github.com/vaekit/vaekit/vaekit"
)

// maxRange bounds manifold's -range: the prior's codes lie within about ±4, and a grid
// much wider than float32's range would decode infinities (1e39 is +Inf in float32).
const maxRange = 1000

// manifoldLabels turns manifold's -label into the label to decode the grid with: none for
// an unconditional model, one class for a conditional one. A manifold draws one class, so
// its messages offer no "all" (sample's -label takes it).
func manifoldLabels(flagValue string, cfg vaekit.Config) ([]uint8, error) {
	if !cfg.Conditional() {
		labels, _, err := sampleLabels(flagValue, 1, cfg)
		return labels, err
	}
	if flagValue == "" {
		return nil, usagef("the model is conditional (condition=label): give -label with a class from 0 to %d", cfg.Classes-1)
	}
	c, err := strconv.Atoi(flagValue)
	if err != nil || c < 0 || c >= cfg.Classes {
		return nil, usagef("-label=%s: the manifold draws one class, expected a class from 0 to %d", flagValue, cfg.Classes-1)
	}
	return []uint8{uint8(c)}, nil
}
