// Package vaekit trains and studies variational autoencoders (Kingma & Welling 2014,
// "Auto-Encoding Variational Bayes") on GoMLX, for notebooks and scripts.
//
// One experiment is one Config, trained once and then measured and pictured:
//
//	train, test, err := data.LoadBoth(data.MNIST, data.Options{})
//	cfg := vaekit.DefaultConfig() // pytorch/examples' VAE: 784-400-20, Adam 1e-3, batch 128
//	err = cfg.Set("kl_weight=0.5;latent_dim=2")
//	m, err := vaekit.TrainOrLoad(cfg, train, test, vaekit.TrainOptions{})
//	samples, err := m.Sample(64, 1) // 64 decoded z ~ N(0, I), seed 1
//
// # Reading order
//
// The files follow the paper:
//
//   - config.go: every hyperparameter, its default, validation, and how it is set (-set
//     JSON), and Config.Hash, which names a trained model; settings.go: Set, the -set
//     syntax and the flags, read with errors that name the setting and what was expected.
//   - model.go: the Model and its forward pass, encode -> reparameterize -> decode ->
//     score, on one screen; the objective with the KL weight, warm-up and free bits, and
//     the importance-weighted bound of the IWAE; tcvae.go: the beta-TCVAE's split of the
//     KL term (Chen et al. 2018) by minibatch-weighted sampling.
//   - encoder.go, decoder.go, layers.go, conv.go: q(z|x) and p(x|z) as dense or
//     convolutional networks; initializers.go: each framework's initial weights.
//   - loss.go: the ELBO's terms in nats (the reconstruction terms the tutorials train on,
//     the closed-form KL of the paper's appendix B), KL warm-up and free bits.
//   - input.go: the images a model is given, checked, binarised and uploaded.
//   - history.go: what training records (Terms, Record) and keeps (Frame).
//   - train.go: training on GoMLX's loop with held-out evaluations and checkpoints, and
//     how a run ends early (a hook's error, TrainOptions.Stop); rmsprop.go: RMSProp as
//     TensorFlow 1 and Keras define it; frames.go: the
//     reconstructions kept as training goes; trainingformat.go: the version of the
//     training code that the model cache keys models by; memory.go: the memory a
//     Config's model needs, estimated before it is built, which Train checks against a
//     limit (memorylimit.go: a fraction of this machine's memory), and the IWAE batches'
//     size that bounds it.
//   - infer.go: Encode, Decode, Reconstruct, Sample.
//   - cache.go: TrainOrLoad, the one model cache (a model trained once with a Config is
//     loaded the next time); lock.go: the lock that coordinates processes sharing a model
//     directory; persist.go: Save and Load, and the settings each
//     checkpoint was trained with, which Load compares with config.json; weights.go: the
//     weights, created when first needed.
//   - measure.go, metrics.go, iwae.go: what a trained model is scored by (the ELBO and
//     its terms, the IWAE estimate of -log p(x), active units, KL per dimension,
//     posterior spread);
//     measure_judge.go: the judge's scores of its samples (Frechet distance, class
//     accuracy); kldecomposition.go: the KL term's index-code mutual information, total
//     correlation and dimension-wise KL on a data set; factorscores.go: what each latent
//     coordinate knows about each known factor of the data, and the MIG.
//   - latent.go: grids, manifolds, traversals and interpolation in the latent space.
//   - backend.go: which GoMLX backend runs (XLA when installed, else pure Go).
//
// Subpackages: data (MNIST, Fashion-MNIST, CIFAR-10, IDX files, image folders, and
// dSprites' design drawn in Go with its factors), plot
// (pictures, shown inline under GoNB), judge (a classifier of the data set whose features
// score samples), nb (the few conveniences notebooks share, and quick mode, the small
// budgets CI runs the notebooks and the command with). What vaekit does for the
// Go backend's speed, and its benchmark, live in the module's internal packages.
//
// # Labels and seeds
//
// A conditional model (Config.Conditional) decodes with a label. Methods given images
// (Encode, Embed, Reconstruct, Interpolate, Measure) use the images' own labels. Methods
// given codes (Decode, Sample, Manifold, Traverse) take labels ...uint8: one for every
// image, or one per image; an unconditional model takes none. Every seed is a uint64
// (Config.Seed, Sample, PriorCodes, MeasureOptions.Seed): the same seed gives the same
// numbers.
//
// Graph-building functions (Encoder, Decoder, Conv2D, the loss terms) take GoMLX nodes and
// panic with a clear message on misuse, as GoMLX's own do; every method a user calls on a
// Model returns an error instead.
package vaekit
