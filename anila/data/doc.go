// Package data holds the data sets: seeded toy generators in two dimensions with documented
// densities (toy.go). Every generator is a pure function of (n, seed).
package data
