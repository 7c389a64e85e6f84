// Package sampler holds the Langevin samplers: SGLD (one scalar step size), AniLA (a step
// size per coordinate, per pixel or per chain, shrunk where the gradient is steep) and the
// Metropolis-adjusted form of each, which is exact for a fixed energy.
//
// The shape follows BlackJAX: Init(state) evaluates the energy at the chains' start, and
// Step(rng, state) moves every chain once and returns an Info. All randomness comes from the
// Source passed to Step, so a run is a pure function of the start, the energy and the Source.
//
// Files: energy.go (the Energy interface), source.go (Source, seeded and explicit noise),
// config.go (Config and its validation), langevin.go (the step), info.go (Info).
package sampler
