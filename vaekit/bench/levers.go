package bench

import (
	"os"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"

	"github.com/vaekit/vaekit/vaekit"
)

// Lever experiments: a replica of vaekit's MLP VAE graph (encoder.go, decoder.go,
// loss.go) built in this package, so that formulations of its pieces can be measured one
// by one without touching vaekit. The replica with every knob at "vaekit" builds the same
// graph as Model.Fit's; LeverModels run it (they are not part of the default benchmark).
//
// Knobs, read from the environment when the graph is built:
//
//	VAEKIT_LEVER_NLL=vaekit|softplus  Bernoulli NLL as vaekit.BernoulliNLL (one log, gradient
//	                                  sigmoid(l) - x supplied directly) or as it was before,
//	                                  softplusBernoulliNLL (GoMLX's Softplus, differentiated)
//	VAEKIT_LEVER_DENSE=vaekit|fused   hidden layers as DenseWithBias + ReLU, or one
//	                                  nn.Dense with the ReLU fused in (FusedDense)
//	VAEKIT_LEVER_HEADS=vaekit|one     posterior heads as two dense layers or one of 2*latent
var LeverModels = []Model{
	{Name: "replica-mlp-512-2-b128", Description: "replica of vaekit's MLP VAE 784-512-2, batch 128 (lever experiments)", Kind: "replica", Hidden: 512, Latent: 2, Batch: 128, DefaultSteps: 1000},
	{Name: "replica-mlp-512-2-b64", Description: "replica of vaekit's MLP VAE 784-512-2, batch 64 (lever experiments)", Kind: "replica", Hidden: 512, Latent: 2, Batch: 64, DefaultSteps: 1000},
	{Name: "replica-mlp-400-20-b128", Description: "replica of vaekit's MLP VAE 784-400-20, batch 128 (lever experiments)", Kind: "replica", Hidden: 400, Latent: 20, Batch: 128, DefaultSteps: 1000},
}

func lever(name string) string {
	if v := os.Getenv("VAEKIT_LEVER_" + name); v != "" {
		return v
	}
	return "vaekit"
}

// replicaForward returns the per-example negative ELBO of the MLP VAE, [batch].
func replicaForward(scope *model.Scope, x *Node, hidden, latent int) *Node {
	dense := func(scope *model.Scope, h *Node, units int) *Node {
		scope = scope.In("hidden_0")
		if lever("DENSE") == "nodx" && scope.Scope() == "/encoder/hidden_0" {
			// The input layer: forward fused, gradient from the decomposed formulation, so
			// that the gradient with respect to the input images (unused) is not computed.
			scope = scope.In("dense")
			w := scope.VariableWithShape("weights", shapes.Make(h.DType(), h.Shape().Dimensions[1], units)).NodeValue(h.Graph())
			b := scope.VariableWithShape("biases", shapes.Make(h.DType(), units)).NodeValue(h.Graph())
			y, _ := InternalFusedOpCaller(
				func() *Node {
					return BackendFusedDense(h, w, b, compute.DenseConfig{WeightLayout: compute.DenseLayoutInputOutputs})
				},
				func() *Node { return Add(DotGeneral(h, []int{1}, nil, w, []int{0}, nil), Reshape(b, 1, units)) },
				true)
			return vaekit.Activate("relu", y)
		}
		if lever("DENSE") == "fused" {
			scope = scope.In("dense")
			w := scope.VariableWithShape("weights", shapes.Make(h.DType(), h.Shape().Dimensions[1], units)).NodeValue(h.Graph())
			b := scope.VariableWithShape("biases", shapes.Make(h.DType(), units)).NodeValue(h.Graph())
			return nn.Dense(h, w, b, compute.DenseLayoutInputOutputs, activation.TypeRelu)
		}
		return vaekit.Activate("relu", layers.DenseWithBias(scope, h, units))
	}
	enc := scope.In("encoder")
	h := dense(enc, x, hidden)
	var mean, logVar *Node
	if lever("HEADS") == "one" {
		both := layers.DenseWithBias(enc.In("heads"), h, 2*latent)
		mean, logVar = Slice(both, AxisRange(), AxisRange(0, latent)), Slice(both, AxisRange(), AxisRange(latent, 2*latent))
	} else {
		mean = layers.DenseWithBias(enc.In("mean"), h, latent)
		logVar = layers.DenseWithBias(enc.In("log_var"), h, latent)
	}
	z := vaekit.Reparameterize(scope, mean, logVar)
	dec := scope.In("decoder")
	logits := layers.DenseWithBias(dec.In("logits"), dense(dec, z, hidden), x.Shape().Dimensions[1])
	nll := vaekit.BernoulliNLL(x, logits)
	if lever("NLL") == "softplus" {
		nll = softplusBernoulliNLL(x, logits)
	}
	return Add(nll, vaekit.KLDivergence(mean, logVar))
}

// softplusBernoulliNLL is vaekit.BernoulliNLL as it was before the benchmark work:
// softplus(l) - x*l with GoMLX's Softplus (LogAddExp), eleven element-wise passes forward
// and a dozen more in its gradient on the Go backend.
func softplusBernoulliNLL(x, logits *Node) *Node {
	return ReduceSum(Sub(Softplus(logits), Mul(x, logits)), -1)
}
