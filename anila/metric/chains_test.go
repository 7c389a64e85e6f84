package metric

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ar1 draws chains of the AR(1) process x_t = φ x_{t−1} + √(1−φ²) ε_t (stationary N(0, 1)),
// whose effective sample size per draw is (1−φ)/(1+φ).
func ar1(rng *rand.Rand, chains, n int, phi float64, offset func(c int) float64) []float64 {
	out := make([]float64, chains*n)
	for c := 0; c < chains; c++ {
		x := rng.NormFloat64()
		for t := 0; t < n; t++ {
			x = phi*x + math.Sqrt(1-phi*phi)*rng.NormFloat64()
			out[c*n+t] = x + offset(c)
		}
	}
	return out
}

func TestESSAndRHat(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	none := func(int) float64 { return 0 }
	const chains, n = 4, 2000
	for _, phi := range []float64{0, 0.5, 0.9} {
		d := ar1(rng, chains, n, phi, none)
		ess, err := ESS(d, chains, n)
		if err != nil {
			t.Fatal(err)
		}
		want := float64(chains*n) * (1 - phi) / (1 + phi)
		if math.Abs(ess/want-1) > 0.2 {
			t.Errorf("φ = %g: ESS %.0f, theory %.0f", phi, ess, want)
		}
		r, _ := SplitRHat(d, chains, n)
		if r > 1.02 || r < 0.99 {
			t.Errorf("φ = %g: R̂ %.4f for mixed chains", phi, r)
		}
	}
	// chains stuck around different means
	d := ar1(rng, chains, n, 0.5, func(c int) float64 { return float64(c) })
	if r, _ := SplitRHat(d, chains, n); r < 1.2 {
		t.Errorf("R̂ %.3f for chains with means 0, 1, 2, 3", r)
	}
	// a drifting single chain: split R̂ sees its halves disagree
	drift := make([]float64, n)
	for i := range drift {
		drift[i] = float64(i)/float64(n)*4 + rng.NormFloat64()
	}
	if r, _ := SplitRHat(drift, 1, n); r < 1.2 {
		t.Errorf("R̂ %.3f for a drifting chain", r)
	}
	if _, err := ESS([]float64{1, 2, math.NaN(), 4}, 1, 4); err == nil {
		t.Error("NaN draws accepted")
	}
	if _, err := SplitRHat([]float64{1, 2}, 1, 2); err == nil {
		t.Error("2 draws accepted")
	}
}

func TestSlicedWasserstein(t *testing.T) {
	// exact 1-D case with unequal sizes: quantile steps of {0, 1} against {0, 0.5, 1}
	if w := wasserstein2Sorted([]float64{0, 1}, []float64{0, 0.5, 1}); math.Abs(w-1.0/12) > 1e-15 {
		t.Errorf("W2² = %g, want 1/12", w)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const n, d = 2000, 2
	x := make([]float64, n*d)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	if w, _ := SlicedWasserstein(x, n, x, n, d, 50, 1); w != 0 {
		t.Errorf("SW(x, x) = %g", w)
	}
	// a shift by v: every projection is shifted by θ·v, so SW² = E(θ·v)² = |v|²/d
	y := make([]float64, len(x))
	for k := 0; k < n; k++ {
		y[2*k], y[2*k+1] = x[2*k]+3, x[2*k+1]+4
	}
	w, err := SlicedWasserstein(x, n, y, n, d, 4000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := 5 / math.Sqrt2; math.Abs(w/want-1) > 0.03 {
		t.Errorf("SW of a shift by (3, 4) = %.4f, want %.4f", w, want)
	}
	if _, err := SlicedWasserstein(x, n, y, n, d, 0, 1); err == nil {
		t.Error("proj = 0 accepted")
	}
}
