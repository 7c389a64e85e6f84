package nn

import (
	"github.com/anila-ebm/anila/anila/internal/pool"
)

// DefaultChunk is the number of examples a NetEnergy of an MLP hands to one task. It fixes
// how sums over a batch are grouped, so results do not depend on the number of threads.
const DefaultChunk = 64

// ConvChunk is the chunk of nets with convolutions: their examples are large, and smaller
// chunks keep a task's data in cache and spread a batch of 64 over the cores.
const ConvChunk = 16

// ChunkHinter is a layer that asks for a number of examples per task (Conv2d asks for
// ConvChunk).
type ChunkHinter interface{ ChunkHint() int }

// ChunkFor is the chunk a NetEnergy of net uses: the smallest ChunkHint of its layers, or
// DefaultChunk when none asks. It depends on the architecture only, never on the thread count.
func ChunkFor[T Float](net *Net[T]) int {
	c := DefaultChunk
	for _, l := range net.Layers {
		if h, ok := l.(ChunkHinter); ok && h.ChunkHint() > 0 {
			c = min(c, h.ChunkHint())
		}
	}
	return c
}

// NetEnergy is a net with its parameters, evaluated on batches split into fixed chunks that
// run in parallel on the shared worker pool. It implements sampler.Energy. It is not safe
// for concurrent use; give each goroutine its own.
type NetEnergy[T Float] struct {
	Net    *Net[T]
	Params []T
	Chunk  int

	ws    []*Workspace[T]
	pgrad [][]T // per-chunk parameter gradients
	run   func(int)
	// the current job
	x, f, g, dOut, dp []T
	n                 int
	mode              int
}

const (
	modeEnergyGrad = iota
	modeForward
	modeBackwardParams
)

// NewNetEnergy wraps net and params (not copied: later changes to params are seen), with
// the chunk ChunkFor(net).
func NewNetEnergy[T Float](net *Net[T], params []T) *NetEnergy[T] {
	e := &NetEnergy[T]{Net: net, Params: params, Chunk: ChunkFor(net)}
	e.run = e.chunk
	return e
}

// Dim is the data dimension.
func (e *NetEnergy[T]) Dim() int { return e.Net.InSize() }

func (e *NetEnergy[T]) chunks(n int) int { return (n + e.Chunk - 1) / e.Chunk }

func (e *NetEnergy[T]) reserve(n int, params bool) {
	nc := e.chunks(n)
	for len(e.ws) < nc {
		e.ws = append(e.ws, e.Net.NewWorkspace(e.Chunk))
	}
	if params {
		for len(e.pgrad) < nc {
			e.pgrad = append(e.pgrad, make([]T, e.Net.NumParams()))
		}
	}
}

func (e *NetEnergy[T]) chunk(c int) {
	lo := c * e.Chunk
	hi := min(lo+e.Chunk, e.n)
	m := hi - lo
	d := e.Dim()
	ws := e.ws[c]
	switch e.mode {
	case modeEnergyGrad:
		e.Net.Forward(e.Params, ws, e.x[lo*d:hi*d], m, e.f[lo:hi])
		ones := ws.bufB[:m] // Backward copies dOut before it touches bufB
		for i := range ones {
			ones[i] = 1
		}
		e.Net.Backward(e.Params, ws, ones, e.g[lo*d:hi*d], nil)
	case modeForward:
		e.Net.Forward(e.Params, ws, e.x[lo*d:hi*d], m, e.f[lo:hi])
	case modeBackwardParams:
		g := e.pgrad[c]
		clear(g)
		e.Net.Backward(e.Params, ws, e.dOut[lo:hi], nil, g)
	}
}

// EnergyGrad writes f(x_i) into f and ∇f(x_i) into g for the n rows of x.
func (e *NetEnergy[T]) EnergyGrad(x []T, n int, f, g []T) {
	e.reserve(n, false)
	e.x, e.f, e.g, e.n, e.mode = x, f, g, n, modeEnergyGrad
	pool.Shared().Run(e.chunks(n), e.run)
	e.x, e.f, e.g = nil, nil, nil
}

// Forward writes f(x_i) into f for the n rows of x and keeps the activations for
// BackwardParams; x must stay unchanged until then.
func (e *NetEnergy[T]) Forward(x []T, n int, f []T) {
	e.reserve(n, true)
	e.x, e.f, e.n, e.mode = x, f, n, modeForward
	pool.Shared().Run(e.chunks(n), e.run)
	e.f = nil
}

// BackwardParams adds Σ_i dOut_i ∇θ f(x_i) over the batch of the last Forward into dp.
// Chunk sums are added in chunk order, so the result does not depend on the thread count.
func (e *NetEnergy[T]) BackwardParams(dOut []T, dp []T) {
	e.dOut, e.mode = dOut, modeBackwardParams
	nc := e.chunks(e.n)
	pool.Shared().Run(nc, e.run)
	for c := 0; c < nc; c++ {
		for i, v := range e.pgrad[c] {
			dp[i] += v
		}
	}
	e.dOut, e.x = nil, nil
}

// SetThreads sets how many goroutines nets are evaluated on (n < 1: GOMAXPROCS). Results do
// not depend on it: batches are split into fixed chunks whatever the thread count.
func SetThreads(n int) { pool.SetThreads(n) }

// Threads is the number of goroutines nets are evaluated on.
func Threads() int { return pool.Threads() }
