package sampler

import (
	"fmt"
	"math"
)

// Adaptation is a warm-up's settings: for Steps steps the step size is tuned toward
// TargetAccept, by dual averaging over the first 70% (65% with a mass to estimate), then by
// Robbins–Monro steps from dual averaging's average, whose last iterate is kept: dual
// averaging's average alone overshoots the target (the acceptance at the average of the
// iterates is not the average acceptance of the iterates; Stan's runs end above their
// target too). HMC's mass (Config.Mass "diag" or "gradient") is estimated from the draws
// of the steps from 15% to 65%, in two windows (the second, twice as long, starts from the first's mass). Then both are frozen, so that the steps after the warm-up
// are those of one fixed, exact kernel. The step size is shared by
// all chains: they target the same distribution, so one step size fits them all, and the
// mean of N acceptance probabilities per step steers it with N times less noise than one
// chain's would.
type Adaptation struct {
	// Steps is the warm-up's length (>= 1).
	Steps int
	// TargetAccept is the mean acceptance probability sought (0: DefaultTarget).
	TargetAccept float64
}

// DefaultTarget is the acceptance probability a warm-up seeks by default: 0.574 for the
// Metropolis-adjusted Langevin rules (MALA's optimal rate in high dimension, Roberts &
// Rosenthal 1998), 0.8 for HMC (Stan's and BlackJAX's default), and 0.9 for unadjusted
// Langevin, which has no test to reject its discretisation error: the step at which a test
// would accept 90% keeps that error small (on a 2-D Gaussian with correlation 0.9, variances
// within 3%, where the step of 57% doubles them).
func DefaultTarget(c Config) float64 {
	switch {
	case c.Method == HMC:
		return 0.8
	case c.Adjusted:
		return 0.574
	}
	return 0.9
}

// DualAveraging is Nesterov's dual averaging as Hoffman & Gelman (2014, section 3.2) use
// it to tune a step size toward a target acceptance probability, with their constants
// γ = 0.05, t₀ = 10, κ = 0.75 and μ = log(10·ε₀).
type DualAveraging struct {
	// Target is the acceptance probability sought.
	Target                      float64
	mu, logEps, logEpsBar, hBar float64
	t                           int
}

// NewDualAveraging starts dual averaging at step size eps.
func NewDualAveraging(eps, target float64) DualAveraging {
	return DualAveraging{Target: target, mu: math.Log(10 * eps), logEps: math.Log(eps)}
}

// Update takes the mean acceptance probability of the last step and returns the step size
// of the next.
func (da *DualAveraging) Update(acceptProb float64) float64 {
	const gamma, t0, kappa = 0.05, 10.0, 0.75
	if math.IsNaN(acceptProb) {
		acceptProb = 0
	}
	da.t++
	t := float64(da.t)
	w := 1 / (t + t0)
	da.hBar = (1-w)*da.hBar + w*(da.Target-acceptProb)
	// bounded so that a target with no good step size cannot overflow the step
	da.logEps = min(max(da.mu-math.Sqrt(t)/gamma*da.hBar, -40), 20)
	eta := math.Pow(t, -kappa)
	da.logEpsBar = eta*da.logEps + (1-eta)*da.logEpsBar
	return math.Exp(da.logEps)
}

// Final is the step size to keep: the average the iterates converge to.
func (da *DualAveraging) Final() float64 {
	if da.t == 0 {
		return math.Exp(da.logEps)
	}
	return math.Exp(da.logEpsBar)
}

// polishGain is the Robbins–Monro gain of the warm-up's last part (per unit of acceptance
// probability, in log step size), decaying as k^−0.6: with 2, warm-ups of 100 to 300
// steps end within ±0.02 of the target for 1 to 1,000 chains (HMC and MALA on a Gaussian
// with κ = 100), where dual averaging's average alone ended 0.05 to 0.15 above HMC's.
const polishGain = 2.0

// warmup is a running warm-up's state.
type warmup struct {
	total, done int
	da          DualAveraging
	// polish is the step from which Robbins–Monro steps refine the step size (logEps) from
	// dual averaging's average, k counting them
	polish, k int
	logEps    float64
	// the mass windows: steps (from, mid] feed a first estimate, set at mid; steps (mid, to]
	// a second one, with the chains spread by the first, set at to (Stan's doubling windows,
	// two of them)
	from, mid, to   int
	count, mean, m2 []float64
}

// StartWarmup begins a warm-up of a.Steps steps: the next a.Steps calls of Step adapt the
// step size (and HMC's mass), starting from Config.StepSize, as Adaptation says.
func (s *Sampler[T]) StartWarmup(a Adaptation) error {
	if a.Steps < 1 {
		return fmt.Errorf("warmup must be >= 1, got %d", a.Steps)
	}
	target := a.TargetAccept
	if target == 0 {
		target = DefaultTarget(s.Config)
	}
	if !(target > 0 && target < 1) {
		return fmt.Errorf("target_accept must be in (0, 1), got %v", target)
	}
	w := &warmup{total: a.Steps, da: NewDualAveraging(s.Config.StepSize, target), polish: a.Steps * 70 / 100}
	if s.Config.Method == HMC && s.Config.Mass != IdentityMass && a.Steps >= 20 {
		if s.Config.Mass == GradientMass {
			if err := finitePositive("threshold", s.Config.Threshold); err != nil {
				return fmt.Errorf("mass \"gradient\" needs a threshold b: %v", err)
			}
		}
		d := s.Energy.Dim()
		w.from, w.to = a.Steps*15/100, a.Steps*65/100
		w.mid = w.from + (w.to-w.from)/3
		w.polish = w.to
		w.count, w.mean, w.m2 = make([]float64, d), make([]float64, d), make([]float64, d)
	}
	s.warm = w
	return nil
}

// Warming reports whether a warm-up is running.
func (s *Sampler[T]) Warming() bool { return s.warm != nil }

// adapt takes one warm-up step's statistics: it sets the next step size, feeds the mass
// window, and at the warm-up's end leaves the step size where the refinement put it.
func (s *Sampler[T]) adapt(info *Info, st *State[T]) {
	w := s.warm
	w.done++
	a := info.AcceptProb
	if math.IsNaN(a) {
		a = 0
	}
	switch {
	case w.done < w.polish:
		s.Config.StepSize = w.da.Update(a)
	case w.done == w.polish:
		w.da.Update(a)
		w.logEps = math.Log(w.da.Final())
		s.Config.StepSize = math.Exp(w.logEps)
	default:
		w.k++
		gain := polishGain / math.Pow(float64(w.k), 0.6)
		w.logEps = min(max(w.logEps+gain*(a-w.da.Target), -40), 20)
		s.Config.StepSize = math.Exp(w.logEps)
	}
	if w.count != nil && w.done > w.from && w.done <= w.to {
		s.accumulateMass(st)
		if w.done == w.mid || w.done == w.to {
			s.setMass()
			clear(w.count)
			clear(w.mean)
			clear(w.m2)
		}
	}
	if w.done >= w.total {
		s.warm = nil
	}
}

// accumulateMass adds the chains' free coordinates (positions for "diag", gradients for
// "gradient") to the window's running means and squared deviations (Welford).
func (s *Sampler[T]) accumulateMass(st *State[T]) {
	w := s.warm
	d := s.Energy.Dim()
	src := st.X
	if s.Config.Mass == GradientMass {
		src = st.G
	}
	for k := 0; k < st.N; k++ {
		for j := 0; j < d; j++ {
			i := k*d + j
			if st.Mask != nil && st.Mask[i] {
				continue
			}
			v := float64(src[i])
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			w.count[j]++
			delta := v - w.mean[j]
			w.mean[j] += delta / w.count[j]
			w.m2[j] += delta * (v - w.mean[j])
		}
	}
}

// setMass turns the window's moments into the inverse mass: the draws' variances shrunk
// toward 10⁻³ as Stan does ("diag"), or b / max(b, rms gradient) ("gradient"). Coordinates
// the window never saw free keep 1.
func (s *Sampler[T]) setMass() {
	w := s.warm
	inv := make([]T, len(w.count))
	b := s.Config.Threshold
	for j, n := range w.count {
		inv[j] = 1
		if n < 2 {
			continue
		}
		switch s.Config.Mass {
		case DiagMass:
			v := w.m2[j] / (n - 1)
			inv[j] = T(n/(n+5)*v + 1e-3*5/(n+5))
		case GradientMass:
			rms := math.Sqrt(w.m2[j]/n + w.mean[j]*w.mean[j])
			inv[j] = T(b / math.Max(b, rms))
		}
		if !(inv[j] > 0) || math.IsInf(float64(inv[j]), 0) {
			inv[j] = 1
		}
	}
	s.invMass = inv
}
