package nn

import (
	"fmt"
	"math/rand/v2"
)

// AvgPool2d averages K×K windows of NCHW maps of C×H×W, Stride apart, with zero Padding
// counted in the average, as torch.nn.AvgPool2d computes it with its defaults
// (count_include_pad=True, ceil_mode=False). It has no parameters.
type AvgPool2d[T Float] struct {
	C, H, W, K, Stride, Pad int
}

// OutH is the output height.
func (a AvgPool2d[T]) OutH() int { return outSize(a.H, a.K, a.Stride, a.Pad) }

// OutW is the output width.
func (a AvgPool2d[T]) OutW() int { return outSize(a.W, a.K, a.Stride, a.Pad) }

// InSize is C·H·W.
func (a AvgPool2d[T]) InSize() int { return a.C * a.H * a.W }

// OutSize is C·OutH·OutW.
func (a AvgPool2d[T]) OutSize() int { return a.C * a.OutH() * a.OutW() }

// NumParams is zero.
func (a AvgPool2d[T]) NumParams() int { return 0 }

// Init does nothing: pooling has no parameters.
func (a AvgPool2d[T]) Init(p []T, rng *rand.Rand) {}

// Spec describes the layer.
func (a AvgPool2d[T]) Spec() string {
	return fmt.Sprintf("avgpool(k%d,s%d,p%d)@%dx%dx%d", a.K, a.Stride, a.Pad, a.C, a.H, a.W)
}

// window calls fn(o, i) for every output index o and input index i of one example's
// windows (inputs in the zero padding are skipped: they add nothing).
func (a AvgPool2d[T]) window(fn func(o, i int)) {
	oh, ow := a.OutH(), a.OutW()
	for c := 0; c < a.C; c++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				o := (c*oh+oy)*ow + ox
				for ky := 0; ky < a.K; ky++ {
					iy := oy*a.Stride - a.Pad + ky
					if iy < 0 || iy >= a.H {
						continue
					}
					for kx := 0; kx < a.K; kx++ {
						ix := ox*a.Stride - a.Pad + kx
						if ix >= 0 && ix < a.W {
							fn(o, (c*a.H+iy)*a.W+ix)
						}
					}
				}
			}
		}
	}
}

// Forward averages each window.
func (a AvgPool2d[T]) Forward(p, x, y []T, n int) {
	in, out := a.InSize(), a.OutSize()
	inv := 1 / T(a.K*a.K)
	for k := 0; k < n; k++ {
		xs, ys := x[k*in:(k+1)*in], y[k*out:(k+1)*out]
		clear(ys)
		a.window(func(o, i int) { ys[o] += xs[i] })
		for o := range ys {
			ys[o] *= inv
		}
	}
}

// Backward spreads each output gradient evenly over its window.
func (a AvgPool2d[T]) Backward(p, x, y, dy, dx, dp []T, n int) {
	if dx == nil {
		return
	}
	in, out := a.InSize(), a.OutSize()
	inv := 1 / T(a.K*a.K)
	for k := 0; k < n; k++ {
		dys, dxs := dy[k*out:(k+1)*out], dx[k*in:(k+1)*in]
		clear(dxs)
		a.window(func(o, i int) { dxs[i] += dys[o] * inv })
	}
}

func init() {
	RegisterLayer(LayerType{Name: "avgpool2d", Torch: "AvgPool2d",
		Doc: "the mean of K×K windows, zero padding counted (torch.nn.AvgPool2d)",
		Args: []LayerArg{IntArg("kernel", "kernel_size", nil, 1), IntArg("stride", "stride", "kernel", 1),
			IntArg("padding", "padding", 0, 0)},
		Fixed:   map[string]any{"ceil_mode": false, "count_include_pad": true, "divisor_override": nil},
		Build32: buildAvgPool[float32], Build64: buildAvgPool[float64]})
}

func buildAvgPool[T Float](s LayerSpec, in Shape) (Layer[T], Shape, error) {
	if err := positive("kernel", s.Kernel); err != nil {
		return nil, Shape{}, err
	}
	stride := s.Stride
	if stride == 0 {
		stride = s.Kernel
	}
	if stride < 1 || s.Padding < 0 || 2*s.Padding > s.Kernel {
		return nil, Shape{}, fmt.Errorf("stride must be >= 1 and padding in [0, kernel/2], got %d and %d", stride, s.Padding)
	}
	a := AvgPool2d[T]{C: in.C, H: in.H, W: in.W, K: s.Kernel, Stride: stride, Pad: s.Padding}
	if a.OutH() < 1 || a.OutW() < 1 {
		return nil, Shape{}, fmt.Errorf("a %dx%d window leaves no output of a %dx%d map", s.Kernel, s.Kernel, in.H, in.W)
	}
	return a, Shape{in.C, a.OutH(), a.OutW()}, nil
}
