package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// winogradCases are stride-1 3×3 layers that take the Winograd path: odd and even sizes
// (partial tiles), paddings 0-2, more examples than one group of GEMMs holds.
var winogradCases = []Conv2d[float64]{
	{InC: 16, OutC: 16, H: 8, W: 8, K: 3, Stride: 1, Pad: 1},
	{InC: 16, OutC: 24, H: 7, W: 9, K: 3, Stride: 1, Pad: 1},
	{InC: 17, OutC: 16, H: 6, W: 5, K: 3, Stride: 1, Pad: 0},
	{InC: 16, OutC: 20, H: 5, W: 6, K: 3, Stride: 1, Pad: 2},
	{InC: 16, OutC: 16, H: 33, W: 35, K: 3, Stride: 1, Pad: 1, NoBias: true},
}

// withWinograd runs f with Winograd on (on is true) or off.
func withWinograd(on bool, f func()) {
	old := winogradOn
	winogradOn = on
	defer func() { winogradOn = old }()
	f()
}

// convPasses runs a layer's forward pass, then its backward pass with output gradient dy.
func convPasses[T Float](c Conv2d[T], p, x, dy []T, n int) (y, dx, dp []T) {
	y, dx, dp = make([]T, n*c.OutSize()), make([]T, len(x)), make([]T, len(p))
	scratch := make([]T, c.ScratchSize())
	c.ForwardScratch(p, x, y, n, scratch)
	c.BackwardScratch(p, x, y, dy, dx, dp, n, scratch)
	return y, dx, dp
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// maxRelErr is max |a − b| over max |b|.
func maxRelErr[T Float](a []T, b []float64) float64 {
	var d, m float64
	for i := range b {
		d = math.Max(d, math.Abs(float64(a[i])-b[i]))
		m = math.Max(m, math.Abs(b[i]))
	}
	return d / m
}

// TestWinogradMatchesIm2col compares the Winograd forward pass and input gradient with
// im2col + GEMM: to 1e-12 of the largest value at float64 and 1e-5 at float32 (against the
// float64 im2col result, so that the float32 figure is Winograd's own error; logged). The
// weight gradient, by im2col in both, must not change.
func TestWinogradMatchesIm2col(t *testing.T) {
	for _, c := range winogradCases {
		withWinograd(true, func() {
			if !c.winograd() {
				t.Fatalf("%s does not take the Winograd path", c.Spec())
			}
		})
		rng := rand.New(rand.NewPCG(5, 6))
		p := make([]float64, c.NumParams())
		c.Init(p, rng)
		n := winoGroup(c.fwdGeom().tiles()) + 2
		x := randSlice(rng, n*c.InSize(), 1)
		dy := randSlice(rng, n*c.OutSize(), 1)
		var ry, rdx, rdp []float64
		withWinograd(false, func() { ry, rdx, rdp = convPasses(c, p, x, dy, n) })
		var y, dx, dp []float64
		withWinograd(true, func() { y, dx, dp = convPasses(c, p, x, dy, n) })
		if e := math.Max(maxRelErr(y, ry), maxRelErr(dx, rdx)); e > 1e-12 {
			t.Fatalf("%s float64: Winograd differs from im2col by %.3g of the largest value", c.Spec(), e)
		}
		if e := maxRelErr(dp, rdp); e != 0 {
			t.Fatalf("%s: the weight gradient changed by %.3g", c.Spec(), e)
		}
		c32 := Conv2d[float32]{InC: c.InC, OutC: c.OutC, H: c.H, W: c.W, K: 3, Stride: 1, Pad: c.Pad, NoBias: c.NoBias}
		var y32, dx32, i2y, i2dx []float32
		withWinograd(true, func() { y32, dx32, _ = convPasses(c32, toF32(p), toF32(x), toF32(dy), n) })
		withWinograd(false, func() { i2y, i2dx, _ = convPasses(c32, toF32(p), toF32(x), toF32(dy), n) })
		ew, ei := math.Max(maxRelErr(y32, ry), maxRelErr(dx32, rdx)), math.Max(maxRelErr(i2y, ry), maxRelErr(i2dx, rdx))
		if ew > 1e-5 {
			t.Fatalf("%s float32: Winograd is %.3g of the largest value from the float64 result", c.Spec(), ew)
		}
		t.Logf("%s: float32 error (of the largest value) Winograd %.2g, im2col %.2g", c.Spec(), ew, ei)
	}
}

// TestWinogradGradientsFiniteDifferences checks a net of two Winograd layers by central
// differences, ∇x (Winograd) and ∇θ (im2col).
func TestWinogradGradientsFiniteDifferences(t *testing.T) {
	c1 := Conv2d[float64]{InC: 16, OutC: 16, H: 5, W: 6, K: 3, Stride: 1, Pad: 1}
	c2 := Conv2d[float64]{InC: 16, OutC: 16, H: 5, W: 6, K: 3, Stride: 1, Pad: 0}
	net, err := NewNet[float64](c1, Activation[float64]{Kind: SiLU, Size: c1.OutSize()},
		c2, Activation[float64]{Kind: Tanh, Size: c2.OutSize()}, Linear[float64]{In: c2.OutSize(), Out: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	p := make([]float64, net.NumParams())
	net.Init(p, rng)
	x := randSlice(rng, 2*c1.InSize(), 1)
	old := winogradOn
	winogradOn = true
	defer func() { winogradOn = old }()
	if worst := fdWorst(net, p, x, 2); worst > 1e-6 {
		t.Fatalf("max relative error %g > 1e-6", worst)
	}
}
