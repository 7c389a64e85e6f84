package train

import (
	"math"

	"github.com/anila-ebm/anila/anila/internal/pool"
)

// Data-driven jumps: a Metropolis–Hastings move that lets persistent chains change modes.
//
// Langevin chains on a multimodal energy do not cross the low-density space between modes,
// so the share of the replay buffer in each mode is set by where chains happened to
// (re)start, not by the model; maximum likelihood then moves the modes' heights to make up
// for that allocation, and the model's mode weights come out wrong (on 25 Gaussians the
// inner nine modes got 2-6% of their mass; docs/design.md). The jump proposes, for a chain
// at z, z' = x_j + σ⊙ε with x_j a random point of a fixed subset S of the data, ε standard
// normal and σ per coordinate, and accepts it with probability
//
//	min(1, exp(f(z') − f(z)) · q(z)/q(z')),  q(z) = (1/|S|) Σ_{j∈S} N(z; x_j, diag(σ²)),
//
// an independence proposal, so the move leaves exp(f) invariant and chains move between
// modes in proportion to the model's own weights. A share jumpUniform of the proposals is
// uniform on the sampling box instead (q is then that mixture). It pays one forward pass of the proposals
// and |S|·d work per chain for q; it is meant for low-dimensional data (the acceptance falls
// with the dimension).

// jumpSubset is the largest data subset S the proposal uses (rows evenly spaced over the data).
const jumpSubset = 1024

// jumpUniform is the share of proposals drawn uniformly from the sampling box (jumpBox)
// instead of around data points: they let chains reach, and so let training remove, model
// mass away from the data, which chains that stay near the data never see.
const jumpUniform = 0.25

// jumpState holds the jump move's scratch buffers.
type jumpState[T any] struct {
	prop   []T       // proposals, BatchSize×Dim
	f      []T       // f at the proposals
	which  []int     // the chains that propose, in order
	logQ   []float64 // log q at the current and proposed points
	sub    []float64 // the points of S, |S|×Dim (empty until the first jump after data is set)
	inv    []float64 // 1/(2σ_i²) per coordinate
	accept float64   // the last iteration's acceptance rate (NaN: no proposal)
	// logQAt is the trainer's jumpLogQ, bound once (prepare) so that handing it to the
	// worker pool in every iteration allocates no closure.
	logQAt func(i int)
}

// jumpPrepare fills S (every data point when there are at most jumpSubset, else jumpSubset
// rows evenly spaced) and the kernel's 1/(2σ_i²).
func (t *Trainer[T]) jumpPrepare() {
	n := t.nData
	s := min(n, jumpSubset)
	d := t.Dim()
	t.jump.sub = t.jump.sub[:0]
	for i := 0; i < s; i++ {
		r := int(int64(i) * int64(n) / int64(s))
		for _, v := range t.data[r*d : (r+1)*d] {
			t.jump.sub = append(t.jump.sub, float64(v))
		}
	}
	for i := range t.jump.inv {
		w := t.jumpWidth(i)
		t.jump.inv[i] = 1 / (2 * w * w)
	}
}

// jumpPoints is |S|.
func (t *Trainer[T]) jumpPoints() int { return len(t.jump.sub) / t.Dim() }

// jumpBox is the box of the proposal's uniform part: the sampler's clamp box when samples
// are clamped, else the noise box chains restart from.
func (t *Trainer[T]) jumpBox() (lo, hi float64) {
	if t.Config.Sampler.Clamped() {
		return t.Config.Sampler.Lo, t.Config.Sampler.Hi
	}
	return t.Config.NoiseLo, t.Config.NoiseHi
}

// logQ is log q(z), the proposal's density: the mixture of the uniform density on jumpBox
// (weight jumpUniform) and the Gaussian kernel density on S.
func (t *Trainer[T]) logQ(z []T) float64 {
	d := t.Dim()
	lo, hi := t.jumpBox()
	logU := math.Inf(-1)
	if inBox(z, lo, hi) {
		logU = math.Log(jumpUniform) - float64(d)*math.Log(hi-lo)
	}
	logK := math.Log(1-jumpUniform) - math.Log(float64(t.jumpPoints())) - 0.5*float64(d)*math.Log(2*math.Pi) +
		t.logKernelSum(z)
	for j := 0; j < d; j++ {
		logK -= math.Log(t.jumpWidth(j))
	}
	a, b := max(logU, logK), min(logU, logK)
	if math.IsInf(a, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// jumpWidth is the proposal's sd σ_i in coordinate i: JumpWidth's entry i, or its one entry
// for every coordinate.
func (t *Trainer[T]) jumpWidth(i int) float64 {
	if len(t.Config.JumpWidth) == 1 {
		return t.Config.JumpWidth[0]
	}
	return t.Config.JumpWidth[i]
}

// logKernelSum is log Σ_{j∈S} exp(−Σ_i (z_i − x_ji)²/(2σ_i²)): a first pass finds the
// largest exponent, a second sums over the exponents within 40 of it (the others add less
// than e⁻⁴⁰ of it), so that only points near z pay an exp. Safe for concurrent calls.
func (t *Trainer[T]) logKernelSum(z []T) float64 {
	d := t.Dim()
	inv, sub := t.jump.inv, t.jump.sub
	exponent := func(j int) float64 {
		v := 0.0
		for i, xi := range sub[j*d : (j+1)*d] {
			u := float64(z[i]) - xi
			v -= u * u * inv[i]
		}
		return v
	}
	s := t.jumpPoints()
	best := math.Inf(-1)
	for j := 0; j < s; j++ {
		best = math.Max(best, exponent(j))
	}
	sum := 0.0
	for j := 0; j < s; j++ {
		if v := exponent(j); v > best-40 {
			sum += math.Exp(v - best)
		}
	}
	return best + math.Log(sum)
}

// jumpMove runs the data-driven jump on this iteration's final chains (t.state): each chain
// proposes with probability Config.Jump. The sampler's F and G of a chain that jumps are left
// as they were; the replay buffer keeps only positions.
func (t *Trainer[T]) jumpMove() {
	c := &t.Config
	t.jump.accept = math.NaN()
	if c.Jump <= 0 || t.nData == 0 {
		return
	}
	if len(t.jump.sub) == 0 {
		t.jumpPrepare()
	}
	d, m := t.Dim(), c.BatchSize
	w := t.jump.which[:0]
	for k := 0; k < m; k++ {
		if t.rng.Float64() < c.Jump {
			w = append(w, k)
		}
	}
	t.jump.which = w
	if len(w) == 0 {
		return
	}
	prop := t.jump.prop[:len(w)*d]
	lo, hi := t.jumpBox()
	for i := range w {
		if t.rng.Float64() < jumpUniform {
			for j := 0; j < d; j++ {
				prop[i*d+j] = T(lo + (hi-lo)*t.rng.Float64())
			}
			continue
		}
		x := t.jump.sub[t.rng.IntN(t.jumpPoints())*d:]
		for j := 0; j < d; j++ {
			prop[i*d+j] = T(x[j]) + T(t.jumpWidth(j)*t.rng.NormFloat64())
		}
	}
	f := t.jump.f[:len(w)]
	t.energy.Forward(prop, len(w), f)
	lq := t.jump.logQ[:2*len(w)]
	pool.Shared().Run(len(w), t.jump.logQAt)
	acc := 0
	for i, k := range w {
		z := t.state.X[k*d : (k+1)*d]
		zp := prop[i*d : (i+1)*d]
		if c.Sampler.Clamped() && !inBox(zp, c.Sampler.Lo, c.Sampler.Hi) {
			t.rng.Float64() // the same draws whatever the outcome
			continue        // exp(f) restricted to the clamp box: no mass outside
		}
		logA := float64(f[i]) - float64(t.state.F[k]) + lq[2*i] - lq[2*i+1]
		u := t.rng.Float64()
		if !math.IsNaN(logA) && math.Log(u) < logA {
			copy(z, zp)
			acc++
		}
	}
	t.jump.accept = float64(acc) / float64(len(w))
}

// jumpLogQ writes log q of the i-th proposing chain's point and of its proposal into
// t.jump.logQ[2i] and [2i+1]; the jump calls it for every proposing chain in parallel.
func (t *Trainer[T]) jumpLogQ(i int) {
	d := t.Dim()
	k := t.jump.which[i]
	t.jump.logQ[2*i] = t.logQ(t.state.X[k*d : (k+1)*d])
	t.jump.logQ[2*i+1] = t.logQ(t.jump.prop[i*d : (i+1)*d])
}

// inBox reports whether every coordinate of z lies in [lo, hi].
func inBox[T ~float32 | ~float64](z []T, lo, hi float64) bool {
	for _, v := range z {
		if float64(v) < lo || float64(v) > hi {
			return false
		}
	}
	return true
}
