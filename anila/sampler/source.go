package sampler

import (
	"fmt"
	"math/rand/v2"
)

// Source supplies the randomness of a step: standard normals for the Langevin noise and
// uniforms on [0, 1) for Metropolis decisions.
type Source[T Float] interface {
	Normal(dst []T)
	Uniform(dst []T)
}

// RandSource draws from a math/rand/v2 generator.
type RandSource[T Float] struct {
	Rand *rand.Rand
}

// NewRandSource seeds a PCG generator with seed.
func NewRandSource[T Float](seed uint64) RandSource[T] {
	return RandSource[T]{Rand: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// Normal fills dst with N(0, 1) draws.
func (s RandSource[T]) Normal(dst []T) {
	for i := range dst {
		dst[i] = T(s.Rand.NormFloat64())
	}
}

// Uniform fills dst with U[0, 1) draws.
func (s RandSource[T]) Uniform(dst []T) {
	for i := range dst {
		dst[i] = T(s.Rand.Float64())
	}
}

// FixedSource hands out given numbers in order: for tests and cross-checks against other
// implementations. It panics when a list runs out.
type FixedSource[T Float] struct {
	Normals, Uniforms []T
	nPos, uPos        int
}

// Normal copies the next len(dst) normals.
func (s *FixedSource[T]) Normal(dst []T) {
	if s.nPos+len(dst) > len(s.Normals) {
		panic(fmt.Sprintf("sampler: FixedSource has %d normals left, %d wanted", len(s.Normals)-s.nPos, len(dst)))
	}
	s.nPos += copy(dst, s.Normals[s.nPos:])
}

// Uniform copies the next len(dst) uniforms.
func (s *FixedSource[T]) Uniform(dst []T) {
	if s.uPos+len(dst) > len(s.Uniforms) {
		panic(fmt.Sprintf("sampler: FixedSource has %d uniforms left, %d wanted", len(s.Uniforms)-s.uPos, len(dst)))
	}
	s.uPos += copy(dst, s.Uniforms[s.uPos:])
}
