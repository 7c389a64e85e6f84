package nn

import "unsafe"

// Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, 2016) for stride-1 3×3
// convolutions: the input is cut into 4×4 tiles overlapping by 2, each tile and each filter is
// transformed (V = Bᵀ d B, U = G g Gᵀ), the 16 transformed positions are 16 independent
// matrix products M = U·V over channels (one GEMM each), and each M tile is transformed back
// to a 2×2 output block (Y = Aᵀ M A). That is 16 multiplications per 2×2 outputs per channel
// pair where im2col + GEMM does 36: 2.25x fewer. The input gradient of a stride-1 convolution
// is itself one (of the output gradient, with the filters rotated by 180° and their channels
// swapped, padding 2 − Pad), so the Langevin steps' forward and backward passes both run here;
// the weight gradient stays on im2col + GEMM.
//
// It is off by default: on the machine it was measured on (AMD Zen 5, OpenBLAS's SkylakeX
// kernels, one thread, 16 examples, forward pass and input gradient), it was slower than
// im2col + GEMM for every shape tried, 8 to 256 channels on 8×8 to 32×32 maps: 2.6x slower
// at 16 channels, 1.7x at 64, 1.14x at 256 on 16×16 (BenchmarkConvWinograd). Its 16
// products have only InC terms each, which OpenBLAS runs at a fraction of the rate of
// im2col's InC·9, and the tile transforms of small maps (rows of 4 to 16 tiles) do not fill
// the vector units. docs/design.md has the numbers.

// winogradOn makes stride-1 3×3 layers with at least winogradMinChannels input and output
// channels run by Winograd (tests and BenchmarkConvWinograd set it).
var winogradOn bool

// winogradMinChannels is the fewest input and output channels for which winogradOn applies.
const winogradMinChannels = 16

// winograd reports whether the layer's forward pass and input gradient run by Winograd.
func (c Conv2d[T]) winograd() bool {
	return winogradOn && c.K == 3 && c.Stride == 1 && c.Pad <= 2 &&
		c.InC >= winogradMinChannels && c.OutC >= winogradMinChannels
}

// winoGeom is one Winograd convolution: inC channels of h×w in, outC channels of oh×ow out,
// zero padding pad.
type winoGeom struct{ inC, outC, h, w, oh, ow, pad int }

func (g winoGeom) tilesY() int { return (g.oh + 1) / 2 }
func (g winoGeom) tilesX() int { return (g.ow + 1) / 2 }
func (g winoGeom) tiles() int  { return g.tilesY() * g.tilesX() }

// winoGroup is the number of examples one set of 16 GEMMs covers (about convGemmN tiles).
func winoGroup(tiles int) int { return max(1, (convGemmN+tiles-1)/tiles) }

// winogradScratch is the scratch a Winograd pass of the layer needs, forward or backward:
// the transformed filters, inputs and products.
func (c Conv2d[T]) winogradScratch() int {
	if !c.winograd() {
		return 0
	}
	tiles := max(c.fwdGeom().tiles(), c.bwdGeom().tiles())
	t := winoGroup(tiles) * tiles
	ch := max(c.InC, c.OutC)
	return 16*c.InC*c.OutC + 2*16*ch*t
}

func (c Conv2d[T]) fwdGeom() winoGeom {
	return winoGeom{c.InC, c.OutC, c.H, c.W, c.OutH(), c.OutW(), c.Pad}
}

func (c Conv2d[T]) bwdGeom() winoGeom {
	return winoGeom{c.OutC, c.InC, c.OutH(), c.OutW(), c.H, c.W, 2 - c.Pad}
}

// winoFilters writes U = G g Gᵀ of every filter of w (outC×inC×3×3, PyTorch's order) into u
// as 16 matrices [16][rows][cols]: rows × cols = outC × inC, or with flip (for the input
// gradient) inC × outC of the filters rotated by 180°.
func winoFilters[T Float](w []T, outC, inC int, flip bool, u []T) {
	rows, cols := outC, inC
	if flip {
		rows, cols = inC, outC
	}
	plane := rows * cols
	var g [9]T
	for o := 0; o < outC; o++ {
		for ci := 0; ci < inC; ci++ {
			f := w[(o*inC+ci)*9 : (o*inC+ci)*9+9]
			r, col := o, ci
			if flip {
				for i := range g {
					g[i] = f[8-i]
				}
				r, col = ci, o
			} else {
				copy(g[:], f)
			}
			// t = G g (4×3), G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
			var t [12]T
			for j := 0; j < 3; j++ {
				a, b, d := g[j], g[3+j], g[6+j]
				t[j], t[3+j], t[6+j], t[9+j] = a, (a+b+d)/2, (a-b+d)/2, d
			}
			// U = t Gᵀ (4×4)
			at := r*cols + col
			for i := 0; i < 4; i++ {
				a, b, d := t[3*i], t[3*i+1], t[3*i+2]
				u[(4*i)*plane+at] = a
				u[(4*i+1)*plane+at] = (a + b + d) / 2
				u[(4*i+2)*plane+at] = (a - b + d) / 2
				u[(4*i+3)*plane+at] = d
			}
		}
	}
}

// winoKernels, when set (build tag cblas), are the tile transforms in native code: the input
// transform of one channel (into v, positions plane apart) and the output transform of one
// output channel (from m, positions plane apart, plus b).
var winoKernels struct {
	inputs  func(img unsafe.Pointer, h, w, pad, ty, tx int, v unsafe.Pointer, plane int, is64 bool)
	outputs func(m unsafe.Pointer, plane, ty, tx, oh, ow int, b float64, y unsafe.Pointer, is64 bool)
}

// winoInputs writes V = Bᵀ d B of every 4×4 tile of one image x (g.inC×g.h×g.w) into v as
// [16][g.inC][ld], the image's tiles in row-major order from column t0.
func winoInputs[T Float](g winoGeom, x []T, v []T, ld, t0 int) {
	ty, tx := g.tilesY(), g.tilesX()
	plane := g.inC * ld
	if winoKernels.inputs != nil {
		_ = x[g.inC*g.h*g.w-1]
		_ = v[15*plane+(g.inC-1)*ld+t0+ty*tx-1]
		for ci := 0; ci < g.inC; ci++ {
			winoKernels.inputs(unsafe.Pointer(&x[ci*g.h*g.w]), g.h, g.w, g.pad, ty, tx,
				unsafe.Pointer(&v[ci*ld+t0]), plane, Is64[T]())
		}
		return
	}
	var d [16]T
	for ci := 0; ci < g.inC; ci++ {
		img := x[ci*g.h*g.w : (ci+1)*g.h*g.w]
		for by := 0; by < ty; by++ {
			y0 := 2*by - g.pad
			for bx := 0; bx < tx; bx++ {
				x0 := 2*bx - g.pad
				inside := y0 >= 0 && x0 >= 0 && y0+4 <= g.h && x0+4 <= g.w
				for i := 0; i < 4; i++ {
					iy := y0 + i
					if inside {
						copy(d[4*i:4*i+4], img[iy*g.w+x0:iy*g.w+x0+4])
						continue
					}
					for j := 0; j < 4; j++ {
						ix := x0 + j
						if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
							d[4*i+j] = img[iy*g.w+ix]
						} else {
							d[4*i+j] = 0
						}
					}
				}
				// Bᵀ d: Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], on rows
				var r [16]T
				for j := 0; j < 4; j++ {
					d0, d1, d2, d3 := d[j], d[4+j], d[8+j], d[12+j]
					r[j], r[4+j], r[8+j], r[12+j] = d0-d2, d1+d2, d2-d1, d1-d3
				}
				// (Bᵀ d) B, on columns
				at := ci*ld + t0 + by*tx + bx
				for i := 0; i < 4; i++ {
					d0, d1, d2, d3 := r[4*i], r[4*i+1], r[4*i+2], r[4*i+3]
					v[(4*i)*plane+at] = d0 - d2
					v[(4*i+1)*plane+at] = d1 + d2
					v[(4*i+2)*plane+at] = d2 - d1
					v[(4*i+3)*plane+at] = d1 - d3
				}
			}
		}
	}
}

// winoOutputs writes Y = Aᵀ M A of one image's tiles (columns t0... of m, [16][g.outC][ld])
// into y (g.outC×g.oh×g.ow), plus bias[o] when bias is not nil.
func winoOutputs[T Float](g winoGeom, m []T, ld, t0 int, bias, y []T) {
	ty, tx := g.tilesY(), g.tilesX()
	plane := g.outC * ld
	if winoKernels.outputs != nil {
		_ = m[15*plane+(g.outC-1)*ld+t0+ty*tx-1]
		_ = y[g.outC*g.oh*g.ow-1]
	}
	for o := 0; o < g.outC; o++ {
		b := T(0)
		if bias != nil {
			b = bias[o]
		}
		if winoKernels.outputs != nil {
			winoKernels.outputs(unsafe.Pointer(&m[o*ld+t0]), plane, ty, tx, g.oh, g.ow, float64(b),
				unsafe.Pointer(&y[o*g.oh*g.ow]), Is64[T]())
			continue
		}
		out := y[o*g.oh*g.ow : (o+1)*g.oh*g.ow]
		for by := 0; by < ty; by++ {
			for bx := 0; bx < tx; bx++ {
				at := o*ld + t0 + by*tx + bx
				var s [8]T // Aᵀ M (2×4), Aᵀ = [1 1 1 0; 0 1 −1 −1]
				for j := 0; j < 4; j++ {
					m0, m1, m2, m3 := m[j*plane+at], m[(4+j)*plane+at], m[(8+j)*plane+at], m[(12+j)*plane+at]
					s[j], s[4+j] = m0+m1+m2, m1-m2-m3
				}
				oy, ox := 2*by, 2*bx
				for i := 0; i < 2 && oy+i < g.oh; i++ {
					row := out[(oy+i)*g.ow:]
					a0, a1, a2, a3 := s[4*i], s[4*i+1], s[4*i+2], s[4*i+3]
					row[ox] = a0 + a1 + a2 + b
					if ox+1 < g.ow {
						row[ox+1] = a1 - a2 - a3 + b
					}
				}
			}
		}
	}
}

// winoConv convolves n images x (g.inC×g.h×g.w each) with the transformed filters u (from
// winoFilters) into y (g.outC×g.oh×g.ow each), adding bias when not nil; scratch holds the
// transformed inputs and the products.
func winoConv[T Float](g winoGeom, u, x []T, n int, bias, y, scratch []T) {
	tiles := g.tiles()
	grp := winoGroup(tiles)
	inSize, outSize := g.inC*g.h*g.w, g.outC*g.oh*g.ow
	for e0 := 0; e0 < n; e0 += grp {
		ge := min(grp, n-e0)
		ld := ge * tiles
		v := scratch[:16*g.inC*ld]
		m := scratch[16*g.inC*ld : 16*(g.inC+g.outC)*ld]
		for j := 0; j < ge; j++ {
			winoInputs(g, x[(e0+j)*inSize:(e0+j+1)*inSize], v, ld, j*tiles)
		}
		for k := 0; k < 16; k++ {
			Gemm(false, false, g.outC, ld, g.inC, 1, u[k*g.outC*g.inC:], g.inC, v[k*g.inC*ld:], ld, 0, m[k*g.outC*ld:], ld)
		}
		for j := 0; j < ge; j++ {
			winoOutputs(g, m, ld, j*tiles, bias, y[(e0+j)*outSize:(e0+j+1)*outSize])
		}
	}
}

// winogradForward is ForwardScratch by Winograd.
func (c Conv2d[T]) winogradForward(p, x, y []T, n int, scratch []T) {
	kk := c.InC * 9
	w := p[:c.OutC*kk]
	var bias []T
	if !c.NoBias {
		bias = p[c.OutC*kk : c.NumParams()]
	}
	u := scratch[:16*c.InC*c.OutC]
	winoFilters(w, c.OutC, c.InC, false, u)
	winoConv(c.fwdGeom(), u, x, n, bias, y, scratch[len(u):])
}

// winogradInputGrad writes dx, the input gradient, by Winograd: the convolution of dy with
// the rotated, channel-swapped filters.
func (c Conv2d[T]) winogradInputGrad(p, dy, dx []T, n int, scratch []T) {
	w := p[:c.OutC*c.InC*9]
	u := scratch[:16*c.InC*c.OutC]
	winoFilters(w, c.OutC, c.InC, true, u)
	winoConv(c.bwdGeom(), u, dy, n, nil, dx, scratch[len(u):])
}
