package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Conv2d is a 2-D convolution over NCHW images of InC×H×W: OutC filters of K×K with the given
// Stride and zero Padding, as torch.nn.Conv2d computes it. Parameters: the weight
// (OutC×InC×K×K, PyTorch's order) then the bias (OutC). It runs as im2col + GEMM per
// example, with scratch space from the Workspace.
type Conv2d[T Float] struct {
	InC, OutC, H, W, K, Stride, Pad int
}

// OutH is the output height (0 when the kernel does not fit).
func (c Conv2d[T]) OutH() int { return outSize(c.H, c.K, c.Stride, c.Pad) }

// OutW is the output width (0 when the kernel does not fit).
func (c Conv2d[T]) OutW() int { return outSize(c.W, c.K, c.Stride, c.Pad) }

func outSize(in, k, stride, pad int) int {
	if in+2*pad < k || stride < 1 {
		return 0
	}
	return (in+2*pad-k)/stride + 1
}

// InSize is InC·H·W.
func (c Conv2d[T]) InSize() int { return c.InC * c.H * c.W }

// OutSize is OutC·OutH·OutW.
func (c Conv2d[T]) OutSize() int { return c.OutC * c.OutH() * c.OutW() }

// NumParams is OutC·InC·K·K + OutC.
func (c Conv2d[T]) NumParams() int { return c.OutC*c.InC*c.K*c.K + c.OutC }

// Spec describes the layer.
func (c Conv2d[T]) Spec() string {
	return fmt.Sprintf("conv(%d,%d,k%d,s%d,p%d)@%dx%d", c.InC, c.OutC, c.K, c.Stride, c.Pad, c.H, c.W)
}

// Validate reports impossible geometry.
func (c Conv2d[T]) Validate() error {
	if c.InC < 1 || c.OutC < 1 || c.K < 1 || c.Stride < 1 || c.Pad < 0 || c.H < 1 || c.W < 1 {
		return fmt.Errorf("nn: conv %s has a non-positive size", c.Spec())
	}
	if c.OutH() < 1 || c.OutW() < 1 {
		return fmt.Errorf("nn: conv %s leaves no output", c.Spec())
	}
	return nil
}

// Init draws weights and biases uniformly from ±1/√(InC·K·K), PyTorch's default.
func (c Conv2d[T]) Init(p []T, rng *rand.Rand) {
	bound := 1 / math.Sqrt(float64(c.InC*c.K*c.K))
	for i := range p[:c.NumParams()] {
		p[i] = T((2*rng.Float64() - 1) * bound)
	}
}

// ScratchSize is the scratch a call needs: the im2col matrix and its gradient.
func (c Conv2d[T]) ScratchSize() int { return 2 * c.InC * c.K * c.K * c.OutH() * c.OutW() }

// im2col writes the (InC·K·K)×(OutH·OutW) patch matrix of one image.
func (c Conv2d[T]) im2col(x, cols []T) {
	oh, ow := c.OutH(), c.OutW()
	for ci := 0; ci < c.InC; ci++ {
		img := x[ci*c.H*c.W:]
		for ky := 0; ky < c.K; ky++ {
			for kx := 0; kx < c.K; kx++ {
				row := cols[((ci*c.K+ky)*c.K+kx)*oh*ow:]
				for oy := 0; oy < oh; oy++ {
					iy := oy*c.Stride - c.Pad + ky
					for ox := 0; ox < ow; ox++ {
						ix := ox*c.Stride - c.Pad + kx
						var v T
						if iy >= 0 && iy < c.H && ix >= 0 && ix < c.W {
							v = img[iy*c.W+ix]
						}
						row[oy*ow+ox] = v
					}
				}
			}
		}
	}
}

// col2im adds the patch-matrix gradient of one image into dx.
func (c Conv2d[T]) col2im(cols, dx []T) {
	oh, ow := c.OutH(), c.OutW()
	for ci := 0; ci < c.InC; ci++ {
		img := dx[ci*c.H*c.W:]
		for ky := 0; ky < c.K; ky++ {
			for kx := 0; kx < c.K; kx++ {
				row := cols[((ci*c.K+ky)*c.K+kx)*oh*ow:]
				for oy := 0; oy < oh; oy++ {
					iy := oy*c.Stride - c.Pad + ky
					if iy < 0 || iy >= c.H {
						continue
					}
					for ox := 0; ox < ow; ox++ {
						ix := ox*c.Stride - c.Pad + kx
						if ix >= 0 && ix < c.W {
							img[iy*c.W+ix] += row[oy*ow+ox]
						}
					}
				}
			}
		}
	}
}

// Forward allocates its scratch; nets call ForwardScratch with a Workspace's.
func (c Conv2d[T]) Forward(p, x, y []T, n int) {
	c.ForwardScratch(p, x, y, n, make([]T, c.ScratchSize()))
}

// Backward allocates its scratch; nets call BackwardScratch with a Workspace's.
func (c Conv2d[T]) Backward(p, x, y, dy, dx, dp []T, n int) {
	c.BackwardScratch(p, x, y, dy, dx, dp, n, make([]T, c.ScratchSize()))
}

// ForwardScratch computes y = conv(x) + b for n images.
func (c Conv2d[T]) ForwardScratch(p, x, y []T, n int, scratch []T) {
	kk := c.InC * c.K * c.K
	ohw := c.OutH() * c.OutW()
	w, b := p[:c.OutC*kk], p[c.OutC*kk:c.NumParams()]
	cols := scratch[:kk*ohw]
	for e := 0; e < n; e++ {
		c.im2col(x[e*c.InSize():], cols)
		ye := y[e*c.OutSize() : (e+1)*c.OutSize()]
		for o := 0; o < c.OutC; o++ {
			row := ye[o*ohw : (o+1)*ohw]
			for i := range row {
				row[i] = b[o]
			}
		}
		Gemm(false, false, c.OutC, ohw, kk, 1, w, kk, cols, ohw, 1, ye, ohw)
	}
}

// BackwardScratch writes dx (when not nil) and adds the weight and bias gradients into dp
// (when not nil).
func (c Conv2d[T]) BackwardScratch(p, x, y, dy, dx, dp []T, n int, scratch []T) {
	kk := c.InC * c.K * c.K
	ohw := c.OutH() * c.OutW()
	w := p[:c.OutC*kk]
	cols, dcols := scratch[:kk*ohw], scratch[kk*ohw:2*kk*ohw]
	for e := 0; e < n; e++ {
		dye := dy[e*c.OutSize() : (e+1)*c.OutSize()]
		if dp != nil {
			dw, db := dp[:c.OutC*kk], dp[c.OutC*kk:c.NumParams()]
			c.im2col(x[e*c.InSize():], cols)
			Gemm(false, true, c.OutC, kk, ohw, 1, dye, ohw, cols, ohw, 1, dw, kk)
			for o := 0; o < c.OutC; o++ {
				s := T(0)
				for _, v := range dye[o*ohw : (o+1)*ohw] {
					s += v
				}
				db[o] += s
			}
		}
		if dx != nil {
			Gemm(true, false, kk, ohw, c.OutC, 1, w, kk, dye, ohw, 0, dcols, ohw)
			dxe := dx[e*c.InSize() : (e+1)*c.InSize()]
			clear(dxe)
			c.col2im(dcols, dxe)
		}
	}
}
