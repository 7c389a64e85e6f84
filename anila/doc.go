// Package anila is the Go core of anila: energy-based models p(x) ∝ exp(f(x)) trained by
// maximum likelihood with Langevin samplers, SGLD and AniLA (anisotropic Langevin).
//
// What lives where:
//
//	nn/       layers and nets over flat slices (Linear, Conv2d, activations; MLP and ConvNets);
//	          forward, input and parameter gradients in float32 and float64; NetEnergy spreads
//	          a net over the cores
//	sampler/  SGLD and AniLA steps and their Metropolis-adjusted forms, on any Energy
//	energy/   analytic energies with known answers (Gaussian, Gaussian mixture)
//	train/    the maximum-likelihood loop: chain starts, replay buffer, Adam/SGD, history, checkpoints
//	data/     seeded toy data generators with documented densities; IDX, CIFAR-10 and image
//	          folder readers
//	metric/   sample-quality metrics (MMD, ...)
//	internal/ the worker pool and random streams shared by the packages above
//
// The Python package (python/anila) reaches this code through the capi package.
package anila
