package metric

import (
	"math/rand/v2"
	"testing"
)

func gauss(rng *rand.Rand, n int, shift float64) []float64 {
	x := make([]float64, 2*n)
	for i := range x {
		x[i] = rng.NormFloat64() + shift
	}
	return x
}

func TestMMD(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	a, b, c := gauss(rng, 800, 0), gauss(rng, 800, 0), gauss(rng, 800, 0.5)
	same, _ := MMD2(a, 800, b, 800, 2, 0.5)
	diff, _ := MMD2(a, 800, c, 800, 2, 0.5)
	if diff < 10*abs(same) || diff <= 0 {
		t.Fatalf("MMD² same %g, shifted %g: shifted should dominate", same, diff)
	}
	med, _ := MMD2(a, 800, c, 800, 2, 0)
	if med <= 0 {
		t.Fatalf("median-heuristic MMD² of shifted samples %g <= 0", med)
	}
	if _, err := MMD2(a, 1, b, 800, 2, 1); err == nil {
		t.Fatal("n = 1 accepted")
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
