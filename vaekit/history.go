package vaekit

import (
	"github.com/vaekit/vaekit/vaekit/data"
)

// A model's history: the curve of its training (Record, one per evaluation, of Terms) and
// the pictures kept as it trained (Frame). Saved with the model.

// Terms are per-image averages, in nats, of the quantities a VAE trades off.
type Terms struct {
	Loss           float64 `json:"loss"`           // The training objective as configured (reconstruction term + beta * KL term).
	Reconstruction float64 `json:"reconstruction"` // -E_q[log p(x|z)].
	KL             float64 `json:"kl"`             // KL(q(z|x) || p(z)).
	NegELBO        float64 `json:"neg_elbo"`       // Reconstruction + KL: the negative ELBO, an upper bound on -log p(x).
}

// Record is one point of a training curve.
type Record struct {
	Step  int   `json:"step"`
	Train Terms `json:"train"` // Evaluated on a fixed subset of the training set.

	// StepLoss is the training objective averaged over the steps since the previous record,
	// each on its own batch with the weights of that moment (dropout and binarisation
	// included): the per-epoch loss tutorials print, when a record is one epoch.
	StepLoss float64 `json:"step_loss"`
	HeldOut  Terms   `json:"held_out"` // Evaluated on the held-out (test) set.

	// Code diagnostics on the held-out set: the posterior standard deviation averaged
	// over images and dimensions (0 for an autoencoder), and the active units.
	PosteriorStdMean float64 `json:"posterior_std"`
	ActiveUnits      int     `json:"active_units"`

	// HeldOutIWAENLL is the IWAE estimate of -log p(x) on the held-out set with
	// Config.EvalIWAESamples samples (0 when that is off): the likelihood's training curve.
	HeldOutIWAENLL float64 `json:"held_out_nll,omitempty"`

	// WallSeconds is the wall time training had taken when this record was made,
	// evaluations included, summed over the runs that resumed it: what the model cost.
	WallSeconds float64 `json:"wall_seconds,omitempty"`
}

// Frame is one picture of a training run: the reconstructions of the first held-out
// images at one evaluation. Kept with the model (Model.Frames) when training is asked
// for them (TrainOptions.Frames), they show how its reconstructions sharpened as it
// trained, also for a model loaded later from the model cache.
type Frame struct {
	Step            int       `json:"step"`
	Reconstructions *data.Set `json:"reconstructions"` // Of heldOut.Head(n): the decoder's means, the images' labels kept.
}
