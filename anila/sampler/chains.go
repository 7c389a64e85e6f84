package sampler

import (
	"fmt"
	"math"
)

// Tempering is parallel tempering (replica exchange): Replicas copies of every chain at
// temperatures 1 = T₀ < … < T_{R−1} = MaxTemperature, copy r sampling exp(f/T_r). After
// every step, neighbouring temperatures propose to swap their states (pairs (0,1), (2,3), …
// on even rounds and (1,2), (3,4), … on odd ones: the non-reversible scheme of Syed et al.,
// 2021), accepted with probability min(1, exp((1/T_r − 1/T_{r+1})(f(z_{r+1}) − f(z_r)))).
// The kept draws are the T = 1 copies'. Hot copies cross the barriers between modes that
// a chain at T = 1 cannot, and swaps carry them down.
type Tempering struct {
	// Replicas is the number of temperatures R, T = 1 included (1: no tempering).
	Replicas int
	// MaxTemperature is the hottest temperature (> 1 when Replicas > 1); the ladder starts
	// geometric between 1 and it.
	MaxTemperature float64
	// Adapt moves the inner temperatures during a warm-up so that every neighbouring pair
	// swaps equally often (the ends stay).
	Adapt bool
}

// Validate reports the first bad setting, naming it.
func (t Tempering) Validate() error {
	if t.Replicas < 1 || t.Replicas > 1024 {
		return fmt.Errorf("replicas must be an int in [1, 1024], got %d", t.Replicas)
	}
	if t.Replicas > 1 && !(t.MaxTemperature > 1) || math.IsInf(t.MaxTemperature, 0) {
		return fmt.Errorf("max_temperature must be a finite number > 1, got %v", t.MaxTemperature)
	}
	return nil
}

// Chains is what a user samples with: N chains of a Sampler on an energy, with their State,
// tempered when Tempering.Replicas > 1, warm-up adaptation (StartWarmup) and masks
// (SetMask). Its State holds R·N rows, copy r of chain k in row r·N + k, so that the T = 1
// draws are the first N rows (Positions).
type Chains[T Float] struct {
	Sampler *Sampler[T]
	State   *State[T]
	// N is the number of chains (the kept draws per step).
	N int

	tempering Tempering
	temps     []float64
	tempered  *temperedEnergy[T]
	scale, u  []T
	round     int
	// the ladder's adaptation: s, the log of each gap's share of log T_max; prob and tried,
	// the pairs' summed swap probabilities and swap proposals since the last reset
	logShare, prob, tried []float64
	adapted               int
}

// NewChains returns n chains of the sampler cfg on e, tempered as t says.
func NewChains[T Float](cfg Config, e Energy[T], n int, t Tempering) (*Chains[T], error) {
	if t.Replicas == 0 {
		t.Replicas = 1
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("n must be >= 1, got %d", n)
	}
	c := &Chains[T]{N: n, tempering: t, temps: []float64{1}}
	target := e
	if r := t.Replicas; r > 1 {
		c.temps = make([]float64, r)
		c.logShare = make([]float64, r-1)
		c.prob, c.tried = make([]float64, r-1), make([]float64, r-1)
		c.tempered = &temperedEnergy[T]{e: e, n: n, beta: make([]float64, r)}
		c.scale = make([]T, r*n)
		c.u = make([]T, (r-1)*n)
		target = c.tempered
	}
	s, err := New(cfg, target)
	if err != nil {
		return nil, err
	}
	c.Sampler = s
	c.State = NewState[T](t.Replicas*n, e.Dim())
	if t.Replicas > 1 {
		c.setLadder(nil)
	}
	return c, nil
}

// Temperatures returns the ladder T₀ = 1 < … < T_{R−1}.
func (c *Chains[T]) Temperatures() []float64 { return append([]float64(nil), c.temps...) }

// SwapRates returns each neighbouring pair's mean swap probability since the last warm-up
// ended (or since the start), R−1 values; nil without tempering.
func (c *Chains[T]) SwapRates() []float64 {
	if c.prob == nil {
		return nil
	}
	out := make([]float64, len(c.prob))
	for i := range out {
		if c.tried[i] > 0 {
			out[i] = c.prob[i] / c.tried[i]
		}
	}
	return out
}

// Positions returns the kept chains' positions (N×D, the T = 1 rows of State.X; not a copy).
func (c *Chains[T]) Positions() []T { return c.State.X[:c.N*c.Sampler.Energy.Dim()] }

// SetPositions puts every copy of every chain at x (N×D).
func (c *Chains[T]) SetPositions(x []T) error {
	nd := c.N * c.Sampler.Energy.Dim()
	if len(x) != nd {
		return fmt.Errorf("positions have %d values, the chains hold %d", len(x), nd)
	}
	for r := 0; r < len(c.temps); r++ {
		copy(c.State.X[r*nd:(r+1)*nd], x)
	}
	return nil
}

// SetMask fixes, for every copy of chain k, the coordinates j where mask[k·D + j] is true
// (nil: none).
func (c *Chains[T]) SetMask(mask []bool) error {
	if mask == nil {
		c.State.Mask = nil
		return nil
	}
	nd := c.N * c.Sampler.Energy.Dim()
	if len(mask) != nd {
		return fmt.Errorf("mask has %d values, the chains hold %d", len(mask), nd)
	}
	full := make([]bool, len(c.temps)*nd)
	for r := range c.temps {
		copy(full[r*nd:], mask)
	}
	c.State.Mask = full
	return nil
}

// Init evaluates the energy at the chains' positions.
func (c *Chains[T]) Init() { c.Sampler.Init(c.State) }

// StartWarmup begins a warm-up (Sampler.StartWarmup); with tempering and Tempering.Adapt,
// the ladder adapts during it too.
func (c *Chains[T]) StartWarmup(a Adaptation) error {
	if err := c.Sampler.StartWarmup(a); err != nil {
		return err
	}
	c.adapted = 0
	return nil
}

// Step moves every chain once (every copy, at its temperature), then proposes a round of
// swaps; it returns the step's Info over all copies.
func (c *Chains[T]) Step(src Source[T]) Info {
	warming := c.Sampler.Warming()
	info := c.Sampler.Step(src, c.State)
	if len(c.temps) > 1 {
		c.swap(src)
		if warming && c.tempering.Adapt {
			c.adaptLadder()
		}
		if warming && !c.Sampler.Warming() {
			clear(c.prob)
			clear(c.tried)
		}
	}
	return info
}

// swap proposes one round of swaps between neighbouring temperatures.
func (c *Chains[T]) swap(src Source[T]) {
	st, n, d := c.State, c.N, c.Sampler.Energy.Dim()
	src.Uniform(c.u)
	beta := c.tempered.beta
	for r := c.round % 2; r+1 < len(c.temps); r += 2 {
		for k := 0; k < n; k++ {
			i, j := r*n+k, (r+1)*n+k
			fi, fj := float64(st.F[i])*c.temps[r], float64(st.F[j])*c.temps[r+1]
			logA := (beta[r] - beta[r+1]) * (fj - fi)
			c.prob[r] += acceptProb(logA, true)
			c.tried[r]++
			if !(math.Log(float64(c.u[r*n+k])) < logA) {
				continue
			}
			st.F[i], st.F[j] = T(fj*beta[r]), T(fi*beta[r+1])
			up, down := T(beta[r]/beta[r+1]), T(beta[r+1]/beta[r])
			xi, xj := st.X[i*d:(i+1)*d], st.X[j*d:(j+1)*d]
			gi, gj := st.G[i*d:(i+1)*d], st.G[j*d:(j+1)*d]
			for q := 0; q < d; q++ {
				xi[q], xj[q] = xj[q], xi[q]
				gi[q], gj[q] = gj[q]*up, gi[q]*down
			}
		}
	}
	c.round++
}

// adaptLadder, every two rounds (one of each parity), widens the gaps whose pairs swapped
// more often than the mean and narrows the others, with a step that decays as t^−0.6, then
// resets the counts.
func (c *Chains[T]) adaptLadder() {
	if c.round%2 != 0 {
		return
	}
	c.adapted++
	// the window's swap rates, in place of the sums (cleared below)
	rates := c.prob
	mean := 0.0
	for i := range rates {
		if c.tried[i] > 0 {
			rates[i] /= c.tried[i]
		}
		mean += rates[i]
	}
	mean /= float64(len(rates))
	kappa := 2 / math.Pow(float64(c.adapted)+1, 0.6)
	for i, a := range rates {
		c.logShare[i] = min(max(c.logShare[i]+kappa*(a-mean), -20), 20)
	}
	clear(c.prob)
	clear(c.tried)
	c.setLadder(c.State)
}

// setLadder sets the temperatures from the gaps' shares of log T_max, the tempered energy's
// inverse temperatures and the row scales; with a State, it rescales the stored f/T and
// ∇f/T of every row to the new temperatures.
func (c *Chains[T]) setLadder(st *State[T]) {
	r := len(c.temps)
	total := 0.0
	for _, s := range c.logShare {
		total += math.Exp(s)
	}
	logMax, acc := math.Log(c.tempering.MaxTemperature), 0.0
	old := append([]float64(nil), c.temps...)
	c.temps[0] = 1
	for i, s := range c.logShare {
		acc += math.Exp(s)
		c.temps[i+1] = math.Exp(logMax * acc / total)
	}
	c.temps[r-1] = c.tempering.MaxTemperature
	n, d := c.N, c.Sampler.Energy.Dim()
	hmc := c.Sampler.Config.Method == HMC
	for q, t := range c.temps {
		c.tempered.beta[q] = 1 / t
		// a Gaussian's width grows as √T: Langevin's γ ∝ width², HMC's h ∝ width
		sc := T(t)
		if hmc {
			sc = T(math.Sqrt(t))
		}
		for k := 0; k < n; k++ {
			c.scale[q*n+k] = sc
		}
		if st != nil && old[q] != t {
			ratio := T(old[q] / t)
			for k := q * n; k < (q+1)*n; k++ {
				st.F[k] *= ratio
				for i := k * d; i < (k+1)*d; i++ {
					st.G[i] *= ratio
				}
			}
		}
	}
	c.Sampler.SetRowScale(c.scale)
}

// temperedEnergy is f/T_r on row block r (rows r·n … r·n+n−1).
type temperedEnergy[T Float] struct {
	e    Energy[T]
	n    int
	beta []float64
}

func (t *temperedEnergy[T]) Dim() int { return t.e.Dim() }

func (t *temperedEnergy[T]) EnergyGrad(x []T, rows int, f, g []T) {
	t.e.EnergyGrad(x, rows, f, g)
	d := t.e.Dim()
	for k := 0; k < rows; k++ {
		b := T(t.beta[k/t.n])
		f[k] *= b
		for i := k * d; i < (k+1)*d; i++ {
			g[i] *= b
		}
	}
}
