package sampler

import "math"

// hmcStep is one Hamiltonian Monte Carlo step for every chain: momenta p ~ N(0, M) with M
// the diagonal mass (invMass its inverse; the identity while nil), L leapfrog steps of size
// h (the chain's row scale times Config.StepSize) on H(z, p) = −f(z) + ½ pᵀM⁻¹p, then a
// Metropolis test on H. Fixed (masked) coordinates get no momentum and stay where they are;
// the kinetic energy counts the free ones. A proposal outside the clamp box, or whose
// energy is not finite, is rejected. It draws N×D normals and N uniforms, as MALA does.
func (s *Sampler[T]) hmcStep(src Source[T], st *State[T]) Info {
	c := &s.Config
	n, d := st.N, s.Energy.Dim()
	s.reserve(n, d)
	s.p = grow(s.p, n*d)
	s.kin = grow(s.kin, n)
	x, g := st.X[:n*d], st.G[:n*d]
	xp, gp, fp, p, noise := s.xp, s.gp, s.fp, s.p, s.noise
	mask, invM := st.Mask, s.invMass
	info := Info{StepSize: c.StepSize, GradEvals: float64(c.Leapfrog)}
	s.describeRows(&info, g, n, d)

	src.Normal(noise)
	for k := 0; k < n; k++ {
		kin := 0.0
		for j := 0; j < d; j++ {
			i := k*d + j
			if mask != nil && mask[i] {
				p[i] = 0
				continue
			}
			xi := noise[i]
			kin += 0.5 * float64(xi) * float64(xi)
			if invM != nil {
				xi /= T(math.Sqrt(float64(invM[j])))
			}
			p[i] = xi
		}
		s.kin[k] = T(kin)
	}
	copy(xp, x)
	copy(gp, g)
	for l := 0; l < c.Leapfrog; l++ {
		s.leapfrogMove(xp, gp, p, mask, n, d)
		s.Energy.EnergyGrad(xp, n, fp, gp)
		s.leapfrogKick(gp, p, mask, n, d)
	}

	src.Uniform(s.u)
	box := c.Clamped()
	acc, prob := 0, 0.0
	for k := 0; k < n; k++ {
		lo, hi := k*d, (k+1)*d
		kin1 := 0.0
		inside := true
		for j := 0; j < d; j++ {
			i := lo + j
			if mask != nil && mask[i] {
				continue
			}
			m := 1.0
			if invM != nil {
				m = float64(invM[j])
			}
			kin1 += 0.5 * float64(p[i]) * float64(p[i]) * m
			if box && (xp[i] < T(c.Lo) || xp[i] > T(c.Hi)) {
				inside = false
			}
		}
		logAlpha := float64(fp[k]) - float64(st.F[k]) - kin1 + float64(s.kin[k])
		prob += acceptProb(logAlpha, inside)
		ok := inside && !math.IsNaN(logAlpha) && math.Log(float64(s.u[k])) < logAlpha
		s.accepted[k] = ok
		if ok {
			acc++
			copy(x[lo:hi], xp[lo:hi])
			copy(g[lo:hi], gp[lo:hi])
			st.F[k] = fp[k]
		}
	}
	info.Accept = float64(acc) / float64(n)
	info.AcceptProb = prob / float64(n)
	return info
}

// h is chain k's leapfrog step.
func (s *Sampler[T]) h(k int) T {
	h := T(s.Config.StepSize)
	if s.rowScale != nil {
		h *= s.rowScale[k]
	}
	return h
}

// leapfrogMove is a half kick of the momenta by the gradient g, then a full move of the
// positions x by M⁻¹p, for the free coordinates.
func (s *Sampler[T]) leapfrogMove(x, g, p []T, mask []bool, n, d int) {
	invM := s.invMass
	for k := 0; k < n; k++ {
		h := s.h(k)
		for j := 0; j < d; j++ {
			i := k*d + j
			if mask != nil && mask[i] {
				continue
			}
			p[i] += h / 2 * g[i]
			if invM != nil {
				x[i] += h * invM[j] * p[i]
			} else {
				x[i] += h * p[i]
			}
		}
	}
}

// leapfrogKick is the closing half kick of the momenta by the new gradient g.
func (s *Sampler[T]) leapfrogKick(g, p []T, mask []bool, n, d int) {
	for k := 0; k < n; k++ {
		h := s.h(k)
		for j := 0; j < d; j++ {
			i := k*d + j
			if mask != nil && mask[i] {
				continue
			}
			p[i] += h / 2 * g[i]
		}
	}
}

// describeRows fills an HMC step's step-size statistics (h per chain) and gradient norm.
func (s *Sampler[T]) describeRows(info *Info, g []T, n, d int) {
	if n == 0 || d == 0 {
		return
	}
	sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for k := 0; k < n; k++ {
		h := float64(s.h(k))
		sum += h
		lo = math.Min(lo, h)
		hi = math.Max(hi, h)
	}
	info.GammaMean, info.GammaMin, info.GammaMax = sum/float64(n), lo, hi
	info.GradNorm = meanRowNorm(g, n, d)
}

// meanRowNorm is the mean over the n rows of g of their Euclidean norms.
func meanRowNorm[T Float](g []T, n, d int) float64 {
	gn := 0.0
	for k := 0; k < n; k++ {
		ss := 0.0
		for _, v := range g[k*d : (k+1)*d] {
			ss += float64(v) * float64(v)
		}
		gn += math.Sqrt(ss)
	}
	return gn / float64(n)
}
