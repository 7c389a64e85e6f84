package nn

import (
	"fmt"
	"math/rand/v2"
)

// Residual is a residual block, y = body(x) + shortcut(x), with the shortcut the identity
// when Shortcut is nil (then body must keep the shape). IGEBM's block is a body of two 3×3
// convolutions with an activation between, and a 1×1 convolution as shortcut where the
// channels or the size change. Parameters: the body's, then the shortcut's.
type Residual[T Float] struct {
	Body, Shortcut *Net[T]
}

// residualWS is a Residual's workspace: its branches' Workspaces and two buffers.
type residualWS[T Float] struct {
	body, short *Workspace[T]
	tmp, dxb    []T
}

// InSize is the body's input size.
func (r Residual[T]) InSize() int { return r.Body.InSize() }

// OutSize is the body's output size.
func (r Residual[T]) OutSize() int { return r.Body.OutSize() }

func (r Residual[T]) shortParams() int {
	if r.Shortcut == nil {
		return 0
	}
	return r.Shortcut.NumParams()
}

// NumParams is the body's parameters and the shortcut's.
func (r Residual[T]) NumParams() int { return r.Body.NumParams() + r.shortParams() }

// Init draws the body's parameters, then the shortcut's.
func (r Residual[T]) Init(p []T, rng *rand.Rand) {
	nb := r.Body.NumParams()
	r.Body.Init(p[:nb], rng)
	if r.Shortcut != nil {
		r.Shortcut.Init(p[nb:r.NumParams()], rng)
	}
}

// Spec describes the layer.
func (r Residual[T]) Spec() string {
	short := "identity"
	if r.Shortcut != nil {
		short = r.Shortcut.Spec()
	}
	return fmt.Sprintf("residual(%s + %s)", r.Body.Spec(), short)
}

// ChunkHint is the smaller chunk its branches ask for.
func (r Residual[T]) ChunkHint() int {
	c := ChunkFor(r.Body)
	if r.Shortcut != nil {
		c = min(c, ChunkFor(r.Shortcut))
	}
	return c
}

// ActivationValues is how many values per example the block keeps besides its output (its
// branches' activations and its buffers), for memory estimates.
func (r Residual[T]) ActivationValues() int {
	v := r.InSize() + r.OutSize()
	for _, net := range []*Net[T]{r.Body, r.Shortcut} {
		if net != nil {
			for _, l := range net.Layers {
				v += l.OutSize()
			}
			v += 2 * net.maxSize
		}
	}
	return v
}

func (r Residual[T]) spectralNorms() []*SpectralNorm {
	out := r.Body.SpectralNorms()
	if r.Shortcut != nil {
		out = append(out, r.Shortcut.SpectralNorms()...)
	}
	return out
}

func (r Residual[T]) appendState(dst []float64) []float64 {
	dst = r.Body.AppendSpectralState(dst)
	if r.Shortcut != nil {
		dst = r.Shortcut.AppendSpectralState(dst)
	}
	return dst
}

func (r Residual[T]) powerStep(p []T) {
	nb := r.Body.NumParams()
	r.Body.PowerStep(p[:nb])
	if r.Shortcut != nil {
		r.Shortcut.PowerStep(p[nb:r.NumParams()])
	}
}

// NewLayerWorkspace makes the block's workspace for batches of up to maxBatch examples.
func (r Residual[T]) NewLayerWorkspace(maxBatch int) any {
	ws := &residualWS[T]{body: r.Body.NewWorkspace(maxBatch), dxb: make([]T, maxBatch*r.InSize())}
	if r.Shortcut != nil {
		ws.short = r.Shortcut.NewWorkspace(maxBatch)
		ws.tmp = make([]T, maxBatch*r.OutSize())
	}
	return ws
}

// ForwardWS computes body(x) + shortcut(x), keeping both branches' activations in ws.
func (r Residual[T]) ForwardWS(p, x, y []T, n int, w any) {
	ws := w.(*residualWS[T])
	nb, out := r.Body.NumParams(), n*r.OutSize()
	r.Body.Forward(p[:nb], ws.body, x, n, y)
	if r.Shortcut == nil {
		for i, v := range x[:out] {
			y[i] += v
		}
		return
	}
	r.Shortcut.Forward(p[nb:r.NumParams()], ws.short, x, n, ws.tmp)
	for i, v := range ws.tmp[:out] {
		y[i] += v
	}
}

// BackwardWS writes ∇x (when dx is not nil) and adds ∇θ (when dp is not nil) through both
// branches of the last ForwardWS.
func (r Residual[T]) BackwardWS(p, x, y, dy, dx, dp []T, n int, w any) {
	ws := w.(*residualWS[T])
	nb, np := r.Body.NumParams(), r.NumParams()
	var dpb, dps []T
	if dp != nil {
		dpb, dps = dp[:nb], dp[nb:np]
	}
	var dxb []T
	if dx != nil {
		dxb = ws.dxb[:n*r.InSize()]
	}
	r.Body.Backward(p[:nb], ws.body, dy, dxb, dpb)
	switch {
	case r.Shortcut != nil:
		r.Shortcut.Backward(p[nb:np], ws.short, dy, dx, dps)
		if dx != nil {
			for i, v := range dxb {
				dx[i] += v
			}
		}
	case dx != nil:
		for i, v := range dxb {
			dx[i] = v + dy[i]
		}
	}
}

// Forward runs ForwardWS with a workspace made for the call (it allocates; nets use ForwardWS).
func (r Residual[T]) Forward(p, x, y []T, n int) { r.ForwardWS(p, x, y, n, r.NewLayerWorkspace(n)) }

// Backward recomputes the forward pass in a workspace made for the call, then runs
// BackwardWS (it allocates; nets use BackwardWS).
func (r Residual[T]) Backward(p, x, y, dy, dx, dp []T, n int) {
	ws := r.NewLayerWorkspace(n)
	tmp := make([]T, n*r.OutSize())
	r.ForwardWS(p, x, tmp, n, ws)
	r.BackwardWS(p, x, y, dy, dx, dp, n, ws)
}

func init() {
	RegisterLayer(LayerType{Name: "residual", Torch: "Residual", Nested: true,
		Doc:     "y = body(x) + shortcut(x), the shortcut the identity when empty (anila.nn.Residual)",
		Build32: buildResidual[float32], Build64: buildResidual[float64]})
}

func buildResidual[T Float](s LayerSpec, in Shape) (Layer[T], Shape, error) {
	body, out, _, err := buildChain[T](in, s.Body)
	if err != nil {
		return nil, Shape{}, fmt.Errorf("body: %w", err)
	}
	bnet, err := NewClassifierNet(body...)
	if err != nil {
		return nil, Shape{}, err
	}
	r := Residual[T]{Body: bnet}
	if len(s.Shortcut) == 0 {
		if out != in {
			return nil, Shape{}, fmt.Errorf("the body maps %v to %v: an identity shortcut needs the same shape; give a shortcut (e.g. a 1x1 conv2d)", in, out)
		}
		return r, out, nil
	}
	short, sout, _, err := buildChain[T](in, s.Shortcut)
	if err != nil {
		return nil, Shape{}, fmt.Errorf("shortcut: %w", err)
	}
	if sout != out {
		return nil, Shape{}, fmt.Errorf("the body gives %v but the shortcut %v", out, sout)
	}
	if r.Shortcut, err = NewClassifierNet(short...); err != nil {
		return nil, Shape{}, err
	}
	return r, out, nil
}
