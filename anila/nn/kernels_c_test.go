//go:build cblas

package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// withGoKernels runs f with the native kernels switched off, so that the Go loops run.
func withGoKernels(f func()) {
	act, act64, patch := activationKernels32, activationKernels64, patchKernel
	activationKernels32, activationKernels64, patchKernel = nil, nil, nil
	defer func() { activationKernels32, activationKernels64, patchKernel = act, act64, patch }()
	f()
}

// allActivations lists every activation kind, for the kernel checks.
var allActivations = []ActivationKind{LeakyReLU, SiLU, Tanh, ELU, Softplus, GELU}

// TestNativeKernelsMatchGo checks the C activations, im2col and col2im, in every copy the
// processor can run (AVX-512, AVX2, baseline), against the Go loops: float32 activations to a
// few float32 ulps, float64 ones to 4e-13 relative (LeakyReLU exactly), im2col and col2im
// exactly; every copy gives the same bits. It logs the largest error of each activation in ulps of the Go result.
func TestNativeKernelsMatchGo(t *testing.T) {
	t.Logf("native kernels: %s", kernelISA())
	was := setKernelISA(2)
	defer setKernelISA(was)
	rng := rand.New(rand.NewPCG(3, 4))
	n := 4099
	x, dy := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 4)
		dy[i] = float32(rng.NormFloat64())
	}
	copy(x, []float32{0, 1e-7, -1e-7, -100, 100, 30, -30, 19.999, 20.001, 2.8284271, -2.8284271, 3.5355339, -3.5355339})
	x64, dy64 := make([]float64, n), make([]float64, n)
	for i := range x64 {
		x64[i], dy64[i] = float64(x[i])*1.3, float64(dy[i])
	}
	first := map[string][]float64{} // every copy's results, bit for bit those of the first
	same := func(key string, v []float64) {
		if ref, ok := first[key]; ok {
			for i := range v {
				if math.Float64bits(v[i]) != math.Float64bits(ref[i]) {
					t.Fatalf("%s (%s): [%d] = %v, another instruction set gave %v", key, kernelISA(), i, v[i], ref[i])
				}
			}
			return
		}
		first[key] = v
	}
	copy(x64, []float64{0, 1e-300, -1e-12, 1e-9, -800, 800, 40, -40, 19.999, 20.001, 2.8284271247461903, -2.8284271247461903, 6, -6, -37, 37})
	for level := 2; level >= 0; level-- {
		setKernelISA(level)
		if level > 0 && kernelISA() == "baseline" {
			continue // the processor lacks it
		}
		for _, kind := range allActivations {
			a := Activation[float32]{Kind: kind, Size: n, Slope: 0.05, Alpha: 0.7}
			y, dx := make([]float32, n), make([]float32, n)
			a.Forward(nil, x, y, 1)
			a.Backward(nil, x, y, dy, dx, nil, 1)
			wy, wdx := make([]float32, n), make([]float32, n)
			withGoKernels(func() {
				a.Forward(nil, x, wy, 1)
				a.Backward(nil, x, wy, dy, wdx, nil, 1)
			})
			var worst float64
			for i := range x {
				if !closeF32(y[i], wy[i], 0) || !closeF32(dx[i], wdx[i], dy[i]) {
					t.Fatalf("%s float32 (%s): x = %v: native (%v, %v), Go (%v, %v)", kind, kernelISA(), x[i], y[i], dx[i], wy[i], wdx[i])
				}
				worst = max(worst, ulps32(y[i], wy[i]), ulps32(dx[i], wdx[i]))
			}
			alias := append([]float32(nil), dy...)
			a.Backward(nil, x, y, alias, alias, nil, 1) // dx may be dy
			for i := range alias {
				if alias[i] != dx[i] {
					t.Fatalf("%s float32 (%s): backward in place differs at x = %v", kind, kernelISA(), x[i])
				}
			}

			a64 := Activation[float64]{Kind: kind, Size: n, Slope: 0.05, Alpha: 0.7}
			y64, dx64, wy64, wdx64 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			a64.Forward(nil, x64, y64, 1)
			a64.Backward(nil, x64, y64, dy64, dx64, nil, 1)
			withGoKernels(func() {
				a64.Forward(nil, x64, wy64, 1)
				a64.Backward(nil, x64, wy64, dy64, wdx64, nil, 1)
			})
			var worst64 float64
			for i := range x64 {
				tol := 4e-13
				if kind == LeakyReLU {
					tol = 0
				}
				if !close64(y64[i], wy64[i], 0, tol) || !close64(dx64[i], wdx64[i], dy64[i], tol) {
					t.Fatalf("%s float64 (%s): x = %v: native (%v, %v), Go (%v, %v)", kind, kernelISA(), x64[i], y64[i], dx64[i], wy64[i], wdx64[i])
				}
				worst64 = max(worst64, ulps64(y64[i], wy64[i]), ulps64(dx64[i], wdx64[i]))
			}
			alias64 := append([]float64(nil), dy64...)
			a64.Backward(nil, x64, y64, alias64, alias64, nil, 1)
			for i := range alias64 {
				if alias64[i] != dx64[i] {
					t.Fatalf("%s float64 (%s): backward in place differs at x = %v", kind, kernelISA(), x64[i])
				}
			}
			for _, r := range []struct {
				key string
				v   []float32
			}{{"forward32", y}, {"backward32", dx}} {
				w := make([]float64, n)
				for i, v := range r.v {
					w[i] = float64(v)
				}
				same(kind.String()+" "+r.key, w)
			}
			same(kind.String()+" forward64", y64)
			same(kind.String()+" backward64", dx64)
			t.Logf("%-9s %-8s largest error: float32 %.0f ulps, float64 %.0f ulps", kind, kernelISA(), worst, worst64)
		}
		for _, geo := range [][4]int{{3, 3, 1, 1}, {4, 3, 2, 1}, {5, 4, 3, 0}} { // K, ..., stride, pad
			c := Conv2d[float64]{InC: 2, OutC: 3, H: 9, W: 11, K: geo[0], Stride: geo[2], Pad: geo[3]}
			img := make([]float64, c.InSize())
			for i := range img {
				img[i] = rng.NormFloat64()
			}
			ld := c.OutH()*c.OutW() + 5
			rows := c.InC * c.K * c.K
			cols, want := make([]float64, rows*ld), make([]float64, rows*ld)
			c.im2col(img, cols, ld)
			withGoKernels(func() { c.im2col(img, want, ld) })
			for i := range cols {
				if cols[i] != want[i] {
					t.Fatalf("im2col %v (%s): [%d] = %v, Go %v", geo, kernelISA(), i, cols[i], want[i])
				}
			}
			g, wg := make([]float64, c.InSize()), make([]float64, c.InSize())
			c.col2im(cols, g, ld)
			withGoKernels(func() { c.col2im(cols, wg, ld) })
			for i := range g {
				if g[i] != wg[i] {
					t.Fatalf("col2im %v (%s): [%d] = %v, Go %v", geo, kernelISA(), i, g[i], wg[i])
				}
			}
		}
	}
}

// close64 reports whether a and b agree to rel of the larger of them and of scale.
func close64(a, b, scale, rel float64) bool {
	if a == b {
		return true
	}
	m := math.Max(math.Max(math.Abs(a), math.Abs(b)), math.Abs(scale))
	return math.Abs(a-b) <= rel*m+1e-300
}

// ulps32 and ulps64 are |a − b| in float32 or float64 ulps of max(|b|, 1): the error of a
// result relative to its size, or to 1 for results smaller than 1 (near zero, where the
// kernels clamp far inputs, relative errors of tiny results mean nothing).
func ulps32(a, b float32) float64 {
	return math.Abs(float64(a)-float64(b)) / (math.Max(math.Abs(float64(b)), 1) * 0x1p-23)
}

func ulps64(a, b float64) float64 {
	return math.Abs(a-b) / (math.Max(math.Abs(b), 1) * 0x1p-52)
}

// closeF32 reports whether a and b agree to about 8 float32 ulps of the larger of them and
// of scale (the size of the terms that a sum of cancelling terms started from).
func closeF32(a, b, scale float32) bool {
	m := math.Max(math.Max(math.Abs(float64(a)), math.Abs(float64(b))), math.Abs(float64(scale)))
	return math.Abs(float64(a-b)) <= 1e-6*m+1e-37
}
