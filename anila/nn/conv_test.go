package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvGradientsFiniteDifferences checks ∇x and ∇θ of Σ f(x_i) for small conv nets.
func TestConvGradientsFiniteDifferences(t *testing.T) {
	for _, c := range []Conv2d[float64]{
		{InC: 2, OutC: 3, H: 5, W: 6, K: 3, Stride: 1, Pad: 1},
		{InC: 2, OutC: 3, H: 5, W: 6, K: 3, Stride: 2, Pad: 1},
		{InC: 1, OutC: 2, H: 6, W: 6, K: 4, Stride: 2, Pad: 0},
	} {
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		c2 := Conv2d[float64]{InC: c.OutC, OutC: 2, H: c.OutH(), W: c.OutW(), K: 2, Stride: 1, Pad: 0}
		net, err := NewNet[float64](c, Activation[float64]{Kind: SiLU, Size: c.OutSize()},
			c2, Activation[float64]{Kind: Tanh, Size: c2.OutSize()}, Linear[float64]{In: c2.OutSize(), Out: 1})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(21, 22))
		n := 3
		p := make([]float64, net.NumParams())
		net.Init(p, rng)
		x := randSlice(rng, n*c.InSize(), 1)
		worst := fdWorst(net, p, x, n)
		if worst > 1e-6 {
			t.Fatalf("%s: max relative error %g > 1e-6", c.Spec(), worst)
		}
		t.Logf("%s: max relative error %.2g", c.Spec(), worst)
	}
}

// directConv is conv(x) + b of one image by the definition.
func directConv(c Conv2d[float64], p, x []float64) []float64 {
	oh, ow := c.OutH(), c.OutW()
	y := make([]float64, c.OutSize())
	for o := 0; o < c.OutC; o++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				s := p[c.OutC*c.InC*c.K*c.K+o]
				for ci := 0; ci < c.InC; ci++ {
					for ky := 0; ky < c.K; ky++ {
						for kx := 0; kx < c.K; kx++ {
							iy, ix := oy*c.Stride-c.Pad+ky, ox*c.Stride-c.Pad+kx
							if iy < 0 || iy >= c.H || ix < 0 || ix >= c.W {
								continue
							}
							s += p[((o*c.InC+ci)*c.K+ky)*c.K+kx] * x[(ci*c.H+iy)*c.W+ix]
						}
					}
				}
				y[(o*oh+oy)*ow+ox] = s
			}
		}
	}
	return y
}

// TestConvMatchesDirect compares the batched im2col convolution with a direct loop over
// geometries that hit every edge case of the patch copies (strides 1-3, paddings 0-2), on
// more examples than one GEMM group holds, and checks the backward pass by the adjoint
// identity Σ⟨y−b, dy⟩ = ⟨x, dx⟩ = ⟨W, dW⟩ and the bias gradient by Σ dy.
func TestConvMatchesDirect(t *testing.T) {
	for _, c := range []Conv2d[float64]{
		{InC: 2, OutC: 3, H: 7, W: 5, K: 3, Stride: 2, Pad: 1},
		{InC: 2, OutC: 3, H: 6, W: 6, K: 3, Stride: 1, Pad: 1},
		{InC: 1, OutC: 2, H: 8, W: 9, K: 4, Stride: 2, Pad: 1},
		{InC: 3, OutC: 2, H: 7, W: 8, K: 2, Stride: 3, Pad: 2},
		{InC: 1, OutC: 4, H: 6, W: 5, K: 5, Stride: 1, Pad: 0},
		{InC: 2, OutC: 2, H: 40, W: 36, K: 3, Stride: 1, Pad: 1}, // a group of one example
	} {
		rng := rand.New(rand.NewPCG(1, 2))
		p := make([]float64, c.NumParams())
		c.Init(p, rng)
		n := c.group() + 3
		x := randSlice(rng, n*c.InSize(), 1)
		y := make([]float64, n*c.OutSize())
		c.Forward(p, x, y, n)
		for e := 0; e < n; e++ {
			want := directConv(c, p, x[e*c.InSize():(e+1)*c.InSize()])
			for i, w := range want {
				if got := y[e*c.OutSize()+i]; math.Abs(got-w) > 1e-12 {
					t.Fatalf("%s example %d out[%d] = %g, direct %g", c.Spec(), e, i, got, w)
				}
			}
		}
		dy := randSlice(rng, len(y), 1)
		dx := make([]float64, len(x))
		dp := make([]float64, len(p))
		c.Backward(p, x, y, dy, dx, dp, n)
		nw := c.OutC * c.InC * c.K * c.K
		var yy, xx, ww float64
		db := make([]float64, c.OutC)
		for e := 0; e < n; e++ {
			for o := 0; o < c.OutC; o++ {
				for j := 0; j < c.OutH()*c.OutW(); j++ {
					i := e*c.OutSize() + o*c.OutH()*c.OutW() + j
					yy += (y[i] - p[nw+o]) * dy[i]
					db[o] += dy[i]
				}
			}
		}
		for i := range x {
			xx += x[i] * dx[i]
		}
		for i := 0; i < nw; i++ {
			ww += p[i] * dp[i]
		}
		if math.Abs(xx-yy) > 1e-9*math.Abs(yy)+1e-9 || math.Abs(ww-yy) > 1e-9*math.Abs(yy)+1e-9 {
			t.Fatalf("%s: <y-b,dy> = %g, <x,dx> = %g, <W,dW> = %g", c.Spec(), yy, xx, ww)
		}
		for o := range db {
			if math.Abs(dp[nw+o]-db[o]) > 1e-9 {
				t.Fatalf("%s: bias gradient %d = %g, Σdy = %g", c.Spec(), o, dp[nw+o], db[o])
			}
		}
	}
	if (Conv2d[float64]{InC: 1, OutC: 1, H: 2, W: 2, K: 5, Stride: 1}).Validate() == nil {
		t.Fatal("a 5x5 kernel on a 2x2 image validated")
	}
	if (Conv2d[float64]{InC: 1, OutC: 1, H: 1, W: 1, K: 4, Stride: 2, Pad: 1}).Validate() == nil {
		t.Fatal("a 4x4 kernel on a padded 1x1 image validated")
	}
}

func TestConvNetEnergyNoAllocations(t *testing.T) {
	c := Conv2d[float32]{InC: 1, OutC: 8, H: 12, W: 12, K: 3, Stride: 2, Pad: 1}
	net, _ := NewNet[float32](c, Activation[float32]{Kind: LeakyReLU, Size: c.OutSize(), Slope: 0.05}, Linear[float32]{In: c.OutSize(), Out: 1})
	p := make([]float32, net.NumParams())
	rng := rand.New(rand.NewPCG(3, 4))
	net.Init(p, rng)
	checkNoAllocs(t, net, p, 16, rng)
}

func TestConvArchitectures(t *testing.T) {
	for _, a := range []Arch{
		{Kind: "convnet", In: 1 * 8 * 8, Channels: 1, Height: 8, Width: 8, NF: 2, Slope: 0.05},
		{Kind: "vanilla", In: 2 * 8 * 8, Channels: 2, Height: 8, Width: 8, NF: 1, Slope: 0.05},
	} {
		net, err := Build[float64](a)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.NumParams(); got != int64(net.NumParams()) {
			t.Fatalf("%s: NumParams %d, built net %d", a.Kind, got, net.NumParams())
		}
		rng := rand.New(rand.NewPCG(5, 6))
		p := make([]float64, net.NumParams())
		net.Init(p, rng)
		x := randSlice(rng, 2*a.In, 1)
		if worst := fdWorst(net, p, x, 2); worst > 1e-6 {
			t.Fatalf("%s: max relative error %g", a.Kind, worst)
		}
		t.Logf("%s: %s (%d parameters)", a.Kind, net.Spec(), net.NumParams())
	}
	// the sizes build: Fashion-MNIST and CIFAR-10 with n_f = 32
	for _, a := range []Arch{
		{Kind: "convnet", In: 784, Channels: 1, Height: 28, Width: 28, NF: 32},
		{Kind: "vanilla", In: 3072, Channels: 3, Height: 32, Width: 32, NF: 32},
		{Kind: "vanilla", In: 784, Channels: 1, Height: 28, Width: 28, NF: 32},
	} {
		if _, err := Build[float32](a); err != nil {
			t.Errorf("%s %dx%d: %v", a.Kind, a.Height, a.Width, err)
		}
	}
	if _, err := Build[float32](Arch{Kind: "convnet", In: 10, Channels: 1, Height: 28, Width: 28, NF: 4}); err == nil {
		t.Error("mismatched In accepted")
	}
}
