package metric

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/anila-ebm/anila/anila/sampler"
)

// Base is annealed importance sampling's tractable end: a normalised density with exact
// draws.
type Base interface {
	// Dim is the dimension of one point.
	Dim() int
	// LogDensityGrad writes log q(x_i) into lq (n) and ∇ log q(x_i) into g (n×Dim).
	LogDensityGrad(x []float64, n int, lq, g []float64)
	// Sample draws n points into x (n×Dim).
	Sample(r *rand.Rand, x []float64, n int)
}

// DiagGaussian is N(Mean, diag(Std²)), a Base (fitted to data, it is AIS's usual start).
type DiagGaussian struct{ Mean, Std []float64 }

// Dim is the dimension.
func (g DiagGaussian) Dim() int { return len(g.Mean) }

// LogDensityGrad writes log q and its gradient.
func (g DiagGaussian) LogDensityGrad(x []float64, n int, lq, gr []float64) {
	d := len(g.Mean)
	c := 0.0
	for _, s := range g.Std {
		c -= math.Log(s) + 0.5*math.Log(2*math.Pi)
	}
	for k := 0; k < n; k++ {
		s := c
		for j := 0; j < d; j++ {
			z := (x[k*d+j] - g.Mean[j]) / g.Std[j]
			s -= 0.5 * z * z
			gr[k*d+j] = -z / g.Std[j]
		}
		lq[k] = s
	}
}

// Sample draws n points.
func (g DiagGaussian) Sample(r *rand.Rand, x []float64, n int) {
	d := len(g.Mean)
	for i := 0; i < n*d; i++ {
		x[i] = g.Mean[i%d] + g.Std[i%d]*r.NormFloat64()
	}
}

// FitDiagGaussian is the diagonal Gaussian of the n points x (n×d): their mean and standard
// deviation per coordinate, each deviation at least 1% of their root mean square (so that a
// coordinate constant in the points, an image's border, still has a usable width; 1 when
// every coordinate is constant).
func FitDiagGaussian(x []float64, n, d int) (DiagGaussian, error) {
	if n < 2 {
		return DiagGaussian{}, fmt.Errorf("need at least 2 points to fit a Gaussian, got %d", n)
	}
	if len(x) != n*d {
		return DiagGaussian{}, fmt.Errorf("points hold %d values, want %d×%d", len(x), n, d)
	}
	g := DiagGaussian{Mean: make([]float64, d), Std: make([]float64, d)}
	for k := 0; k < n; k++ {
		for j, v := range x[k*d : (k+1)*d] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return DiagGaussian{}, fmt.Errorf("points must be finite: row %d, column %d is %v", k, j, v)
			}
			g.Mean[j] += v
		}
	}
	for j := range g.Mean {
		g.Mean[j] /= float64(n)
	}
	for k := 0; k < n; k++ {
		for j, v := range x[k*d : (k+1)*d] {
			r := v - g.Mean[j]
			g.Std[j] += r * r
		}
	}
	ms := 0.0
	for j := range g.Std {
		g.Std[j] = math.Sqrt(g.Std[j] / float64(n-1))
		ms += g.Std[j] * g.Std[j]
	}
	floor := 0.01 * math.Sqrt(ms/float64(d))
	if floor == 0 {
		floor = 1
	}
	for j := range g.Std {
		g.Std[j] = math.Max(g.Std[j], floor)
	}
	return g, nil
}

// AISConfig is an annealed-importance-sampling run's settings.
type AISConfig struct {
	// Distributions is the number K of steps from the base (β = 0) to the target (β = 1),
	// along a sigmoid schedule (dense at both ends).
	Distributions int
	// Chains is the number of independent AIS runs (importance weights).
	Chains int
	// Transition is the MCMC kernel at each intermediate distribution: a Metropolis-adjusted
	// Langevin rule or HMC (a kernel without a Metropolis test would not leave the
	// intermediate distributions invariant). Its StepSize is the first step size.
	Transition sampler.Config
	// Steps is the number of transitions per intermediate distribution (>= 1).
	Steps int
	// Temperature is T in the target exp(f/T) (1: the model's own density).
	Temperature float64
	// TargetAccept is what the step size is steered toward from one distribution to the
	// next (0: sampler.DefaultTarget).
	TargetAccept float64
	// Seed seeds the run.
	Seed uint64
}

// AISResult is one direction's estimate of log Z.
type AISResult struct {
	// LogZ is the estimate: forward, log mean w (a stochastic lower bound: E[LogZ] <= log Z);
	// reverse, −log mean (1/w) (an upper bound when the chains start at exact draws).
	LogZ float64
	// StdErr is LogZ's standard error by the delta method, sd(w)/(mean(w)·√N); ESS the
	// weights' effective sample size (Σw)²/Σw² (out of Chains).
	StdErr, ESS float64
	// LogWeights are the runs' log weights (forward: log w; reverse: log(1/w)).
	LogWeights []float64
	// Accept is the transitions' mean acceptance rate; StepSize the last step size.
	Accept, StepSize float64
}

// Schedule returns the K+1 inverse temperatures β₀ = 0 < … < β_K = 1 of AIS: a sigmoid
// spacing (Grosse et al., 2013: β_k ∝ σ(δ(2k/K − 1)), δ = 4, rescaled to [0, 1]).
func Schedule(k int) []float64 {
	const delta = 4.0
	b := make([]float64, k+1)
	sig := func(t float64) float64 { return 1 / (1 + math.Exp(-delta*(2*t-1))) }
	lo, hi := sig(0), sig(1)
	for i := range b {
		b[i] = (sig(float64(i)/float64(k)) - lo) / (hi - lo)
	}
	b[0], b[k] = 0, 1
	return b
}

// pathEnergy is log π_β = (1−β) log q + β f/T, with the last raw evaluation kept per row.
type pathEnergy struct {
	e          sampler.Energy[float64]
	base       Base
	beta, temp float64
	f, lq, gq  []float64
}

func (p *pathEnergy) Dim() int { return p.e.Dim() }

func (p *pathEnergy) EnergyGrad(x []float64, n int, f, g []float64) {
	d := p.e.Dim()
	p.f, p.lq, p.gq = grow(p.f, n), grow(p.lq, n), grow(p.gq, n*d)
	p.e.EnergyGrad(x, n, p.f, g)
	p.base.LogDensityGrad(x, n, p.lq, p.gq)
	b := p.beta
	for k := 0; k < n; k++ {
		f[k] = (1-b)*p.lq[k] + b*p.f[k]/p.temp
		for i := k * d; i < (k+1)*d; i++ {
			g[i] = (1-b)*p.gq[i] + b*g[i]/p.temp
		}
	}
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

func (c AISConfig) validate(d int) error {
	if c.Distributions < 1 {
		return fmt.Errorf("distributions must be >= 1, got %d", c.Distributions)
	}
	if c.Chains < 2 {
		return fmt.Errorf("chains must be >= 2, got %d", c.Chains)
	}
	if c.Steps < 1 {
		return fmt.Errorf("steps must be >= 1, got %d", c.Steps)
	}
	if !(c.Temperature > 0) || math.IsInf(c.Temperature, 0) {
		return fmt.Errorf("temperature must be a finite number > 0, got %v", c.Temperature)
	}
	if !c.Transition.Metropolis() {
		return fmt.Errorf("AIS needs a Metropolis-adjusted transition (adjusted Langevin or HMC)")
	}
	return c.Transition.Validate(d)
}

// DefaultAIS is the run taken when nothing is given: 1,000 distributions, 64 chains, one HMC transition (10 leapfrog steps) each,
// starting at step size 0.1 and steered toward HMC's default acceptance, at T = 1.
func DefaultAIS() AISConfig {
	return AISConfig{Distributions: 1000, Chains: 64, Steps: 1, Temperature: 1, Seed: 0,
		Transition: sampler.Config{Method: sampler.HMC, StepSize: 0.1, Leapfrog: 10, NoiseScale: 1, Channels: 1}}
}

// AISRun is an annealed-importance-sampling run in progress, advanced a few distributions
// at a time (Advance) so that a caller can show progress and stop it; AIS runs one whole.
type AISRun struct {
	cfg     AISConfig
	reverse bool
	path    *pathEnergy
	smp     *sampler.Sampler[float64]
	src     sampler.RandSource[float64]
	st      *sampler.State[float64]
	betas   []float64
	logw    []float64
	target  float64
	logEps  float64
	acc     float64
	steps   float64
	done    int // distributions done (forward: from k = 1 up; reverse: from K down)
}

// NewAIS prepares a run of AIS (see AIS) without taking a step.
func NewAIS(e sampler.Energy[float64], base Base, cfg AISConfig, starts []float64) (*AISRun, error) {
	d := e.Dim()
	if base.Dim() != d {
		return nil, fmt.Errorf("the base has dimension %d, the energy %d", base.Dim(), d)
	}
	if err := cfg.validate(d); err != nil {
		return nil, err
	}
	n := cfg.Chains
	reverse := starts != nil
	if reverse && len(starts) != n*d {
		return nil, fmt.Errorf("starts hold %d values, want chains×dim = %d×%d", len(starts), n, d)
	}
	target := cfg.TargetAccept
	if target == 0 {
		target = sampler.DefaultTarget(cfg.Transition)
	}
	path := &pathEnergy{e: e, base: base, temp: cfg.Temperature}
	smp, err := sampler.New[float64](cfg.Transition, path)
	if err != nil {
		return nil, err
	}
	if g, ok := base.(DiagGaussian); ok && cfg.Transition.Method == sampler.HMC {
		inv := make([]float64, d)
		for j, s := range g.Std {
			inv[j] = s * s
		}
		if err := smp.SetInvMass(inv); err != nil {
			return nil, err
		}
	}
	r := &AISRun{cfg: cfg, reverse: reverse, path: path, smp: smp, src: sampler.NewRandSource[float64](cfg.Seed),
		st: sampler.NewState[float64](n, d), betas: Schedule(cfg.Distributions), logw: make([]float64, n),
		target: target, logEps: math.Log(cfg.Transition.StepSize)}
	if reverse {
		copy(r.st.X, starts)
	} else {
		base.Sample(r.src.Rand, r.st.X, n)
	}
	return r, nil
}

// Remaining is the number of distributions left.
func (r *AISRun) Remaining() int { return r.cfg.Distributions - r.done }

// Advance goes through up to k more distributions and returns how many it did.
func (r *AISRun) Advance(k int) int {
	did := 0
	for ; did < k && r.done < r.cfg.Distributions; did++ {
		K := r.cfg.Distributions
		if !r.reverse {
			i := r.done + 1
			r.increment(r.betas[i-1], r.betas[i])
			if i < K {
				r.transition(r.betas[i])
			}
		} else {
			i := K - r.done
			if i < K {
				r.transition(r.betas[i])
			}
			r.increment(r.betas[i-1], r.betas[i])
		}
		r.done++
	}
	return did
}

// transition runs the Steps kernel moves at inverse temperature b with the current step
// size, then moves the step size toward the target acceptance.
func (r *AISRun) transition(b float64) {
	r.path.beta = b
	r.smp.Config.StepSize = math.Exp(r.logEps)
	r.smp.Init(r.st)
	p := 0.0
	for s := 0; s < r.cfg.Steps; s++ {
		info := r.smp.Step(r.src, r.st)
		r.acc += info.Accept
		p += info.AcceptProb
		r.steps++
	}
	r.logEps = min(max(r.logEps+(p/float64(r.cfg.Steps)-r.target), -40), 20)
}

// increment adds the log weight's increment from β = from to β = to at the chains'
// points: (to − from)(f/T − log q).
func (r *AISRun) increment(from, to float64) {
	p, st := r.path, r.st
	p.beta = 1
	p.EnergyGrad(st.X, r.cfg.Chains, st.F, st.G)
	for k := range r.logw {
		v := p.f[k]/p.temp - p.lq[k]
		if math.IsNaN(v) {
			v = math.Inf(-1)
		}
		r.logw[k] += (to - from) * v
	}
}

// Positions are the chains' current points (Chains×Dim, not a copy).
func (r *AISRun) Positions() []float64 { return r.st.X }

// Result is the estimate from the distributions done so far (final when Remaining is 0).
func (r *AISRun) Result() AISResult {
	res := AISResult{StepSize: math.Exp(r.logEps)}
	if r.steps > 0 {
		res.Accept = r.acc / r.steps
	}
	if r.reverse {
		// exp(−log w) estimates 1/Z without bias
		neg := make([]float64, len(r.logw))
		for k, v := range r.logw {
			neg[k] = -v
		}
		m, se, ess := logMeanExp(neg)
		res.LogZ, res.StdErr, res.ESS = -m, se, ess
		res.LogWeights = neg
	} else {
		res.LogZ, res.StdErr, res.ESS = logMeanExp(r.logw)
		res.LogWeights = append([]float64(nil), r.logw...)
	}
	return res
}

// AIS estimates log Z = log ∫ exp(f(x)/T) dx by annealed importance sampling from base
// (forward, a stochastic lower bound) or, with starts (n×Dim points, approximately drawn
// from the target), backward from them to the base (reverse, an upper bound when they are
// exact draws; from data or long chains, approximate). Chains runs go through the
// Distributions intermediate densities π_β ∝ q^(1−β)·exp(f/T)^β, each followed by Steps
// transitions of the kernel, whose step size moves between distributions toward
// TargetAccept (a multiplicative step per distribution on the transitions' mean acceptance
// probability); the kernel used at a distribution is fixed before its transitions run.
func AIS(e sampler.Energy[float64], base Base, cfg AISConfig, starts []float64) (AISResult, error) {
	r, err := NewAIS(e, base, cfg, starts)
	if err != nil {
		return AISResult{}, err
	}
	r.Advance(r.Remaining())
	return r.Result(), nil
}

// logMeanExp returns log mean exp(v), its delta-method standard error and the effective
// sample size of the weights exp(v).
func logMeanExp(v []float64) (m, se, ess float64) {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = math.Max(mx, x)
	}
	if math.IsInf(mx, -1) {
		return mx, math.Inf(1), 0
	}
	var s, s2 float64
	for _, x := range v {
		w := math.Exp(x - mx)
		s += w
		s2 += w * w
	}
	n := float64(len(v))
	mean := s / n
	vr := s2/n - mean*mean
	return mx + math.Log(mean), math.Sqrt(math.Max(vr, 0)/n) / mean, s * s / s2
}
