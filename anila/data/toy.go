package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// ToyFunc draws n points in two dimensions into a new n×2 row-major slice.
type ToyFunc func(n int, rng *rand.Rand) []float64

// Toys maps each toy data set's name to its generator.
var Toys = map[string]ToyFunc{
	"rings":        Rings,
	"8gaussians":   EightGaussians,
	"25gaussians":  TwentyFiveGaussians,
	"2spirals":     TwoSpirals,
	"checkerboard": Checkerboard,
	"pinwheel":     Pinwheel,
	"moons":        TwoMoons,
}

// ToyNames lists the toy data sets in alphabetical order.
func ToyNames() []string {
	names := make([]string, 0, len(Toys))
	for k := range Toys {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// NewRand is the generator the toy sets use for a seed.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0xda3e39cb94b95bdb)) }

// Toy draws n points of the named set with the given seed.
func Toy(name string, n int, seed uint64) ([]float64, error) {
	f, ok := Toys[name]
	if !ok {
		return nil, fmt.Errorf("data: unknown toy data set %q (want one of %v)", name, ToyNames())
	}
	if n < 0 {
		return nil, fmt.Errorf("data: n must be >= 0, got %d", n)
	}
	return f(n, NewRand(seed)), nil
}

// Ring radii and noise of Rings.
var (
	RingRadii = []float64{0.75, 1.5, 2.25, 3}
	RingNoise = 0.08
)

// Rings draws from four concentric rings: a ring chosen uniformly from radii 0.75, 1.5, 2.25
// and 3, an angle uniform on [0, 2π), plus isotropic Gaussian noise of sd 0.08. Density:
// p(x) = ¼ Σ_r ∫ N(x; r(cos t, sin t), 0.08²I) dt/2π.
func Rings(n int, rng *rand.Rand) []float64 {
	x := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		r := RingRadii[rng.IntN(len(RingRadii))]
		t := 2 * math.Pi * rng.Float64()
		x[2*i] = r*math.Cos(t) + RingNoise*rng.NormFloat64()
		x[2*i+1] = r*math.Sin(t) + RingNoise*rng.NormFloat64()
	}
	return x
}

// EightGaussians draws from an equal mixture of 8 isotropic Gaussians of sd 0.5/√2 centred
// at radius 4/√2 ≈ 2.83 at angles kπ/4.
func EightGaussians(n int, rng *rand.Rand) []float64 {
	x := make([]float64, 2*n)
	r, sd := 4/math.Sqrt2, 0.5/math.Sqrt2
	for i := 0; i < n; i++ {
		t := float64(rng.IntN(8)) * math.Pi / 4
		x[2*i] = r*math.Cos(t) + sd*rng.NormFloat64()
		x[2*i+1] = r*math.Sin(t) + sd*rng.NormFloat64()
	}
	return x
}

// TwentyFiveGaussians draws from an equal mixture of 25 isotropic Gaussians of sd 0.1 centred
// on the grid {−3, −1.5, 0, 1.5, 3}².
func TwentyFiveGaussians(n int, rng *rand.Rand) []float64 {
	x := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		x[2*i] = 1.5*float64(rng.IntN(5)-2) + 0.1*rng.NormFloat64()
		x[2*i+1] = 1.5*float64(rng.IntN(5)-2) + 0.1*rng.NormFloat64()
	}
	return x
}

// TwoSpirals draws from two interleaved spirals: t = 3π√u with u uniform on [0, 1), a point
// ±(−t cos t, t sin t)/3 with the sign chosen uniformly, plus Gaussian noise of sd 0.15.
// Density: ½ Σ_± ∫₀^{3π} (2t/(3π)²) N(x; ±c(t), 0.15²I) dt.
func TwoSpirals(n int, rng *rand.Rand) []float64 {
	x := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		t := 3 * math.Pi * math.Sqrt(rng.Float64())
		s := 1.0
		if rng.IntN(2) == 1 {
			s = -1
		}
		x[2*i] = s*(-t*math.Cos(t))/3 + 0.15*rng.NormFloat64()
		x[2*i+1] = s*(t*math.Sin(t))/3 + 0.15*rng.NormFloat64()
	}
	return x
}

// Checkerboard draws uniformly from the 8 dark squares of a 4×4 board of side-2 squares on
// [−4, 4]²: the squares whose column and row indices have an even sum. Density 1/32 there,
// 0 elsewhere.
func Checkerboard(n int, rng *rand.Rand) []float64 {
	x := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		col := rng.IntN(4)
		row := 2*rng.IntN(2) + col%2
		x[2*i] = -4 + 2*(float64(col)+rng.Float64())
		x[2*i+1] = -4 + 2*(float64(row)+rng.Float64())
	}
	return x
}

// Pinwheel draws from 5 curved arms: (a, b) ~ N((1, 0), diag(0.3², 0.1²)) rotated by the
// angle 2πk/5 + 0.25·exp(a) for an arm k chosen uniformly, then scaled by 2. The density
// follows by the change of variables (a, b) → x, whose Jacobian determinant is 4.
func Pinwheel(n int, rng *rand.Rand) []float64 {
	x := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		a := 1 + 0.3*rng.NormFloat64()
		b := 0.1 * rng.NormFloat64()
		t := 2*math.Pi*float64(rng.IntN(5))/5 + 0.25*math.Exp(a)
		c, s := math.Cos(t), math.Sin(t)
		x[2*i] = 2 * (c*a - s*b)
		x[2*i+1] = 2 * (s*a + c*b)
	}
	return x
}

// TwoMoons draws from two interleaved half circles: with t uniform on [0, π), the upper moon
// (cos t, sin t) or the lower moon (1 − cos t, ½ − sin t), chosen uniformly, shifted by
// (−½, −¼) and scaled by 2, plus Gaussian noise of sd 0.1. Density: ½ Σ_moon ∫ N(x; c(t),
// 0.1²I) dt/π.
func TwoMoons(n int, rng *rand.Rand) []float64 {
	x := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		t := math.Pi * rng.Float64()
		var a, b float64
		if rng.IntN(2) == 0 {
			a, b = math.Cos(t), math.Sin(t)
		} else {
			a, b = 1-math.Cos(t), 0.5-math.Sin(t)
		}
		x[2*i] = 2*(a-0.5) + 0.1*rng.NormFloat64()
		x[2*i+1] = 2*(b-0.25) + 0.1*rng.NormFloat64()
	}
	return x
}
