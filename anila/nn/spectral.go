package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SpectralNorm is the state of a layer's spectral normalisation: the layer uses its weight W
// (Rows × Cols: out × everything else) as W/σ with σ = uᵀWv, u and v the vectors of the power
// iteration, as torch.nn.utils.parametrizations.spectral_norm does in eval mode. Gradients
// flow through W in both W and σ, with u and v held fixed. PowerStep advances u and v by one
// iteration; the trainer calls it once per training iteration (PyTorch's train mode does it
// at every forward pass instead, which anila's chunked, multi-threaded passes cannot do
// deterministically).
type SpectralNorm struct {
	Rows, Cols int
	U, V       []float64
}

// snEps is torch.nn.functional.normalize's eps in spectral_norm.
const snEps = 1e-12

func normalize(v []float64) {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	d := math.Max(math.Sqrt(s), snEps)
	for i := range v {
		v[i] /= d
	}
}

// powerStep runs one power iteration on w: u = normalize(W v), then v = normalize(Wᵀ u).
func powerStep[T Float](s *SpectralNorm, w []T) {
	for i := 0; i < s.Rows; i++ {
		acc := 0.0
		row := w[i*s.Cols : (i+1)*s.Cols]
		for j, x := range row {
			acc += float64(x) * s.V[j]
		}
		s.U[i] = acc
	}
	normalize(s.U)
	clear(s.V)
	for i := 0; i < s.Rows; i++ {
		ui := s.U[i]
		row := w[i*s.Cols : (i+1)*s.Cols]
		for j, x := range row {
			s.V[j] += float64(x) * ui
		}
	}
	normalize(s.V)
}

// sigma is uᵀ W v.
func sigma[T Float](s *SpectralNorm, w []T) float64 {
	acc := 0.0
	for i := 0; i < s.Rows; i++ {
		row := w[i*s.Cols : (i+1)*s.Cols]
		r := 0.0
		for j, x := range row {
			r += float64(x) * s.V[j]
		}
		acc += s.U[i] * r
	}
	return acc
}

// spectral wraps a Linear or Conv2d layer whose weight (the first Rows·Cols parameters) is
// used spectrally normalised.
type spectral[T Float] struct {
	inner Layer[T]
	sn    *SpectralNorm
}

// InSize, OutSize, NumParams and Spec are the wrapped layer's.
func (l spectral[T]) InSize() int    { return l.inner.InSize() }
func (l spectral[T]) OutSize() int   { return l.inner.OutSize() }
func (l spectral[T]) NumParams() int { return l.inner.NumParams() }
func (l spectral[T]) Spec() string   { return "spectral_norm(" + l.inner.Spec() + ")" }

// Init draws the layer's parameters, then u and v from N(0, I), normalised, and runs 15
// power iterations, as PyTorch's spectral_norm does when it is applied.
func (l spectral[T]) Init(p []T, rng *rand.Rand) {
	l.inner.Init(p, rng)
	for _, v := range [][]float64{l.sn.U, l.sn.V} {
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		normalize(v)
	}
	for k := 0; k < 15; k++ {
		powerStep(l.sn, p[:l.sn.Rows*l.sn.Cols])
	}
}

// ChunkHint is the inner layer's.
func (l spectral[T]) ChunkHint() int {
	if h, ok := l.inner.(ChunkHinter); ok {
		return h.ChunkHint()
	}
	return 0
}

// ScratchSize is room for the normalised parameters and their gradient, and the inner
// layer's scratch.
func (l spectral[T]) ScratchSize() int {
	s := 2 * l.NumParams()
	if sl, ok := l.inner.(ScratchLayer[T]); ok {
		s += sl.ScratchSize()
	}
	return s
}

// normalised writes W/σ and the bias into pp and returns σ.
func (l spectral[T]) normalised(p, pp []T) float64 {
	nw := l.sn.Rows * l.sn.Cols
	sg := sigma(l.sn, p[:nw])
	inv := 1 / sg
	for i, w := range p[:nw] {
		pp[i] = T(float64(w) * inv)
	}
	copy(pp[nw:], p[nw:l.NumParams()])
	return sg
}

// ForwardScratch runs the wrapped layer with its weight W/σ.
func (l spectral[T]) ForwardScratch(p, x, y []T, n int, scratch []T) {
	np := l.NumParams()
	pp := scratch[:np]
	l.normalised(p, pp)
	if sl, ok := l.inner.(ScratchLayer[T]); ok {
		sl.ForwardScratch(pp, x, y, n, scratch[2*np:])
		return
	}
	l.inner.Forward(pp, x, y, n)
}

// BackwardScratch: dx through W/σ; for the weight, with G the gradient with respect to W/σ,
// ∂L/∂W = G/σ − (Σ G⊙W)/σ² · u vᵀ.
func (l spectral[T]) BackwardScratch(p, x, y, dy, dx, dp []T, n int, scratch []T) {
	np, nw := l.NumParams(), l.sn.Rows*l.sn.Cols
	pp := scratch[:np]
	sg := l.normalised(p, pp)
	var dpp []T
	if dp != nil {
		dpp = scratch[np : 2*np]
		clear(dpp)
	}
	if sl, ok := l.inner.(ScratchLayer[T]); ok {
		sl.BackwardScratch(pp, x, y, dy, dx, dpp, n, scratch[2*np:])
	} else {
		l.inner.Backward(pp, x, y, dy, dx, dpp, n)
	}
	if dp == nil {
		return
	}
	gw := 0.0
	for i, g := range dpp[:nw] {
		gw += float64(g) * float64(p[i])
	}
	c := gw / (sg * sg)
	for i := 0; i < l.sn.Rows; i++ {
		ui := l.sn.U[i] * c
		for j := 0; j < l.sn.Cols; j++ {
			k := i*l.sn.Cols + j
			dp[k] += T(float64(dpp[k])/sg - ui*l.sn.V[j])
		}
	}
	for k := nw; k < np; k++ {
		dp[k] += dpp[k]
	}
}

// Forward allocates its scratch; nets call ForwardScratch with a Workspace's.
func (l spectral[T]) Forward(p, x, y []T, n int) {
	l.ForwardScratch(p, x, y, n, make([]T, l.ScratchSize()))
}

// Backward allocates its scratch; nets call BackwardScratch with a Workspace's.
func (l spectral[T]) Backward(p, x, y, dy, dx, dp []T, n int) {
	l.BackwardScratch(p, x, y, dy, dx, dp, n, make([]T, l.ScratchSize()))
}

func (l spectral[T]) spectralNorms() []*SpectralNorm { return []*SpectralNorm{l.sn} }
func (l spectral[T]) appendState(dst []float64) []float64 {
	return append(append(dst, l.sn.U...), l.sn.V...)
}
func (l spectral[T]) powerStep(p []T) { powerStep(l.sn, p[:l.sn.Rows*l.sn.Cols]) }

// withSpectralNorm wraps a built layer whose weight has rows output units.
func withSpectralNorm[T Float](l Layer[T], rows int) (Layer[T], error) {
	var nw int
	switch v := l.(type) {
	case Linear[T]:
		nw = v.Out * v.In
	case Conv2d[T]:
		nw = v.OutC * v.InC * v.K * v.K
	default:
		return nil, fmt.Errorf("spectral_norm applies to linear and conv2d layers")
	}
	sn := &SpectralNorm{Rows: rows, Cols: nw / rows, U: make([]float64, rows), V: make([]float64, nw/rows)}
	return spectral[T]{inner: l, sn: sn}, nil
}

// spectralHolder is a layer with spectral normalisations (a spectral layer, or a residual
// block holding some).
type spectralHolder[T Float] interface {
	spectralNorms() []*SpectralNorm
	// appendState appends every normalisation's u then v to dst (without allocating once
	// dst has room: the trainer records them every iteration).
	appendState(dst []float64) []float64
	powerStep(p []T)
}

// SpectralNorms lists the spectral normalisations of the net's layers, in layer order.
func (net *Net[T]) SpectralNorms() []*SpectralNorm {
	var out []*SpectralNorm
	for _, l := range net.Layers {
		if h, ok := l.(spectralHolder[T]); ok {
			out = append(out, h.spectralNorms()...)
		}
	}
	return out
}

// PowerStep advances every spectral normalisation of the net by one power iteration on the
// current parameters p.
func (net *Net[T]) PowerStep(p []T) {
	for i, l := range net.Layers {
		if h, ok := l.(spectralHolder[T]); ok {
			h.powerStep(net.LayerParams(p, i))
		}
	}
}

// SpectralState is every spectral normalisation's u then v, in layer order, as one vector
// (what model files and undo records keep).
func (net *Net[T]) SpectralState() []float64 { return net.AppendSpectralState(nil) }

// AppendSpectralState appends SpectralState to dst (without allocating once dst has room).
func (net *Net[T]) AppendSpectralState(dst []float64) []float64 {
	for _, l := range net.Layers {
		if h, ok := l.(spectralHolder[T]); ok {
			dst = h.appendState(dst)
		}
	}
	return dst
}

// SetSpectralState sets the vectors SpectralState gives.
func (net *Net[T]) SetSpectralState(v []float64) error {
	sns := net.SpectralNorms()
	n := 0
	for _, s := range sns {
		n += len(s.U) + len(s.V)
	}
	if len(v) != n {
		return fmt.Errorf("nn: spectral state has %d values, the net's normalisations hold %d", len(v), n)
	}
	for _, s := range sns {
		v = v[copy(s.U, v):]
		v = v[copy(s.V, v):]
	}
	return nil
}
