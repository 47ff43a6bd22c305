package vaekit

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/vaekit/vaekit/internal/workarounds"
)

// A model's training step is the paper's ELBO step and nothing else: the trainer that
// Model.Fit runs takes exactly the steps, to the bit, of a trainer built here from the
// formulas (dynamic binarisation, the reparameterised z, -log p(x|z) + KL averaged over
// the batch) with the Config's optimiser, on the same batches, initial weights and random
// draws. cmd/vaekit-bench/internal/bench's TestBurdaStepIsPyTorchs carries the chain on: that hand-built
// step is PyTorch's.
func TestTrainingStepIsTheELBOsAdamStep(t *testing.T) {
	cfg := smallConfig()
	if err := cfg.Set("activation=tanh;binarize=dynamic;initializer=keras;adam_epsilon=1e-4;batch_size=8"); err != nil {
		t.Fatal(err)
	}
	set := syntheticSet(64, 3)
	byFormula := func(m *Model) *train.Trainer {
		elbo := func(scope *model.Scope, _ any, inputs []*Node) []*Node {
			x := inputs[0]
			x = ConvertDType(LessThan(scope.RandomUniform(x.Graph(), x.Shape()), x), x.DType())
			mean, logVar := Encoder(scope, &m.Config, x, nil)
			eps := scope.RandomNormal(x.Graph(), mean.Shape())
			z := Add(mean, Mul(Exp(MulScalar(logVar, 0.5)), eps))
			logits := Decoder(scope, &m.Config, z, nil)
			return []*Node{Add(ReduceAllMean(BernoulliNLL(x, logits)), ReduceAllMean(KLDivergence(mean, logVar)))}
		}
		loss := func(_ []*Node, predictions []*Node) *Node { return predictions[0] }
		return train.NewTrainer(m.backend, m.store, elbo, loss, workarounds.FlushSubnormals{Interface: m.newOptimizer()}, nil, nil)
	}
	run := func(trainer func(m *Model) *train.Trainer) []float32 {
		m, err := NewModel(cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr := trainer(m)
		var losses []float32
		for step := range 40 {
			batch := make([]float32, 0, cfg.BatchSize*784)
			for i := range cfg.BatchSize {
				batch = append(batch, set.Image((step*cfg.BatchSize+i)%set.N)...)
			}
			metrics, err := tr.TrainStep(train.Batch{Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(batch, cfg.BatchSize, 784)}})
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, tensors.ToScalar[float32](metrics[0]))
		}
		return losses
	}
	fit := run(func(m *Model) *train.Trainer { return m.getTrainer() })
	formula := run(byFormula)
	for i := range fit {
		if fit[i] != formula[i] {
			t.Fatalf("step %d: Model's training step gave the loss %.7g, the ELBO's Adam step %.7g (%d steps before it agreed)", i+1, fit[i], formula[i], i)
		}
	}
	if fit[0] == fit[len(fit)-1] {
		t.Fatalf("the loss did not move in %d steps: %g", len(fit), fit[0])
	}
}
