// Package judge is an evaluation tool: a small convolutional classifier of MNIST or
// Fashion-MNIST images (the "judge"), trained once per data set and kept in vaekit's
// model cache, and the scores of generated images built on it.
//
//   - Class accuracy (Judge.ClassAccuracy): the fraction of images of class k that the
//     judge calls k. For the samples of a conditional model, asked for class k, it says
//     how often the model draws what it was asked for; for real test images it is the
//     judge's own accuracy (about 99% on MNIST, 91-92% on Fashion-MNIST).
//   - FD_judge (Judge.FrechetDistance): the Fréchet distance between Gaussians fitted to
//     the judge's penultimate-layer features of two sets of images, usually a model's
//     samples and the test set. It is the idea of FID (Heusel et al. 2017) with this
//     judge in place of Inception-v3, so its values are on their own scale: comparable
//     between models scored by the same judge and with the same number of samples, NOT
//     with published FIDs (Inception features, other data). For scale, on MNIST the
//     first 10,000 training images score about 2.5 against the test set, and uniform
//     noise about 565.
//
// The judge's network: two 3x3 convolutions with stride 2 (32 and 64 channels, ReLU),
// a dense layer of 128 ReLU units (the features), and the 10 class logits; trained with
// Adam on the whole training set (3,000 batches of 128, about a minute on two CPU cores
// with GoMLX's Go backend).
//
// The package does not depend on vaekit's models: vaekit.Model.Measure takes a *Judge
// (MeasureOptions.Judge) to score a model's samples.
package judge
