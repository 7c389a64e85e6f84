package sampler

import (
	"fmt"
	"math"
)

// State is a batch of N chains: positions X (N×D, row-major), f at them (N) and ∇f (N×D).
// The caller owns the buffers; Init fills F and G from X, Step keeps the three consistent.
// Mask, when not nil (N×D), holds the coordinates where it is true fixed: every step leaves
// them exactly as they are and draws the others from the conditional p(z_free | z_fixed).
type State[T Float] struct {
	X, F, G []T
	N       int
	Mask    []bool
}

// NewState allocates a state for n chains of dimension d.
func NewState[T Float](n, d int) *State[T] {
	return &State[T]{X: make([]T, n*d), F: make([]T, n), G: make([]T, n*d), N: n}
}

// Sampler runs Langevin steps on an Energy. It keeps scratch buffers and so is not safe for
// concurrent use; nothing allocates per step once the buffers have grown to the batch size.
type Sampler[T Float] struct {
	Config Config
	Energy Energy[T]

	gamma, xp, fp, gp, gammaP, noise, u []T
	accepted                            []bool
	// p and kin are HMC's momenta (N×D) and kinetic energies (N)
	p, kin []T
	// invMass is HMC's diagonal inverse mass (D; nil: the identity)
	invMass []T
	// rowScale multiplies each chain's step size (nil: 1), as tempering needs
	rowScale []T
	// warm is the warm-up's adaptation while one runs (adapt.go)
	warm *warmup
}

// New checks cfg against the energy's dimension and returns a sampler.
func New[T Float](cfg Config, e Energy[T]) (*Sampler[T], error) {
	if err := cfg.Validate(e.Dim()); err != nil {
		return nil, err
	}
	return &Sampler[T]{Config: cfg, Energy: e}, nil
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func (s *Sampler[T]) reserve(n, d int) {
	s.gamma = grow(s.gamma, n*d)
	s.xp = grow(s.xp, n*d)
	s.fp = grow(s.fp, n)
	s.gp = grow(s.gp, n*d)
	s.noise = grow(s.noise, n*d)
	if s.Config.Metropolis() || s.warm != nil {
		s.gammaP = grow(s.gammaP, n*d)
		s.u = grow(s.u, n)
		s.accepted = grow(s.accepted, n)
	}
}

// SetRowScale makes chain k's step size scale[k] times the configured one (Langevin's γ, or
// HMC's h); nil puts every chain back at 1. The slice is kept, not copied.
func (s *Sampler[T]) SetRowScale(scale []T) { s.rowScale = scale }

// InvMass returns HMC's diagonal inverse mass (nil while it is the identity).
func (s *Sampler[T]) InvMass() []T { return s.invMass }

// SetInvMass sets HMC's diagonal inverse mass (D positive values; nil: the identity).
func (s *Sampler[T]) SetInvMass(v []T) error {
	if v == nil {
		s.invMass = nil
		return nil
	}
	if len(v) != s.Energy.Dim() {
		return fmt.Errorf("inverse mass has %d values, want the dimension %d", len(v), s.Energy.Dim())
	}
	for i, m := range v {
		if !(m > 0) || math.IsInf(float64(m), 0) {
			return fmt.Errorf("inverse mass[%d] must be finite and > 0, got %v", i, m)
		}
	}
	s.invMass = append(s.invMass[:0], v...)
	return nil
}

// Init evaluates f and ∇f at the chains' positions.
func (s *Sampler[T]) Init(st *State[T]) {
	d := s.Energy.Dim()
	if len(st.X) < st.N*d || len(st.F) < st.N || len(st.G) < st.N*d {
		panic(fmt.Sprintf("sampler: state buffers too small for %d chains of dimension %d", st.N, d))
	}
	s.Energy.EnergyGrad(st.X, st.N, st.F, st.G)
}

// stepSizes writes γ for every coordinate of the n×d gradient g into gamma, by the step
// rule (StepRule) over the units of Config.Anisotropy, times each chain's row scale, and
// returns the number of units the rule shrank (clipped) and the number of units.
func (s *Sampler[T]) stepSizes(g, gamma []T, n, d int) (clipped, units int) {
	clipped, units = s.ruleSizes(g, gamma, n, d)
	if s.rowScale != nil {
		for k := 0; k < n; k++ {
			r := s.rowScale[k]
			for i := k * d; i < (k+1)*d; i++ {
				gamma[i] *= r
			}
		}
	}
	return clipped, units
}

func (s *Sampler[T]) ruleSizes(g, gamma []T, n, d int) (clipped, units int) {
	c := &s.Config
	rule := c.Method.Rule()
	if rule.Constant() {
		gk, _ := rule.Gamma(c, 0)
		for i := range gamma[:n*d] {
			gamma[i] = T(gk)
		}
		return 0, n * d
	}
	unit := func(a float64) T {
		gk, cl := rule.Gamma(c, a)
		if cl {
			clipped++
		}
		return T(gk)
	}
	switch c.Anisotropy {
	case PerCoordinate:
		if _, isAniLA := rule.(anilaRule); isAniLA {
			// AniLA's rule inline: the common case, one call per coordinate saved
			eta, b := c.StepSize, c.Threshold
			for i, v := range g[:n*d] {
				a := math.Abs(float64(v))
				if a > b {
					clipped++
					gamma[i] = T(eta * b / a)
				} else {
					gamma[i] = T(eta)
				}
			}
			return clipped, n * d
		}
		for i, v := range g[:n*d] {
			gamma[i] = unit(math.Abs(float64(v)))
		}
		return clipped, n * d
	case PerChain:
		for k := 0; k < n; k++ {
			row := g[k*d : (k+1)*d]
			ss := 0.0
			for _, v := range row {
				ss += float64(v) * float64(v)
			}
			gk := unit(math.Sqrt(ss))
			for i := k * d; i < (k+1)*d; i++ {
				gamma[i] = gk
			}
		}
		return clipped, n
	default: // PerPixel, NCHW: coordinate c·P + p of a chain is channel c of pixel p
		ch := c.Channels
		p := d / ch
		for k := 0; k < n; k++ {
			row, grow := g[k*d:(k+1)*d], gamma[k*d:(k+1)*d]
			for px := 0; px < p; px++ {
				ss := 0.0
				for cc := 0; cc < ch; cc++ {
					v := float64(row[cc*p+px])
					ss += v * v
				}
				gk := unit(math.Sqrt(ss))
				for cc := 0; cc < ch; cc++ {
					grow[cc*p+px] = gk
				}
			}
		}
		return clipped, n * p
	}
}

// Step moves every chain once, drawing its noise from src, and describes the step. During
// a warm-up (StartWarmup) it also adapts the step size, and HMC's mass.
func (s *Sampler[T]) Step(src Source[T], st *State[T]) Info {
	var info Info
	if s.Config.Method == HMC {
		info = s.hmcStep(src, st)
	} else {
		info = s.langevinStep(src, st)
	}
	if s.warm != nil {
		s.adapt(&info, st)
	}
	return info
}

func (s *Sampler[T]) langevinStep(src Source[T], st *State[T]) Info {
	c := &s.Config
	n, d := st.N, s.Energy.Dim()
	s.reserve(n, d)
	x, g := st.X[:n*d], st.G[:n*d]
	gamma, xp, noise := s.gamma, s.xp, s.noise
	mask := st.Mask

	clipped, units := s.stepSizes(g, gamma, n, d)
	info := Info{Accept: 1, AcceptProb: 1, StepSize: c.StepSize, GradEvals: 1}
	s.describe(&info, g, gamma, n, d, clipped, units)
	src.Normal(noise)
	eps := c.NoiseScale
	clamp := c.Clamped() && !c.Adjusted
	lo, hi := T(c.Lo), T(c.Hi)
	for i := range xp {
		if mask != nil && mask[i] {
			xp[i] = x[i]
			continue
		}
		gi := gamma[i]
		v := x[i] + gi/2*g[i] + T(eps*math.Sqrt(float64(gi)))*noise[i]
		if clamp {
			v = min(max(v, lo), hi)
		}
		xp[i] = v
	}
	s.Energy.EnergyGrad(xp, n, s.fp, s.gp)

	switch {
	case c.Adjusted:
		info.Accept, info.AcceptProb = s.metropolis(src, st, n, d, true)
	case s.warm != nil:
		// the would-be Metropolis test, so that the warm-up can tune the step size
		_, info.AcceptProb = s.metropolis(src, st, n, d, false)
		fallthrough
	default:
		copy(x, xp)
		copy(st.F[:n], s.fp)
		copy(g, s.gp)
	}
	return info
}

// metropolis computes each chain's MALA acceptance probability (with the state-dependent γ
// of both directions, over the free coordinates), and when apply is set accepts or rejects
// the proposals. It returns the acceptance rate and the mean acceptance probability.
func (s *Sampler[T]) metropolis(src Source[T], st *State[T], n, d int, apply bool) (rate, prob float64) {
	c := &s.Config
	s.stepSizes(s.gp, s.gammaP, n, d)
	if apply {
		src.Uniform(s.u)
	}
	eps2 := c.NoiseScale * c.NoiseScale
	box := c.Clamped()
	mask := st.Mask
	// with a constant rule γ is the same both ways (row scales too), so the proposals'
	// normalising terms −½ log γ cancel and are not computed
	logs := !c.Method.Rule().Constant()
	acc := 0
	for k := 0; k < n; k++ {
		lo, hi := k*d, (k+1)*d
		// log q(z'|z): z' − μ(z) = ε√γ ξ, so the quadratic term is ξ²/2.
		var fwd, back float64
		inside := true
		for i := lo; i < hi; i++ {
			if mask != nil && mask[i] {
				continue
			}
			xi := float64(s.noise[i])
			gpi := float64(s.gammaP[i])
			mu := float64(s.xp[i]) + gpi/2*float64(s.gp[i])
			r := float64(st.X[i]) - mu
			fwd -= 0.5 * xi * xi
			back -= r * r / (2 * eps2 * gpi)
			if logs {
				fwd -= 0.5 * math.Log(float64(s.gamma[i]))
				back -= 0.5 * math.Log(gpi)
			}
			if box && (s.xp[i] < T(c.Lo) || s.xp[i] > T(c.Hi)) {
				inside = false
			}
		}
		logAlpha := float64(s.fp[k]) - float64(st.F[k]) + back - fwd
		prob += acceptProb(logAlpha, inside)
		if !apply {
			continue
		}
		ok := inside && !math.IsNaN(logAlpha) && math.Log(float64(s.u[k])) < logAlpha
		s.accepted[k] = ok
		if ok {
			acc++
			copy(st.X[lo:hi], s.xp[lo:hi])
			copy(st.G[lo:hi], s.gp[lo:hi])
			st.F[k] = s.fp[k]
		}
	}
	return float64(acc) / float64(n), prob / float64(n)
}

// acceptProb is min(1, exp(logAlpha)), and 0 for a proposal outside the box or a NaN.
func acceptProb(logAlpha float64, inside bool) float64 {
	if !inside || math.IsNaN(logAlpha) {
		return 0
	}
	if logAlpha >= 0 {
		return 1
	}
	return math.Exp(logAlpha)
}

func (s *Sampler[T]) describe(info *Info, g, gamma []T, n, d, clipped, units int) {
	if n == 0 || d == 0 {
		return
	}
	sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, v := range gamma[:n*d] {
		f := float64(v)
		sum += f
		lo = math.Min(lo, f)
		hi = math.Max(hi, f)
	}
	info.GammaMean, info.GammaMin, info.GammaMax = sum/float64(n*d), lo, hi
	if units > 0 {
		info.Clipped = float64(clipped) / float64(units)
	}
	info.GradNorm = meanRowNorm(g, n, d)
}

// Run starts n chains at x (n×Dim, updated in place), takes the given number of steps with
// noise from src, and returns the Info averaged over the steps.
func Run[T Float](cfg Config, e Energy[T], x []T, n, steps int, src Source[T]) (Info, error) {
	s, err := New(cfg, e)
	if err != nil {
		return Info{}, err
	}
	d := e.Dim()
	if len(x) < n*d {
		return Info{}, fmt.Errorf("sampler: x holds %d values, want %d×%d", len(x), n, d)
	}
	st := &State[T]{X: x[:n*d], F: make([]T, n), G: make([]T, n*d), N: n}
	s.Init(st)
	var info Info
	for k := 0; k < steps; k++ {
		info.Add(s.Step(src, st))
	}
	if steps > 0 {
		info.Scale(1 / float64(steps))
	}
	return info, nil
}
