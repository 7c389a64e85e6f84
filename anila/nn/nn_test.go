package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(rng *rand.Rand, n int, scale float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = scale * rng.NormFloat64()
	}
	return s
}

// sumF is Σ_i f(x_i) for the batch.
func sumF(net *Net[float64], p, x []float64, n int) float64 {
	ws := net.NewWorkspace(n)
	out := make([]float64, n)
	net.Forward(p, ws, x, n, out)
	s := 0.0
	for _, v := range out {
		s += v
	}
	return s
}

// fdWorst compares ∇x and ∇θ of Σ f(x_i) from Backward with central differences and
// returns the largest relative error.
func fdWorst(net *Net[float64], p, x []float64, n int) float64 {
	ws := net.NewWorkspace(n)
	out := make([]float64, n)
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	dx := make([]float64, len(x))
	dp := make([]float64, len(p))
	net.Forward(p, ws, x, n, out)
	net.Backward(p, ws, ones, dx, dp)
	h, worst := 1e-6, 0.0
	check := func(v []float64, i int, analytic float64) {
		old := v[i]
		v[i] = old + h
		fp := sumF(net, p, x, n)
		v[i] = old - h
		fm := sumF(net, p, x, n)
		v[i] = old
		worst = math.Max(worst, relErr((fp-fm)/(2*h), analytic))
	}
	for i := range x {
		check(x, i, dx[i])
	}
	for i := range p {
		check(p, i, dp[i])
	}
	return worst
}

func relErr(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(1e-3, math.Max(math.Abs(a), math.Abs(b)))
}

// TestGradientsFiniteDifferences checks ∇x and ∇θ of Σ f(x_i) against central differences.
func TestGradientsFiniteDifferences(t *testing.T) {
	for _, act := range []ActivationKind{LeakyReLU, SiLU, Tanh, ELU, Softplus, GELU} {
		t.Run(act.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			net, err := NewMLP[float64](MLPConfig{In: 3, Hidden: []int{9, 6}, Activation: act, Slope: 0.05})
			if err != nil {
				t.Fatal(err)
			}
			n := 5
			p := make([]float64, net.NumParams())
			net.Init(p, rng)
			x := randSlice(rng, n*3, 1)
			worst := fdWorst(net, p, x, n)
			// LeakyReLU's kink makes central differences slightly less exact near 0.
			if worst > 1e-6 {
				t.Fatalf("max relative error %g > 1e-6", worst)
			}
			t.Logf("max relative error %.2g", worst)
		})
	}
}

// TestBackwardAccumulates checks that parameter gradients add up over calls.
func TestBackwardAccumulates(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	net, _ := NewMLP[float64](MLPConfig{In: 2, Hidden: []int{4}, Activation: SiLU})
	p := make([]float64, net.NumParams())
	net.Init(p, rng)
	x := randSlice(rng, 6, 1)
	ws := net.NewWorkspace(3)
	out := make([]float64, 3)
	d1 := make([]float64, len(p))
	net.Forward(p, ws, x, 3, out)
	net.Backward(p, ws, []float64{1, 1, 1}, nil, d1)
	d2 := append([]float64(nil), d1...)
	net.Backward(p, ws, []float64{1, 1, 1}, nil, d2)
	for i := range d1 {
		if math.Abs(d2[i]-2*d1[i]) > 1e-12 {
			t.Fatalf("param %d: second backward gave %g, want %g", i, d2[i], 2*d1[i])
		}
	}
}

// TestFloat32MatchesFloat64 runs the same net in both precisions.
func TestFloat32MatchesFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cfg := MLPConfig{In: 2, Hidden: []int{16, 16}, Activation: SiLU}
	n64, _ := NewMLP[float64](cfg)
	n32, _ := NewMLP[float32](cfg)
	p64 := make([]float64, n64.NumParams())
	n64.Init(p64, rng)
	p32 := make([]float32, len(p64))
	for i, v := range p64 {
		p32[i] = float32(v)
	}
	x64 := randSlice(rng, 20, 1)
	x32 := make([]float32, 20)
	for i, v := range x64 {
		x32[i] = float32(v)
	}
	e64, e32 := NewNetEnergy(n64, p64), NewNetEnergy(n32, p32)
	f64, g64 := make([]float64, 10), make([]float64, 20)
	f32, g32 := make([]float32, 10), make([]float32, 20)
	e64.EnergyGrad(x64, 10, f64, g64)
	e32.EnergyGrad(x32, 10, f32, g32)
	for i := range f64 {
		if relErr(float64(f32[i]), f64[i]) > 1e-5 {
			t.Fatalf("f[%d]: float32 %g vs float64 %g", i, f32[i], f64[i])
		}
	}
	for i := range g64 {
		if relErr(float64(g32[i]), g64[i]) > 1e-4 {
			t.Fatalf("g[%d]: float32 %g vs float64 %g", i, g32[i], g64[i])
		}
	}
}

// TestNetEnergyChunksMatchWholeBatch checks that chunked parallel evaluation equals one
// Forward/Backward over the whole batch, and that parameter gradients do not depend on
// the thread count.
func TestNetEnergyChunksMatchWholeBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	net, _ := NewMLP[float64](MLPConfig{In: 2, Hidden: []int{32, 32}, Activation: Tanh})
	p := make([]float64, net.NumParams())
	net.Init(p, rng)
	n := 300
	x := randSlice(rng, 2*n, 1)
	ws := net.NewWorkspace(n)
	want := make([]float64, n)
	wantG := make([]float64, 2*n)
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	net.Forward(p, ws, x, n, want)
	net.Backward(p, ws, ones, wantG, nil)
	var dps [][]float64
	for _, threads := range []int{1, 2, 3} {
		SetThreads(threads)
		e := NewNetEnergy(net, p)
		f, g := make([]float64, n), make([]float64, 2*n)
		e.EnergyGrad(x, n, f, g)
		for i := range f {
			if f[i] != want[i] {
				t.Fatalf("threads=%d: f[%d] = %g, want %g", threads, i, f[i], want[i])
			}
		}
		for i := range g {
			if g[i] != wantG[i] {
				t.Fatalf("threads=%d: g[%d] = %g, want %g", threads, i, g[i], wantG[i])
			}
		}
		dp := make([]float64, len(p))
		e.Forward(x, n, f)
		e.BackwardParams(ones, dp)
		dps = append(dps, dp)
	}
	SetThreads(0)
	for k := 1; k < len(dps); k++ {
		for i := range dps[0] {
			if dps[k][i] != dps[0][i] {
				t.Fatalf("parameter gradient %d differs between thread counts: %g vs %g", i, dps[k][i], dps[0][i])
			}
		}
	}
}

// TestNoAllocations checks that forward and backward allocate nothing once buffers exist.
func TestNoAllocations(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	net, _ := NewMLP[float32](MLPConfig{In: 2, Hidden: []int{128, 128}, Activation: SiLU})
	p := make([]float32, net.NumParams())
	net.Init(p, rng)
	n := 256
	x := make([]float32, 2*n)
	f, g := make([]float32, n), make([]float32, 2*n)
	dp := make([]float32, len(p))
	e := NewNetEnergy(net, p)
	e.EnergyGrad(x, n, f, g)
	e.Forward(x, n, f)
	e.BackwardParams(f, dp)
	if a := testing.AllocsPerRun(20, func() { e.EnergyGrad(x, n, f, g) }); a != 0 {
		t.Fatalf("EnergyGrad allocates %v times per call", a)
	}
	a := testing.AllocsPerRun(20, func() { e.Forward(x, n, f); e.BackwardParams(f, dp) })
	switch {
	case a != 0 && BLASName != pureGoBLAS:
		t.Fatalf("Forward+BackwardParams allocates %v times per call", a)
	case a != 0:
		// gonum's pure Go Sgemm spawns goroutines for the weight gradient's large products.
		t.Logf("Forward+BackwardParams: %v allocations per call from gonum's parallel Gemm", a)
	}
}

func TestBadArchitectures(t *testing.T) {
	if _, err := NewMLP[float64](MLPConfig{In: 0}); err == nil {
		t.Fatal("In = 0 accepted")
	}
	if _, err := NewMLP[float64](MLPConfig{In: 2, Hidden: []int{-1}}); err == nil {
		t.Fatal("negative width accepted")
	}
	if _, err := NewNet[float64](Linear[float64]{In: 2, Out: 3}, Linear[float64]{In: 4, Out: 1}); err == nil {
		t.Fatal("mismatched sizes accepted")
	}
	if _, err := Build[float64](Arch{Kind: "resnet", In: 2}); err == nil {
		t.Fatal("unknown kind accepted")
	}
	if _, err := ParseActivation("relu6"); err == nil {
		t.Fatal("unknown activation accepted")
	}
}

// TestCenterFirstLayer checks that each first-layer hyperplane passes through a data row.
func TestCenterFirstLayer(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	net, _ := NewMLP[float64](MLPConfig{In: 2, Hidden: []int{16}, Activation: SiLU})
	p := make([]float64, net.NumParams())
	net.Init(p, rng)
	x := []float64{3, 4, -2, 5, 0.5, -3}
	net.CenterFirstLayer(p, x, 3, rng)
	lp := net.LayerParams(p, 0)
	for j := 0; j < 16; j++ {
		w, b := lp[2*j:2*j+2], lp[32+j]
		hit := false
		for r := 0; r < 3; r++ {
			if math.Abs(w[0]*x[2*r]+w[1]*x[2*r+1]+b) < 1e-12 {
				hit = true
			}
		}
		if !hit {
			t.Fatalf("unit %d's hyperplane passes through no data point", j)
		}
	}
}
