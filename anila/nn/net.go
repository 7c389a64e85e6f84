package nn

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Net is a sequence of layers mapping InSize features to one scalar, f(x), per example (an
// energy), or to OutSize scores (a classifier, NewClassifierNet). It holds no parameters:
// they are passed in as one flat vector (see the package doc).
type Net[T Float] struct {
	Layers  []Layer[T]
	offsets []int
	nParams int
	maxSize int
	out     int
	// inShift and inInv standardise the inputs, (x − inShift)·inInv (standardize.go);
	// inShift is nil when the net takes its inputs as they are.
	inShift []T
	inInv   T
}

// NewNet checks that consecutive layer sizes match and that the last layer has one output.
func NewNet[T Float](layers ...Layer[T]) (*Net[T], error) {
	net, err := NewClassifierNet(layers...)
	if err != nil {
		return nil, err
	}
	if net.out != 1 {
		return nil, fmt.Errorf("nn: the last layer must give 1 output (the energy), not %d", net.out)
	}
	return net, nil
}

// NewClassifierNet is NewNet for nets with any number of outputs per example (class scores).
func NewClassifierNet[T Float](layers ...Layer[T]) (*Net[T], error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("nn: a net needs at least one layer")
	}
	net := &Net[T]{Layers: layers, offsets: make([]int, len(layers)+1)}
	for i, l := range layers {
		if l.InSize() <= 0 || l.OutSize() <= 0 {
			return nil, fmt.Errorf("nn: layer %d (%s) has a non-positive size", i, l.Spec())
		}
		if i > 0 && layers[i-1].OutSize() != l.InSize() {
			return nil, fmt.Errorf("nn: layer %d (%s) takes %d features but layer %d (%s) gives %d",
				i, l.Spec(), l.InSize(), i-1, layers[i-1].Spec(), layers[i-1].OutSize())
		}
		net.offsets[i+1] = net.offsets[i] + l.NumParams()
		net.maxSize = max(net.maxSize, l.InSize(), l.OutSize())
	}
	net.nParams = net.offsets[len(layers)]
	net.out = layers[len(layers)-1].OutSize()
	return net, nil
}

// OutSize is the number of outputs per example: 1 for an energy.
func (net *Net[T]) OutSize() int { return net.out }

// InSize is the number of input features (the data dimension).
func (net *Net[T]) InSize() int { return net.Layers[0].InSize() }

// NumParams is the length of the flat parameter vector.
func (net *Net[T]) NumParams() int { return net.nParams }

// LayerParams returns layer i's part of the flat parameter vector p.
func (net *Net[T]) LayerParams(p []T, i int) []T { return p[net.offsets[i]:net.offsets[i+1]] }

// Init draws fresh parameters into p from rng, layer by layer.
func (net *Net[T]) Init(p []T, rng *rand.Rand) {
	for i, l := range net.Layers {
		l.Init(net.LayerParams(p, i), rng)
	}
}

// Spec describes the architecture, e.g. "linear(2,128) silu linear(128,1)".
func (net *Net[T]) Spec() string {
	s := make([]string, len(net.Layers))
	for i, l := range net.Layers {
		s[i] = l.Spec()
	}
	return strings.Join(s, " ")
}

// Workspace holds the activations of one Forward for up to Cap examples, for the Backward
// that follows, and the scratch space of Backward.
type Workspace[T Float] struct {
	Cap     int
	acts    [][]T // acts[i] is the input of layer i; acts[len] the output
	scratch []T   // for ScratchLayers
	lws     []any // for WorkspaceLayers, by layer
	bufA    []T
	bufB    []T
	in      []T // standardised inputs, for nets that standardise
	n       int
}

// NewWorkspace allocates space for batches of up to maxBatch examples.
func (net *Net[T]) NewWorkspace(maxBatch int) *Workspace[T] {
	ws := &Workspace[T]{Cap: maxBatch, acts: make([][]T, len(net.Layers)+1)}
	for i, l := range net.Layers {
		ws.acts[i+1] = make([]T, maxBatch*l.OutSize())
	}
	sc := 0
	for _, l := range net.Layers {
		if sl, ok := l.(ScratchLayer[T]); ok {
			sc = max(sc, sl.ScratchSize())
		}
	}
	ws.scratch = make([]T, sc)
	ws.lws = make([]any, len(net.Layers))
	for i, l := range net.Layers {
		if wl, ok := l.(WorkspaceLayer[T]); ok {
			ws.lws[i] = wl.NewLayerWorkspace(maxBatch)
		}
	}
	ws.bufA = make([]T, maxBatch*net.maxSize)
	ws.bufB = make([]T, maxBatch*net.maxSize)
	if net.Standardized() {
		ws.in = make([]T, maxBatch*net.InSize())
	}
	return ws
}

// Forward evaluates f on the n rows of x (n×InSize) into out (n×OutSize), keeping the
// activations in ws for Backward. x must stay unchanged until Backward has run.
func (net *Net[T]) Forward(p []T, ws *Workspace[T], x []T, n int, out []T) {
	if n > ws.Cap {
		panic(fmt.Sprintf("nn: batch of %d examples in a workspace for %d", n, ws.Cap))
	}
	ws.n = n
	ws.acts[0] = x[:n*net.InSize()]
	if net.Standardized() {
		net.standardize(ws.in, x, n)
		ws.acts[0] = ws.in[:n*net.InSize()]
	}
	for i, l := range net.Layers {
		if sl, ok := l.(ScratchLayer[T]); ok {
			sl.ForwardScratch(net.LayerParams(p, i), ws.acts[i], ws.acts[i+1], n, ws.scratch)
			continue
		}
		if wl, ok := l.(WorkspaceLayer[T]); ok {
			wl.ForwardWS(net.LayerParams(p, i), ws.acts[i], ws.acts[i+1], n, ws.lws[i])
			continue
		}
		l.Forward(net.LayerParams(p, i), ws.acts[i], ws.acts[i+1], n)
	}
	copy(out[:n*net.out], ws.acts[len(net.Layers)][:n*net.out])
}

// Activation returns layer i's output of the last Forward (n×Layers[i].OutSize()): the
// features a classifier's hidden layers compute. It is overwritten by the next Forward.
func (net *Net[T]) Activation(ws *Workspace[T], i int) []T {
	return ws.acts[i+1][:ws.n*net.Layers[i].OutSize()]
}

// Backward propagates dOut (n×OutSize, the gradient of a loss with respect to each output) through
// the net of the last Forward: it writes ∇x into dx (n×InSize) when dx is not nil and adds
// the parameter gradient into dp (NumParams) when dp is not nil.
func (net *Net[T]) Backward(p []T, ws *Workspace[T], dOut []T, dx, dp []T) {
	n := ws.n
	dy := ws.bufA[:n*net.out]
	copy(dy, dOut[:n*net.out])
	other := ws.bufB
	for i := len(net.Layers) - 1; i >= 0; i-- {
		l := net.Layers[i]
		var dxl []T
		switch {
		case i > 0:
			dxl = other[:n*l.InSize()]
		case dx != nil:
			dxl = dx[:n*l.InSize()]
		}
		var dpl []T
		if dp != nil && l.NumParams() > 0 {
			dpl = net.LayerParams(dp, i)
		}
		if dxl == nil && dpl == nil {
			break
		}
		if sl, ok := l.(ScratchLayer[T]); ok {
			sl.BackwardScratch(net.LayerParams(p, i), ws.acts[i], ws.acts[i+1], dy, dxl, dpl, n, ws.scratch)
		} else if wl, ok := l.(WorkspaceLayer[T]); ok {
			wl.BackwardWS(net.LayerParams(p, i), ws.acts[i], ws.acts[i+1], dy, dxl, dpl, n, ws.lws[i])
		} else {
			l.Backward(net.LayerParams(p, i), ws.acts[i], ws.acts[i+1], dy, dxl, dpl, n)
		}
		if i == 0 && dxl != nil && net.Standardized() {
			for k := range dxl {
				dxl[k] *= net.inInv
			}
		}
		if i > 0 {
			// The next dy is this dx; swap the buffers.
			if &other[0] == &ws.bufA[0] {
				dy, other = dxl, ws.bufB
			} else {
				dy, other = dxl, ws.bufA
			}
		}
	}
}

// CenterFirstLayer moves each unit of a first Linear layer so that its hyperplane passes
// through a data point drawn from the n rows of x: bias_j = −w_j·x_r. The default
// initialisation puts every hyperplane within about one unit of the origin, which leaves
// little resolution for data far from it (the outer toy rings); this spreads the units over
// the data instead. It does nothing when the first layer is not Linear.
func (net *Net[T]) CenterFirstLayer(p []T, x []T, n int, rng *rand.Rand) {
	l, ok := net.Layers[0].(Linear[T])
	if !ok || n == 0 {
		return
	}
	lp := net.LayerParams(p, 0)
	w, b := lp[:l.Out*l.In], lp[l.Out*l.In:]
	for j := 0; j < l.Out; j++ {
		row := x[rng.IntN(n)*l.In:]
		s := 0.0
		for i := 0; i < l.In; i++ {
			v := float64(row[i])
			if net.Standardized() {
				v = float64((row[i] - net.inShift[i]) * net.inInv)
			}
			s += float64(w[j*l.In+i]) * v
		}
		b[j] = T(-s)
	}
}
