// Package energy holds analytic energies with known answers — a Gaussian and a Gaussian
// mixture — so that samplers can be checked against the truth. Each implements
// sampler.Energy with f the exact normalised log density.
package energy
