package energy

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Float is the element type: float32 or float64.
type Float interface {
	~float32 | ~float64
}

// component is one Gaussian, prepared for evaluation.
type component struct {
	mean    []float64
	prec    []float64 // Σ⁻¹, d×d row-major
	logNorm float64   // −½ log det(2πΣ)
}

func newComponent(mean, cov []float64) (component, error) {
	d := len(mean)
	if len(cov) != d*d {
		return component{}, fmt.Errorf("energy: covariance has %d entries, want %d×%d", len(cov), d, d)
	}
	cov, err := symmetrize(cov, d)
	if err != nil {
		return component{}, err
	}
	var ch mat.Cholesky
	if ok := ch.Factorize(mat.NewSymDense(d, cov)); !ok {
		return component{}, fmt.Errorf("energy: covariance is not positive definite")
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return component{}, fmt.Errorf("energy: covariance cannot be inverted: %v", err)
	}
	c := component{mean: append([]float64(nil), mean...), prec: make([]float64, d*d)}
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			c.prec[i*d+j] = inv.At(i, j)
		}
	}
	c.logNorm = -0.5 * (ch.LogDet() + float64(d)*math.Log(2*math.Pi))
	return c, nil
}

// symmetryTol is how far apart, relative to the largest entry, cov[i][j] and cov[j][i] may be
// and still count as equal: products such as Q·diag(s)·Qᵀ are symmetric only up to rounding.
const symmetryTol = 1e-10

// symmetrize returns a copy of the d×d matrix cov with each pair (i,j), (j,i) replaced by its
// mean, or an error naming the first pair that differs by more than rounding.
func symmetrize(cov []float64, d int) ([]float64, error) {
	scale := 0.0
	for _, v := range cov {
		scale = math.Max(scale, math.Abs(v))
	}
	out := append([]float64(nil), cov...)
	for i := 0; i < d; i++ {
		for j := i + 1; j < d; j++ {
			a, b := cov[i*d+j], cov[j*d+i]
			if math.Abs(a-b) > symmetryTol*scale {
				return nil, fmt.Errorf("energy: covariance is not symmetric: cov[%d][%d] = %g but cov[%d][%d] = %g "+
					"(they may differ by rounding only, %g of the largest entry)", i, j, a, j, i, b, symmetryTol)
			}
			out[i*d+j], out[j*d+i] = (a+b)/2, (a+b)/2
		}
	}
	return out, nil
}

// logpdf returns log N(x; μ, Σ) and writes −Σ⁻¹(x−μ) into grad; r is scratch of length d.
func (c *component) logpdf(x []float64, grad, r []float64) float64 {
	for i := range r {
		r[i] = x[i] - c.mean[i]
	}
	c.precMul(r, grad)
	q := 0.0
	for i, s := range grad {
		q += r[i] * s
		grad[i] = -s
	}
	return c.logNorm - 0.5*q
}

// precMul writes Σ⁻¹r into s (both of length d).
func (c *component) precMul(r, s []float64) {
	d := len(c.mean)
	for i := 0; i < d; i++ {
		v := 0.0
		for j, p := range c.prec[i*d : (i+1)*d] {
			v += p * r[j]
		}
		s[i] = v
	}
}

// Gaussian is the energy of N(Mean, Cov). It keeps scratch buffers, so it is not safe for
// concurrent use.
type Gaussian[T Float] struct {
	Mean, Cov []float64
	c         component
	// r and s are the batch's x − μ and (x − μ)Σ⁻¹ (n×d), grown to the largest batch
	r, s []float64
}

// NewGaussian checks that cov (d×d, row-major) is symmetric positive definite.
func NewGaussian[T Float](mean, cov []float64) (*Gaussian[T], error) {
	c, err := newComponent(mean, cov)
	if err != nil {
		return nil, err
	}
	return &Gaussian[T]{Mean: c.mean, Cov: append([]float64(nil), cov...), c: c}, nil
}

// Dim is the dimension.
func (e *Gaussian[T]) Dim() int { return len(e.Mean) }

// EnergyGrad writes log N(x_i) and its gradient −Σ⁻¹(x_i − μ), for the batch at once: one
// matrix product (n×d)(d×d) by the BLAS in use (OpenBLAS in anila's library).
func (e *Gaussian[T]) EnergyGrad(x []T, n int, f, g []T) {
	d := e.Dim()
	if n == 0 {
		return
	}
	if cap(e.r) < n*d {
		e.r, e.s = make([]float64, n*d), make([]float64, n*d)
	}
	r, s := e.r[:n*d], e.s[:n*d]
	for i := range r {
		r[i] = float64(x[i]) - e.Mean[i%d]
	}
	if d < 16 {
		// small: a loop beats the call (and gonum's own Dgemm, which allocates when it
		// splits large products over goroutines, is not reached)
		for k := 0; k < n; k++ {
			e.c.precMul(r[k*d:(k+1)*d], s[k*d:(k+1)*d])
		}
	} else {
		blas64.Implementation().Dgemm(blas.NoTrans, blas.NoTrans, n, d, d, 1, r, d, e.c.prec, d, 0, s, d)
	}
	for k := 0; k < n; k++ {
		q := 0.0
		for i := k * d; i < (k+1)*d; i++ {
			q += r[i] * s[i]
			g[i] = T(-s[i])
		}
		f[k] = T(e.c.logNorm - 0.5*q)
	}
}

// Mixture is the energy of Σ_k Weights[k]·N(Means[k], Covs[k]).
type Mixture[T Float] struct {
	Weights    []float64
	Means      [][]float64
	Covs       [][]float64
	comps      []component
	logW       []float64
	lp         []float64
	x, g, r, a []float64
}

// NewMixture checks the components; weights are normalised to sum to one.
func NewMixture[T Float](weights []float64, means, covs [][]float64) (*Mixture[T], error) {
	k := len(weights)
	if k == 0 || len(means) != k || len(covs) != k {
		return nil, fmt.Errorf("energy: mixture needs as many weights (%d), means (%d) and covariances (%d), at least one", k, len(means), len(covs))
	}
	d := len(means[0])
	m := &Mixture[T]{lp: make([]float64, k), x: make([]float64, d), g: make([]float64, d), r: make([]float64, d), a: make([]float64, d)}
	total := 0.0
	for i, w := range weights {
		if !(w > 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("energy: mixture weight %d must be finite and positive, got %v", i, w)
		}
		total += w
	}
	for i := 0; i < k; i++ {
		if len(means[i]) != d {
			return nil, fmt.Errorf("energy: mean %d has dimension %d, want %d", i, len(means[i]), d)
		}
		c, err := newComponent(means[i], covs[i])
		if err != nil {
			return nil, fmt.Errorf("component %d: %w", i, err)
		}
		m.comps = append(m.comps, c)
		m.Weights = append(m.Weights, weights[i]/total)
		m.logW = append(m.logW, math.Log(weights[i]/total))
		m.Means = append(m.Means, c.mean)
		m.Covs = append(m.Covs, append([]float64(nil), covs[i]...))
	}
	return m, nil
}

// Dim is the dimension.
func (m *Mixture[T]) Dim() int { return len(m.Means[0]) }

// EnergyGrad writes log p(x_i) and its gradient Σ_k r_k·(−Σ_k⁻¹(x−μ_k)), r the responsibilities.
func (m *Mixture[T]) EnergyGrad(x []T, n int, f, g []T) {
	d := m.Dim()
	for k := 0; k < n; k++ {
		for i := 0; i < d; i++ {
			m.x[i] = float64(x[k*d+i])
		}
		mx := math.Inf(-1)
		for j := range m.comps {
			m.lp[j] = m.logW[j] + m.comps[j].logpdf(m.x, m.g, m.r)
			mx = math.Max(mx, m.lp[j])
		}
		s := 0.0
		for j := range m.comps {
			s += math.Exp(m.lp[j] - mx)
		}
		lse := mx + math.Log(s)
		f[k] = T(lse)
		clear(m.a)
		for j := range m.comps {
			w := math.Exp(m.lp[j] - lse)
			m.comps[j].logpdf(m.x, m.g, m.r)
			for i := range m.a {
				m.a[i] += w * m.g[i]
			}
		}
		for i := 0; i < d; i++ {
			g[k*d+i] = T(m.a[i])
		}
	}
}

// MeanCov returns the mixture's mean and covariance (d×d, row-major).
func (m *Mixture[T]) MeanCov() (mean, cov []float64) {
	d := m.Dim()
	mean = make([]float64, d)
	cov = make([]float64, d*d)
	for j, w := range m.Weights {
		for i := 0; i < d; i++ {
			mean[i] += w * m.Means[j][i]
		}
	}
	for j, w := range m.Weights {
		for a := 0; a < d; a++ {
			for b := 0; b < d; b++ {
				cov[a*d+b] += w * (m.Covs[j][a*d+b] + (m.Means[j][a]-mean[a])*(m.Means[j][b]-mean[b]))
			}
		}
	}
	return mean, cov
}
