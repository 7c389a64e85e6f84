package metric

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestFrechetClosedForm checks FrechetDistance against closed forms: for commuting
// (diagonal) covariances the trace term is Σ √(a_i b_i); for any Σ, the distance of N(μ, Σ)
// to N(μ + v, Σ) is ‖v‖²; and a Gaussian is at distance 0 from itself.
func TestFrechetClosedForm(t *testing.T) {
	a := GaussianFit{Mean: []float64{0, 1, 2}, Cov: mat.NewSymDense(3, []float64{4, 0, 0, 0, 1, 0, 0, 0, 9})}
	b := GaussianFit{Mean: []float64{1, 1, 0}, Cov: mat.NewSymDense(3, []float64{1, 0, 0, 0, 4, 0, 0, 0, 9})}
	// ‖μ₁−μ₂‖² = 1 + 0 + 4; Σ (a + b − 2√(ab)) = (2−1)² + (1−2)² + (3−3)²
	want := 5.0 + 1 + 1 + 0
	got, err := FrechetDistance(a, b)
	if err != nil || math.Abs(got-want) > 1e-12 {
		t.Fatalf("diagonal case: %v (%v), want %v", got, err, want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const d = 6
	g := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var s mat.SymDense
	s.SymOuterK(1, g)
	mu := make([]float64, d)
	mu2 := make([]float64, d)
	shift := 0.0
	for i := range mu {
		mu[i] = rng.NormFloat64()
		v := rng.NormFloat64()
		mu2[i] = mu[i] + v
		shift += v * v
	}
	x := GaussianFit{Mean: mu, Cov: &s}
	if got, _ := FrechetDistance(x, x); math.Abs(got) > 1e-9 {
		t.Errorf("distance to itself %g", got)
	}
	if got, _ := FrechetDistance(x, GaussianFit{Mean: mu2, Cov: &s}); math.Abs(got-shift) > 1e-9 {
		t.Errorf("shifted: %g, want %g", got, shift)
	}
	// scaled covariance: W² between N(0, Σ) and N(0, c²Σ) is (1−c)² tr Σ
	var s4 mat.SymDense
	s4.ScaleSym(4, &s)
	zero := make([]float64, d)
	want = mat.Trace(&s)
	if got, _ := FrechetDistance(GaussianFit{zero, &s}, GaussianFit{zero, &s4}); math.Abs(got-want) > 1e-9*want {
		t.Errorf("scaled: %g, want %g", got, want)
	}
}

func TestFitGaussian(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 20000
	x := make([]float64, 2*n)
	for k := 0; k < n; k++ {
		z1, z2 := rng.NormFloat64(), rng.NormFloat64()
		x[2*k], x[2*k+1] = 1+2*z1, -1+z1+z2 // cov [[4, 2], [2, 2]]
	}
	f, err := FitGaussian(x, n, 2)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.Mean[0]-1) > 0.05 || math.Abs(f.Mean[1]+1) > 0.05 || math.Abs(f.Cov.At(0, 0)-4) > 0.15 ||
		math.Abs(f.Cov.At(0, 1)-2) > 0.1 || math.Abs(f.Cov.At(1, 1)-2) > 0.1 {
		t.Fatalf("mean %v cov %v", f.Mean, mat.Formatted(f.Cov))
	}
}
