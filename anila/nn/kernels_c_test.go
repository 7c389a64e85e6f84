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

// TestNativeKernelsMatchGo checks the C activations, im2col and col2im, in both the AVX2 and
// the baseline copy, against the Go loops: activations to a few float32 ulps, im2col and
// col2im exactly.
func TestNativeKernelsMatchGo(t *testing.T) {
	t.Logf("native kernels: %s", kernelISA())
	was := setKernelISA(true)
	defer setKernelISA(was)
	rng := rand.New(rand.NewPCG(3, 4))
	n := 1037
	x, dy := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 6)
		dy[i] = float32(rng.NormFloat64())
	}
	x[0], x[1], x[2] = 0, 1e-7, -100
	for _, isa := range []bool{true, false} {
		setKernelISA(isa)
		for _, kind := range []ActivationKind{LeakyReLU, SiLU, Tanh} {
			a := Activation[float32]{Kind: kind, Size: n, Slope: 0.05}
			y, dx := make([]float32, n), make([]float32, n)
			a.Forward(nil, x, y, 1)
			a.Backward(nil, x, y, dy, dx, nil, 1)
			wy, wdx := make([]float32, n), make([]float32, n)
			withGoKernels(func() {
				a.Forward(nil, x, wy, 1)
				a.Backward(nil, x, wy, dy, wdx, nil, 1)
			})
			for i := range x {
				if !closeF32(y[i], wy[i], 0) || !closeF32(dx[i], wdx[i], dy[i]) {
					t.Fatalf("%s (%s): x = %v: native (%v, %v), Go (%v, %v)", kind, kernelISA(), x[i], y[i], dx[i], wy[i], wdx[i])
				}
			}
		}
		// float64 LeakyReLU: exactly the Go loop's bits
		x64, dy64 := make([]float64, n), make([]float64, n)
		for i := range x64 {
			x64[i], dy64[i] = float64(x[i])*1.3, float64(dy[i])
		}
		a64 := Activation[float64]{Kind: LeakyReLU, Size: n, Slope: 0.05}
		y64, dx64, wy64, wdx64 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		a64.Forward(nil, x64, y64, 1)
		a64.Backward(nil, x64, y64, dy64, dx64, nil, 1)
		withGoKernels(func() {
			a64.Forward(nil, x64, wy64, 1)
			a64.Backward(nil, x64, wy64, dy64, wdx64, nil, 1)
		})
		for i := range x64 {
			if y64[i] != wy64[i] || dx64[i] != wdx64[i] {
				t.Fatalf("leakyrelu float64 (%s): x = %v: native (%v, %v), Go (%v, %v)", kernelISA(), x64[i], y64[i], dx64[i], wy64[i], wdx64[i])
			}
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

// closeF32 reports whether a and b agree to about 8 float32 ulps of the larger of them and
// of scale (the size of the terms that a sum of cancelling terms started from).
func closeF32(a, b, scale float32) bool {
	m := math.Max(math.Max(math.Abs(float64(a)), math.Abs(float64(b))), math.Abs(float64(scale)))
	return math.Abs(float64(a-b)) <= 1e-6*m+1e-37
}
