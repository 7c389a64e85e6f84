package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The image benchmark configuration of issue 4: batch 64 Fashion-MNIST-sized images (1×28×28)
// through the paper's ConvNet with n_f = 32.
var benchConvArch = Arch{Kind: "convnet", In: 28 * 28, Channels: 1, Height: 28, Width: 28, NF: 32, Slope: 0.05}

const benchConvBatch = 64

// convFlops is the multiply-adds ×2 of the conv layers of one EnergyGrad of one example:
// the forward GEMM and the input-gradient GEMM of each.
func convFlops[T Float](net *Net[T]) float64 {
	var f float64
	for _, l := range net.Layers {
		if c, ok := l.(Conv2d[T]); ok {
			f += 2 * 2 * float64(c.OutC*c.InC*c.K*c.K*c.OutH()*c.OutW())
		}
	}
	return f
}

// BenchmarkConvNetEnergyGrad is f and ∇x f of 64 images, one Langevin step's net work, on 1
// and 2 worker threads. It reports the conv layers' GFLOP/s (forward and input gradient).
func BenchmarkConvNetEnergyGrad(b *testing.B) {
	defer SetThreads(Threads())
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			SetThreads(threads)
			benchConvNet(b)
		})
	}
}

func benchConvNet(b *testing.B) {
	net, err := Build[float32](benchConvArch)
	if err != nil {
		b.Fatal(err)
	}
	p := make([]float32, net.NumParams())
	net.Init(p, rand.New(rand.NewPCG(1, 2)))
	e := NewNetEnergy(net, p)
	x := make([]float32, benchConvBatch*net.InSize())
	for i := range x {
		x[i] = float32(2*rand.Float64() - 1)
	}
	f := make([]float32, benchConvBatch)
	g := make([]float32, len(x))
	e.EnergyGrad(x, benchConvBatch, f, g)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.EnergyGrad(x, benchConvBatch, f, g)
	}
	b.ReportMetric(convFlops(net)*benchConvBatch*float64(b.N)/b.Elapsed().Seconds()/1e9, "convGFLOP/s")
}

// BenchmarkSgemm is a 1024³ float32 matrix product: the GEMM throughput the conv layers are
// measured against.
func BenchmarkSgemm(b *testing.B) {
	const n = 1024
	a := make([]float32, n*n)
	c := make([]float32, n*n)
	for i := range a {
		a[i] = float32(rand.Float64())
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Gemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n)
	}
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkActivation times one forward and one backward pass of each activation over a
// batch of 256 rows of 128 features (one hidden layer of the toy MLP), float32 and float64.
func BenchmarkActivation(b *testing.B) {
	for _, kind := range []ActivationKind{LeakyReLU, SiLU, Tanh, ELU, Softplus, GELU} {
		b.Run(kind.String()+"/float32", func(b *testing.B) { benchActivation[float32](b, kind) })
		b.Run(kind.String()+"/float64", func(b *testing.B) { benchActivation[float64](b, kind) })
	}
}

func benchActivation[T Float](b *testing.B, kind ActivationKind) {
	const rows, size = 256, 128
	a := Activation[T]{Kind: kind, Size: size, Slope: 0.05, Alpha: 1}
	rng := rand.New(rand.NewPCG(1, 2))
	x, y, dy, dx := make([]T, rows*size), make([]T, rows*size), make([]T, rows*size), make([]T, rows*size)
	for i := range x {
		x[i], dy[i] = T(rng.NormFloat64()*2), T(rng.NormFloat64())
	}
	b.SetBytes(int64(rows * size))
	b.ReportAllocs()
	for b.Loop() {
		a.Forward(nil, x, y, rows)
		a.Backward(nil, x, y, dy, dx, nil, rows)
	}
}

// BenchmarkConvWinograd times a stride-1 3×3 convolution's forward pass and input gradient
// (what a Langevin step needs) over 16 examples, by Winograd and by im2col + GEMM, float32,
// one thread, for a few channel counts and map sizes (winograd.go: it did not win here).
func BenchmarkConvWinograd(b *testing.B) {
	for _, ch := range []int{8, 16, 32, 64, 128, 256} {
		for _, hw := range []int{8, 16, 32} {
			c := Conv2d[float32]{InC: ch, OutC: ch, H: hw, W: hw, K: 3, Stride: 1, Pad: 1}
			for _, wino := range []bool{true, false} {
				name := fmt.Sprintf("ch=%d/%dx%d/im2col", ch, hw, hw)
				if wino {
					name = fmt.Sprintf("ch=%d/%dx%d/winograd", ch, hw, hw)
				}
				b.Run(name, func(b *testing.B) {
					old := winogradOn
					defer func() { winogradOn = old }()
					const n = 16
					rng := rand.New(rand.NewPCG(1, 2))
					p := make([]float32, c.NumParams())
					c.Init(p, rng)
					x, dy := make([]float32, n*c.InSize()), make([]float32, n*c.OutSize())
					for i := range x {
						x[i] = float32(rng.NormFloat64())
					}
					for i := range dy {
						dy[i] = float32(rng.NormFloat64())
					}
					y, dx := make([]float32, len(dy)), make([]float32, len(x))
					// the scratch of the larger of the two paths
					winogradOn = true
					scratch := make([]float32, max(c.ScratchSize(), (c.InC*9+c.OutC)*c.group()*c.OutH()*c.OutW()))
					winogradOn = wino
					b.ReportAllocs()
					for b.Loop() {
						c.ForwardScratch(p, x, y, n, scratch)
						c.BackwardScratch(p, x, y, dy, dx, nil, n, scratch)
					}
					b.ReportMetric(2*2*float64(c.OutC*c.InC*9*c.OutH()*c.OutW())*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
