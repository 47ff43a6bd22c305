package workarounds

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
)

// graphParamTraining holds, for each graph a model builds, whether it trains the model.
const graphParamTraining = "/vaekit_training"

// BeginGraph must open every graph a model builds. GoMLX embeds the current values of
// variables as constants in graphs built outside training on backends that prefer it
// (the Go backend: Capabilities.PreferConstantsForVariables). vaekit reuses its
// evaluation and inference executors between training steps, so such a graph would keep
// scoring the weights it was compiled with, and its metric accumulators would never
// accumulate. So every graph tells GoMLX it is "training" (variables stay parameters),
// and whether it really trains the model is kept in a graph parameter, read by
// IsTraining.
func BeginGraph(scope *model.Scope, g *Graph) {
	SetTraining(g, scope.IsTraining(g))
	scope.Store().SetTraining(g, true)
}

// IsTraining reports whether g trains the model (see BeginGraph).
func IsTraining(g *Graph) bool {
	v, _ := model.GetGraphParam(g, graphParamTraining)
	training, _ := v.(bool)
	return training
}

// SetTraining records whether g trains the model (BeginGraph does it for every graph).
func SetTraining(g *Graph, training bool) {
	model.SetGraphParam(g, graphParamTraining, training)
}
