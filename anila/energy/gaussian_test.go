package energy

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGaussianBatchMatchesPointwise: the batched evaluation (one matrix product) equals the
// point-by-point one, and the gradient equals central differences of f.
func TestGaussianBatchMatchesPointwise(t *testing.T) {
	for _, d := range []int{7, 20} { // a loop below 16, a matrix product above
		gaussianBatch(t, d)
	}
}

func gaussianBatch(t *testing.T, d int) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 13
	a := make([]float64, d*d)
	for i := range a {
		a[i] = r.NormFloat64()
	}
	cov := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			for k := 0; k < d; k++ {
				cov[i*d+j] += a[i*d+k] * a[j*d+k]
			}
		}
		cov[i*d+i] += 0.5
	}
	mean := make([]float64, d)
	for i := range mean {
		mean[i] = r.NormFloat64()
	}
	e, err := NewGaussian[float64](mean, cov)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, n*d)
	for i := range x {
		x[i] = 2 * r.NormFloat64()
	}
	f, g := make([]float64, n), make([]float64, n*d)
	e.EnergyGrad(x, n, f, g)
	gp, rr := make([]float64, d), make([]float64, d)
	for k := 0; k < n; k++ {
		want := e.c.logpdf(x[k*d:(k+1)*d], gp, rr)
		if math.Abs(f[k]-want) > 1e-10*math.Max(1, math.Abs(want)) {
			t.Errorf("f[%d] = %v, pointwise %v", k, f[k], want)
		}
		for i := 0; i < d; i++ {
			if math.Abs(g[k*d+i]-gp[i]) > 1e-10*math.Max(1, math.Abs(gp[i])) {
				t.Errorf("g[%d][%d] = %v, pointwise %v", k, i, g[k*d+i], gp[i])
			}
		}
	}
	// central differences of the batched f
	h := 1e-6
	xp := append([]float64(nil), x[:d]...)
	fp, gq := make([]float64, 1), make([]float64, d)
	for i := 0; i < d; i++ {
		xp[i] += h
		e.EnergyGrad(xp, 1, fp, gq)
		up := fp[0]
		xp[i] -= 2 * h
		e.EnergyGrad(xp, 1, fp, gq)
		xp[i] += h
		if fd := (up - fp[0]) / (2 * h); math.Abs(fd-g[i]) > 1e-5*math.Max(1, math.Abs(g[i])) {
			t.Errorf("∂f/∂x[%d] = %v, finite differences %v", i, g[i], fd)
		}
	}
}
