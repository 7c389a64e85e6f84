package metric

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// SlicedWasserstein is the sliced 2-Wasserstein distance between the n×d sample x and the
// m×d sample y: the root mean, over proj random directions on the unit sphere (drawn from
// seed), of the squared 1-D Wasserstein-2 distance between the projected samples, computed
// exactly from their empirical quantile functions.
func SlicedWasserstein(x []float64, n int, y []float64, m int, d, proj int, seed uint64) (float64, error) {
	if n < 1 || m < 1 || d < 1 {
		return 0, fmt.Errorf("metric: sliced Wasserstein needs non-empty samples, got n=%d, m=%d, d=%d", n, m, d)
	}
	if len(x) < n*d || len(y) < m*d {
		return 0, fmt.Errorf("metric: sample buffers shorter than n×d")
	}
	if proj < 1 {
		return 0, fmt.Errorf("metric: proj must be >= 1, got %d", proj)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5a17ced))
	dir := make([]float64, d)
	px, py := make([]float64, n), make([]float64, m)
	total := 0.0
	for p := 0; p < proj; p++ {
		norm := 0.0
		for i := range dir {
			dir[i] = rng.NormFloat64()
			norm += dir[i] * dir[i]
		}
		norm = math.Sqrt(norm)
		for i := range dir {
			dir[i] /= norm
		}
		project(x, n, dir, px)
		project(y, m, dir, py)
		total += wasserstein2Sorted(px, py)
	}
	return math.Sqrt(total / float64(proj)), nil
}

func project(x []float64, n int, dir, out []float64) {
	d := len(dir)
	for k := 0; k < n; k++ {
		s := 0.0
		for i, v := range x[k*d : (k+1)*d] {
			s += v * dir[i]
		}
		out[k] = s
	}
	sort.Float64s(out)
}

// wasserstein2Sorted is ∫₀¹ (F⁻¹(t) − G⁻¹(t))² dt for the empirical distributions of the
// sorted samples a and b: both quantile functions are steps, so the integral is a sum over
// the merged breakpoints k/len(a) and l/len(b).
func wasserstein2Sorted(a, b []float64) float64 {
	n, m := len(a), len(b)
	i, j := 0, 0
	t, s := 0.0, 0.0
	for i < n && j < m {
		next := math.Min(float64(i+1)/float64(n), float64(j+1)/float64(m))
		diff := a[i] - b[j]
		s += (next - t) * diff * diff
		t = next
		if float64(i+1)/float64(n) <= next {
			i++
		}
		if float64(j+1)/float64(m) <= next {
			j++
		}
	}
	return s
}
