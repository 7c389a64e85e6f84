package train

import (
	"math"
	"testing"

	"github.com/anila-ebm/anila/anila/nn"
)

// TestJumpLeavesTheModelInvariant runs the data-driven jump alone, many times, on 2,000
// chains that all start at one point, for a fixed random 1-D net f, and checks that the
// chains end up distributed as exp(f) (its mean, sd and the mass left of 0.75, computed by
// quadrature), which an independence
// Metropolis–Hastings move must do; with the acceptance ratio's q(z)/q(z') left out (a
// proposal that just copies data) the test fails.
func TestJumpLeavesTheModelInvariant(t *testing.T) {
	n := 600
	data := make([]float64, n)
	for i := range data {
		c := 0.4
		if i%3 == 0 {
			c = 1.4
		}
		data[i] = c + 0.3*math.Sin(float64(7*i)) // deterministic spread around two centres
	}
	c := referenceConfig()
	c.BatchSize, c.BufferSize, c.Jump, c.JumpWidth, c.Seed = 2000, 2000, 1, []float64{0.4}, 3
	c.DataInit = false
	arch := nn.Arch{Kind: "mlp", In: 1, Hidden: []int{16}, Activation: "softplus"}
	tr, err := New[float64](c, arch, data, n)
	if err != nil {
		t.Fatal(err)
	}
	// f = b − Σ_j 6|v_j| softplus(3(w_j x + c_j)): concave and falling linearly on both
	// sides (units face both ways), so exp(f) is a proper density that q covers
	for i := range tr.Params[:32] {
		tr.Params[i] *= 3
	}
	for i := 32; i < 48; i++ {
		tr.Params[i] = -6 * math.Abs(tr.Params[i])
	}
	m := c.BatchSize
	for k := 0; k < m; k++ {
		tr.state.X[k] = 0
	}
	for rep := 0; rep < 60; rep++ {
		tr.energy.Forward(tr.state.X, m, tr.state.F)
		tr.jumpMove()
	}
	// exp(f) by quadrature on [-4, 4] (q puts no mass beyond)
	const g = 8001
	xs, fs := make([]float64, g), make([]float64, g)
	for i := range xs {
		xs[i] = -4 + 8*float64(i)/(g-1)
	}
	tr.energy.Forward(xs, g, fs)
	top := math.Inf(-1)
	for _, v := range fs {
		top = math.Max(top, v)
	}
	var z, m1, m2, left float64
	for i, v := range fs {
		w := math.Exp(v - top)
		z += w
		m1 += w * xs[i]
		m2 += w * xs[i] * xs[i]
		if xs[i] < 0.75 {
			left += w
		}
	}
	mean, sd, pl := m1/z, math.Sqrt(m2/z-(m1/z)*(m1/z)), left/z
	var s1, s2, sl float64
	for _, v := range tr.state.X[:m] {
		s1 += v
		s2 += v * v
		if v < 0.75 {
			sl++
		}
	}
	gm, gsd, gl := s1/float64(m), math.Sqrt(s2/float64(m)-(s1/float64(m))*(s1/float64(m))), sl/float64(m)
	t.Logf("exp(f): mean %.3f sd %.3f mass left of 0.75 %.3f; chains: %.3f %.3f %.3f; last acceptance %.2f",
		mean, sd, pl, gm, gsd, gl, tr.jump.accept)
	se := sd / math.Sqrt(float64(m))
	if math.Abs(gm-mean) > 4*se || math.Abs(gsd-sd) > 0.03*sd || math.Abs(gl-pl) > 4*math.Sqrt(pl*(1-pl)/float64(m)) {
		t.Fatalf("chains are not distributed as exp(f)")
	}
	if math.Abs(mean) < 0.3 || pl > 0.95 || pl < 0.05 {
		t.Fatalf("the test's f (mean %.2f, mass left %.2f) is too close to the chains' start: the check would be weak", mean, pl)
	}
}
