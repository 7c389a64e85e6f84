// Package anila is the Go core of anila: energy-based models p(x) ∝ exp(f(x)) trained by
// maximum likelihood with Langevin samplers, SGLD and AniLA (anisotropic Langevin).
//
// What lives where:
//
//	nn/       layers and nets over flat slices (Linear, Conv2d, activations; MLP and ConvNets);
//	          forward, input and parameter gradients in float32 and float64; NetEnergy spreads
//	          a net over the cores; Classifier (multi-output nets, softmax cross-entropy)
//	sampler/  SGLD and AniLA steps and their Metropolis-adjusted forms, on any Energy
//	energy/   analytic energies with known answers (Gaussian, Gaussian mixture)
//	train/    the maximum-likelihood loop: chain starts, replay buffer, Adam/SGD, history,
//	          checkpoints; TrainClassifier (softmax cross-entropy, for the FID feature net)
//	data/     seeded toy data generators with documented densities; IDX, CIFAR-10 and image
//	          folder readers
//	metric/   sample-quality metrics: MMD, sliced Wasserstein, split R̂ and ESS, Gaussian fits,
//	          the Fréchet distance and FID on the features of a small classifier
//	internal/ the worker pool and random streams shared by the packages above
//
// The Python package (python/anila) reaches this code through the capi package.
package anila
