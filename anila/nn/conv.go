package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"unsafe"
)

// Conv2d is a 2-D convolution over NCHW images of InC×H×W: OutC filters of K×K with the given
// Stride and zero Padding, as torch.nn.Conv2d computes it. Parameters: the weight
// (OutC×InC×K×K, PyTorch's order) then the bias (OutC). It runs as im2col + GEMM per
// group of examples (see convGemmN), with scratch space from the Workspace (winograd.go has
// a Winograd path for stride-1 3×3 layers, off: it measured slower).
type Conv2d[T Float] struct {
	InC, OutC, H, W, K, Stride, Pad int
	// NoBias leaves the bias out (torch.nn.Conv2d(..., bias=False)): the parameters are the
	// weight only.
	NoBias bool
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

// NumParams is OutC·InC·K·K, + OutC for the bias.
func (c Conv2d[T]) NumParams() int {
	if c.NoBias {
		return c.OutC * c.InC * c.K * c.K
	}
	return c.OutC*c.InC*c.K*c.K + c.OutC
}

// Spec describes the layer.
func (c Conv2d[T]) Spec() string {
	nb := ""
	if c.NoBias {
		nb = ",nobias"
	}
	return fmt.Sprintf("conv(%d,%d,k%d,s%d,p%d%s)@%dx%d", c.InC, c.OutC, c.K, c.Stride, c.Pad, nb, c.H, c.W)
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

// convGemmN is the least number of columns (examples × output pixels) one GEMM of a conv
// layer takes: small maps are batched over examples so that the GEMM stays efficient.
const convGemmN = 1024

// group is the number of examples one GEMM covers.
func (c Conv2d[T]) group() int {
	ohw := c.OutH() * c.OutW()
	return max(1, (convGemmN+ohw-1)/ohw)
}

// ScratchSize is the scratch a call needs: the im2col matrix of a group of examples and the
// group's outputs (or output gradients) in channel-major order.
func (c Conv2d[T]) ScratchSize() int {
	n := c.group() * c.OutH() * c.OutW()
	return max((c.InC*c.K*c.K+c.OutC)*n, c.winogradScratch())
}

// span is the range [lo, hi) of output columns ox whose input column ox·Stride − Pad + kx
// lies inside the image.
func (c Conv2d[T]) span(kx, ow int) (lo, hi int) {
	off := kx - c.Pad
	if off < 0 {
		lo = (-off + c.Stride - 1) / c.Stride
	}
	hi = min(ow, (c.W-off+c.Stride-1)/c.Stride)
	return lo, max(lo, hi)
}

// convGeom is a conv layer's geometry as the native patch kernels take it.
type convGeom struct{ InC, H, W, K, Stride, Pad, OH, OW int }

// patchKernel, when set (build tag cblas), runs im2col (back false: src image, dst patch
// matrix) or col2im (back true: src patch matrix, dst image gradient) in native code.
var patchKernel func(g convGeom, src, dst unsafe.Pointer, ld int, is64, back bool)

// native runs im2col (back false) or col2im (back true) of one image in patchKernel when it
// is set, after bounds checks of both slices, and reports whether it did.
func (c Conv2d[T]) native(img, cols []T, ld int, back bool) bool {
	if patchKernel == nil {
		return false
	}
	_ = img[c.InSize()-1]
	_ = cols[(c.InC*c.K*c.K-1)*ld+c.OutH()*c.OutW()-1]
	g := convGeom{c.InC, c.H, c.W, c.K, c.Stride, c.Pad, c.OutH(), c.OutW()}
	src, dst := unsafe.Pointer(&img[0]), unsafe.Pointer(&cols[0])
	if back {
		src, dst = dst, src
	}
	patchKernel(g, src, dst, ld, Is64[T](), back)
	return true
}

// im2col writes the (InC·K·K)×(OutH·OutW) patch matrix of one image into cols, whose rows
// are ld apart.
func (c Conv2d[T]) im2col(x, cols []T, ld int) {
	if c.native(x, cols, ld, false) {
		return
	}
	oh, ow, s := c.OutH(), c.OutW(), c.Stride
	for ci := 0; ci < c.InC; ci++ {
		img := x[ci*c.H*c.W : (ci+1)*c.H*c.W]
		for ky := 0; ky < c.K; ky++ {
			for kx := 0; kx < c.K; kx++ {
				row := cols[((ci*c.K+ky)*c.K+kx)*ld:]
				lo, hi := c.span(kx, ow)
				off := kx - c.Pad
				for oy := 0; oy < oh; oy++ {
					iy := oy*s - c.Pad + ky
					out := row[oy*ow : oy*ow+ow]
					if iy < 0 || iy >= c.H {
						clear(out)
						continue
					}
					clear(out[:lo])
					clear(out[hi:])
					src := img[iy*c.W : iy*c.W+c.W]
					if s == 1 {
						copy(out[lo:hi], src[lo+off:hi+off])
						continue
					}
					in := src[lo*s+off:]
					for i := range out[lo:hi] {
						out[lo+i] = in[i*s]
					}
				}
			}
		}
	}
}

// col2im adds the patch-matrix gradient of one image (rows ld apart) into dx.
func (c Conv2d[T]) col2im(cols, dx []T, ld int) {
	if c.native(dx, cols, ld, true) {
		return
	}
	oh, ow, s := c.OutH(), c.OutW(), c.Stride
	for ci := 0; ci < c.InC; ci++ {
		img := dx[ci*c.H*c.W : (ci+1)*c.H*c.W]
		for ky := 0; ky < c.K; ky++ {
			for kx := 0; kx < c.K; kx++ {
				row := cols[((ci*c.K+ky)*c.K+kx)*ld:]
				lo, hi := c.span(kx, ow)
				off := kx - c.Pad
				for oy := 0; oy < oh; oy++ {
					iy := oy*s - c.Pad + ky
					if iy < 0 || iy >= c.H {
						continue
					}
					src := row[oy*ow+lo : oy*ow+hi]
					dst := img[iy*c.W+lo*s+off:]
					if s == 1 {
						dst = dst[:len(src)]
						for i, v := range src {
							dst[i] += v
						}
						continue
					}
					for i, v := range src {
						dst[i*s] += v
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

// ForwardScratch computes y = conv(x) + b for n images, one GEMM per group of examples.
func (c Conv2d[T]) ForwardScratch(p, x, y []T, n int, scratch []T) {
	if c.winograd() {
		c.winogradForward(p, x, y, n, scratch)
		return
	}
	kk := c.InC * c.K * c.K
	ohw := c.OutH() * c.OutW()
	w, b := p[:c.OutC*kk], p[c.OutC*kk:c.NumParams()]
	g := c.group()
	for e0 := 0; e0 < n; e0 += g {
		ge := min(g, n-e0)
		ld := ge * ohw
		cols, out := scratch[:kk*ld], scratch[kk*ld:(kk+c.OutC)*ld]
		for j := 0; j < ge; j++ {
			c.im2col(x[(e0+j)*c.InSize():], cols[j*ohw:], ld)
		}
		Gemm(false, false, c.OutC, ld, kk, 1, w, kk, cols, ld, 0, out, ld)
		for j := 0; j < ge; j++ {
			ye := y[(e0+j)*c.OutSize():]
			for o := 0; o < c.OutC; o++ {
				dst, src, bo := ye[o*ohw:(o+1)*ohw], out[o*ld+j*ohw:o*ld+(j+1)*ohw], T(0)
				if !c.NoBias {
					bo = b[o]
				}
				for i, v := range src {
					dst[i] = v + bo
				}
			}
		}
	}
}

// BackwardScratch writes dx (when not nil) and adds the weight and bias gradients into dp
// (when not nil), one GEMM per group of examples.
func (c Conv2d[T]) BackwardScratch(p, x, y, dy, dx, dp []T, n int, scratch []T) {
	if c.winograd() && dx != nil {
		if dp != nil {
			c.BackwardScratch(p, x, y, dy, nil, dp, n, scratch) // the weight gradient by im2col
		}
		c.winogradInputGrad(p, dy, dx, n, scratch)
		return
	}
	kk := c.InC * c.K * c.K
	ohw := c.OutH() * c.OutW()
	w := p[:c.OutC*kk]
	g := c.group()
	for e0 := 0; e0 < n; e0 += g {
		ge := min(g, n-e0)
		ld := ge * ohw
		cols, dout := scratch[:kk*ld], scratch[kk*ld:(kk+c.OutC)*ld]
		for j := 0; j < ge; j++ {
			dye := dy[(e0+j)*c.OutSize():]
			for o := 0; o < c.OutC; o++ {
				copy(dout[o*ld+j*ohw:o*ld+(j+1)*ohw], dye[o*ohw:(o+1)*ohw])
			}
		}
		if dp != nil {
			dw, db := dp[:c.OutC*kk], dp[c.OutC*kk:c.NumParams()]
			for j := 0; j < ge; j++ {
				c.im2col(x[(e0+j)*c.InSize():], cols[j*ohw:], ld)
			}
			Gemm(false, true, c.OutC, kk, ld, 1, dout, ld, cols, ld, 1, dw, kk)
			for o := 0; o < c.OutC && !c.NoBias; o++ {
				s := T(0)
				for _, v := range dout[o*ld : (o+1)*ld] {
					s += v
				}
				db[o] += s
			}
		}
		if dx != nil {
			Gemm(true, false, kk, ld, c.OutC, 1, w, kk, dout, ld, 0, cols, ld)
			for j := 0; j < ge; j++ {
				dxe := dx[(e0+j)*c.InSize() : (e0+j+1)*c.InSize()]
				clear(dxe)
				c.col2im(cols[j*ohw:], dxe, ld)
			}
		}
	}
}

// ChunkHint asks for ConvChunk examples per task: conv examples are large, and small chunks
// keep a task's data in cache and spread a batch of 64 over the cores.
func (c Conv2d[T]) ChunkHint() int { return ConvChunk }

func init() {
	RegisterLayer(LayerType{Name: "conv2d", HasIn: true,
		Doc:   "2-D convolution over NCHW maps, square kernels, zero padding (torch.nn.Conv2d)",
		Torch: "Conv2d",
		Args: []LayerArg{IntArg("in", "in_channels", nil, 1), IntArg("out", "out_channels", nil, 1),
			IntArg("kernel", "kernel_size", nil, 1), IntArg("stride", "stride", 1, 1), IntArg("padding", "padding", 0, 0),
			BoolArg("bias", "bias", true)},
		Fixed:        map[string]any{"dilation": 1, "groups": 1, "padding_mode": "zeros"},
		SpectralNorm: true, Rows: func(s LayerSpec, in Shape) int { return s.Out },
		Build32: buildConv2d[float32], Build64: buildConv2d[float64]})
}

func buildConv2d[T Float](s LayerSpec, in Shape) (Layer[T], Shape, error) {
	if err := positive("out", s.Out); err != nil {
		return nil, Shape{}, err
	}
	if err := positive("kernel", s.Kernel); err != nil {
		return nil, Shape{}, err
	}
	stride := s.Stride
	if stride == 0 {
		stride = 1
	}
	if stride < 1 || s.Padding < 0 {
		return nil, Shape{}, fmt.Errorf("stride must be >= 1 and padding >= 0, got %d and %d", stride, s.Padding)
	}
	c := Conv2d[T]{InC: in.C, OutC: s.Out, H: in.H, W: in.W, K: s.Kernel, Stride: stride, Pad: s.Padding,
		NoBias: !s.HasBias()}
	if err := c.Validate(); err != nil {
		return nil, Shape{}, err
	}
	return c, Shape{s.Out, c.OutH(), c.OutW()}, nil
}
