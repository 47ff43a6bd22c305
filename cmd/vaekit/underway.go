package main

import (
	"fmt"

	"github.com/vaekit/vaekit/vaekit"
)

// trainingUnderway is the error for a model directory without a saved model that a
// training holds: it is starting, and has not saved its first checkpoint yet ("no trained
// model, train one" would send the user to start a second one). Nil when nobody holds dir.
func trainingUnderway(dir string) error {
	holder, busy := vaekit.ModelDirBusy(dir)
	if !busy {
		return nil
	}
	return fmt.Errorf("a training is running in %s (%s) and has not saved a model yet: wait for its first checkpoint (at its first evaluation, eval_every) or for it to finish", dir, holder)
}
