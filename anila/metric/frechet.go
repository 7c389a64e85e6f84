package metric

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Gaussian fit of a sample: its mean and covariance (unbiased, n−1).
type GaussianFit struct {
	Mean []float64
	Cov  *mat.SymDense
}

// FitGaussian is the mean and covariance of the n×d sample x.
func FitGaussian(x []float64, n, d int) (GaussianFit, error) {
	if n < 2 || d < 1 || len(x) < n*d {
		return GaussianFit{}, fmt.Errorf("metric: a Gaussian fit needs >= 2 rows of d >= 1 values, got n=%d, d=%d", n, d)
	}
	mean := make([]float64, d)
	for k := 0; k < n; k++ {
		for i, v := range x[k*d : (k+1)*d] {
			mean[i] += v
		}
	}
	for i := range mean {
		mean[i] /= float64(n)
	}
	cov := mat.NewSymDense(d, nil)
	c := make([]float64, d)
	for k := 0; k < n; k++ {
		for i, v := range x[k*d : (k+1)*d] {
			c[i] = v - mean[i]
		}
		cov.SymRankOne(cov, 1, mat.NewVecDense(d, c))
	}
	cov.ScaleSym(1/float64(n-1), cov)
	return GaussianFit{Mean: mean, Cov: cov}, nil
}

// FrechetDistance is the squared 2-Wasserstein (Fréchet) distance between the Gaussians
// N(μ₁, Σ₁) and N(μ₂, Σ₂): ‖μ₁−μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½, the FID formula.
// The matrix square roots come from symmetric eigendecompositions (negative eigenvalues of
// rounding are set to 0), which is exact for positive semi-definite covariances.
func FrechetDistance(a, b GaussianFit) (float64, error) {
	d := len(a.Mean)
	if len(b.Mean) != d || a.Cov.SymmetricDim() != d || b.Cov.SymmetricDim() != d {
		return 0, fmt.Errorf("metric: Fréchet distance of Gaussians of dimensions %d and %d", d, len(b.Mean))
	}
	s1, err := sqrtSym(a.Cov)
	if err != nil {
		return 0, err
	}
	var m mat.Dense
	m.Mul(s1, b.Cov)
	m.Mul(&m, s1)
	ms := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			ms.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(ms, false) {
		return 0, fmt.Errorf("metric: eigendecomposition failed")
	}
	trSqrt := 0.0
	for _, v := range eig.Values(nil) {
		trSqrt += math.Sqrt(math.Max(v, 0))
	}
	dist := 0.0
	for i := range a.Mean {
		t := a.Mean[i] - b.Mean[i]
		dist += t*t + a.Cov.At(i, i) + b.Cov.At(i, i)
	}
	return dist - 2*trSqrt, nil
}

func sqrtSym(s *mat.SymDense) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, fmt.Errorf("metric: eigendecomposition failed")
	}
	vals := eig.Values(nil)
	var v mat.Dense
	eig.VectorsTo(&v)
	d := len(vals)
	for i := range vals {
		vals[i] = math.Sqrt(math.Max(vals[i], 0))
	}
	out := mat.NewDense(d, d, nil)
	var vs mat.Dense
	vs.Apply(func(i, j int, x float64) float64 { return x * vals[j] }, &v)
	out.Mul(&vs, v.T())
	return out, nil
}
