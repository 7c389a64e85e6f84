package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestStandardizedNet checks that a net standardising its inputs computes f((x − shift)/s)
// of the plain net with the same parameters, that its ∇x is the plain one divided by s (and
// matches central differences), and that CenterFirstLayer puts hyperplanes through the
// standardised data points.
func TestStandardizedNet(t *testing.T) {
	a := Arch{Kind: "mlp", In: 3, Hidden: []int{8, 5}, Activation: "silu"}
	plain, err := Build[float64](a)
	if err != nil {
		t.Fatal(err)
	}
	shift, s := []float64{1.5, -20, 0.25}, 37.0
	a.InShift, a.InScale = shift, s
	std, err := Build[float64](a)
	if err != nil {
		t.Fatal(err)
	}
	if !std.Standardized() || plain.Standardized() {
		t.Fatal("Standardized() is wrong")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	p := make([]float64, plain.NumParams())
	plain.Init(p, rng)
	n := 4
	x := randSlice(rng, n*3, 40)
	xs := make([]float64, len(x))
	for i := range x {
		xs[i] = (x[i] - shift[i%3]) / s
	}
	ones := []float64{1, 1, 1, 1}
	f1, f2 := make([]float64, n), make([]float64, n)
	g1, g2 := make([]float64, n*3), make([]float64, n*3)
	ws1, ws2 := plain.NewWorkspace(n), std.NewWorkspace(n)
	plain.Forward(p, ws1, xs, n, f1)
	plain.Backward(p, ws1, ones, g1, nil)
	std.Forward(p, ws2, x, n, f2)
	std.Backward(p, ws2, ones, g2, nil)
	for i := range f1 {
		if math.Abs(f1[i]-f2[i]) > 1e-12 {
			t.Fatalf("f[%d] = %g standardised, %g on standardised inputs", i, f2[i], f1[i])
		}
	}
	for i := range g1 {
		if math.Abs(g1[i]/s-g2[i]) > 1e-12 {
			t.Fatalf("∇x[%d] = %g, want %g", i, g2[i], g1[i]/s)
		}
	}
	if w := fdWorst(std, p, x, n); w > 1e-5 {
		t.Fatalf("finite differences: max relative error %g", w)
	}
	std.CenterFirstLayer(p, x, n, rng)
	lp := std.LayerParams(p, 0)
	for j := 0; j < 8; j++ {
		hit := false
		for r := 0; r < n; r++ {
			v := lp[8*3+j]
			for i := 0; i < 3; i++ {
				v += lp[j*3+i] * xs[r*3+i]
			}
			hit = hit || math.Abs(v) < 1e-12
		}
		if !hit {
			t.Fatalf("unit %d's hyperplane passes through no standardised data point", j)
		}
	}
	for _, bad := range []struct {
		shift []float64
		scale float64
	}{{[]float64{0, 0}, 1}, {shift, 0}, {shift, math.Inf(1)}, {[]float64{0, math.NaN(), 0}, 1}} {
		if err := plain.SetInputStandardization(bad.shift, bad.scale); err == nil {
			t.Errorf("shift %v, scale %v: no error", bad.shift, bad.scale)
		}
	}
}
