package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAvgPool2d checks pooling against a direct average on a small map (with padding and a
// stride other than the kernel) and its input gradient, inside a net, by finite differences.
func TestAvgPool2d(t *testing.T) {
	a := AvgPool2d[float64]{C: 2, H: 5, W: 4, K: 3, Stride: 2, Pad: 1}
	rng := rand.New(rand.NewPCG(3, 3))
	x := randSlice(rng, a.InSize(), 1)
	y := make([]float64, a.OutSize())
	a.Forward(nil, x, y, 1)
	oh, ow := a.OutH(), a.OutW()
	if oh != 3 || ow != 2 {
		t.Fatalf("output %dx%d, want 3x2 (as torch.nn.AvgPool2d(3, 2, 1) gives)", oh, ow)
	}
	for c := 0; c < 2; c++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				s := 0.0
				for ky := 0; ky < 3; ky++ {
					for kx := 0; kx < 3; kx++ {
						iy, ix := 2*oy-1+ky, 2*ox-1+kx
						if iy >= 0 && iy < 5 && ix >= 0 && ix < 4 {
							s += x[(c*5+iy)*4+ix]
						}
					}
				}
				if got := y[(c*oh+oy)*ow+ox]; math.Abs(got-s/9) > 1e-15 {
					t.Fatalf("y[%d,%d,%d] = %v, want %v", c, oy, ox, got, s/9)
				}
			}
		}
	}
	net, err := BuildLayers[float64](Shape{2, 6, 5}, []LayerSpec{{Type: "conv2d", Out: 3, Kernel: 2},
		{Type: "silu"}, {Type: "avgpool2d", Kernel: 2}, {Type: "flatten"}, {Type: "linear", Out: 1}}, false)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float64, net.NumParams())
	net.Init(p, rng)
	if w := fdWorst(net, p, randSlice(rng, 3*60, 1), 3); w > 1e-6 {
		t.Fatalf("worst relative gradient error %g", w)
	}
	if _, err := BuildLayers[float64](Shape{1, 2, 2}, []LayerSpec{{Type: "avgpool2d", Kernel: 3}}, true); err == nil {
		t.Fatal("a 3x3 window on a 2x2 map accepted")
	}
}
