// Package sampler holds the samplers: the Langevin step rules SGLD (one scalar step size)
// and AniLA (a step size per coordinate, per pixel or per chain, shrunk where the gradient
// is steep), each optionally Metropolis-adjusted (MALA, exact for a fixed energy), and
// Hamiltonian Monte Carlo with a diagonal mass; a warm-up that tunes the step size by dual
// averaging (and HMC's mass); parallel tempering; and masks that hold coordinates fixed, so
// that chains draw the others from the conditional distribution.
//
// The shape follows BlackJAX: Init(state) evaluates the energy at the chains' start, and
// Step(rng, state) moves every chain once and returns an Info. All randomness comes from the
// Source passed to Step, so a run is a pure function of the start, the energy and the Source.
//
// Files: energy.go (the Energy interface), source.go (Source, seeded and explicit noise),
// config.go (Config, Mass and validation), rule.go (the step rules' registry: SGLD, AniLA,
// HMC), langevin.go (State, Sampler and the Langevin step), hmc.go (the HMC step),
// adapt.go (warm-up: dual averaging and the mass), chains.go (Chains: a sampler with its
// state, tempering and masks), info.go (Info).
package sampler
