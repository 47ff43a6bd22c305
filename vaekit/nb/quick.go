package nb

import (
	"os"

	"github.com/vaekit/vaekit/vaekit"
)

// Quick mode is how CI runs every notebook and smoke-tests the vaekit command: the same
// experiments with budgets small enough to take seconds, evaluated on QuickHeldOut
// images. It is a policy of the notebooks and the command, not of a model: $VAEKIT_QUICK
// turns it on (QuickMode), and the notebooks (this package), the command (train -quick)
// and tests all use Quick for the budget.

// QuickHeldOut is how many held-out images quick mode evaluates on, and how many
// training images it scores for the train side of the curves.
const QuickHeldOut = 1000

// QuickSteps is quick mode's training budget: enough steps to see the curves move.
// Convolutional models are far slower per step on the Go backend.
func QuickSteps(cfg vaekit.Config) int {
	if cfg.Architecture == "conv" {
		return 20
	}
	return 150
}

// Quick returns cfg with quick mode's budget: at most QuickSteps steps (cfg's own
// train_steps when fewer), evaluated three times.
func Quick(cfg vaekit.Config) vaekit.Config {
	cfg = cfg.Clone()
	steps := QuickSteps(cfg)
	if cfg.Steps > 0 && cfg.Steps < steps {
		steps = cfg.Steps
	}
	cfg.Steps, cfg.Epochs = steps, 0
	cfg.EvalEvery = max(1, steps/3)
	return cfg
}

// QuickMode reports whether $VAEKIT_QUICK asks for quick mode's small budgets (CI runs
// the notebooks this way). It only chooses the budget: what Quick returns does not
// depend on it.
func QuickMode() bool {
	v := os.Getenv("VAEKIT_QUICK")
	return v != "" && v != "0" && v != "false"
}
