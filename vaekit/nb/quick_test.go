package nb

import (
	"testing"

	"github.com/vaekit/vaekit/vaekit"
)

// Quick gives every caller (notebooks, the command, tests) the same small budget,
// whatever $VAEKIT_QUICK says; QuickMode only reads the variable.
func TestQuickBudget(t *testing.T) {
	cfg := vaekit.DefaultConfig() // 10 epochs.
	for _, env := range []string{"", "1"} {
		t.Setenv("VAEKIT_QUICK", env)
		got := Quick(cfg)
		if got.Steps != 150 || got.Epochs != 0 || got.EvalEvery != 50 || got.Validate() != nil {
			t.Errorf("VAEKIT_QUICK=%q: steps %d, epochs %d, eval every %d (%v); want 150, 0, 50", env, got.Steps, got.Epochs, got.EvalEvery, got.Validate())
		}
		if QuickMode() != (env == "1") {
			t.Errorf("VAEKIT_QUICK=%q: QuickMode() = %v", env, QuickMode())
		}
	}
	if cfg.Epochs != 10 || cfg.Steps != 0 {
		t.Error("Quick modified its argument")
	}
	small := cfg.Clone()
	small.Steps = 30 // A budget below quick mode's is kept.
	if got := Quick(small); got.Steps != 30 || got.EvalEvery != 10 {
		t.Errorf("quick with train_steps=30: steps %d, eval every %d; want 30, 10", got.Steps, got.EvalEvery)
	}
	cfg.Architecture = "conv"
	if got := Quick(cfg); got.Steps != 20 || got.EvalEvery != 6 {
		t.Errorf("quick conv: steps %d, eval every %d; want 20, 6", got.Steps, got.EvalEvery)
	}
	for _, v := range []string{"0", "false"} {
		t.Setenv("VAEKIT_QUICK", v)
		if QuickMode() {
			t.Errorf("VAEKIT_QUICK=%s turns quick mode on", v)
		}
	}
}
