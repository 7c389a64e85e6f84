package nn

import "math/rand/v2"

// Layer is one stage of a net, acting on a batch of n examples stored row-major.
//
// Forward reads x (n×InSize) and writes y (n×OutSize). Backward, given the output gradient
// dy, writes the input gradient into dx when dx is not nil and adds the parameter gradient
// into dp when dp is not nil; x and y are the Forward input and output. dx may alias dy
// for layers with InSize == OutSize and no parameters.
type Layer[T Float] interface {
	InSize() int
	OutSize() int
	NumParams() int
	// Init draws initial parameters into p (len NumParams).
	Init(p []T, rng *rand.Rand)
	Forward(p, x, y []T, n int)
	Backward(p, x, y, dy, dx, dp []T, n int)
	// Spec describes the layer for saving and printing, e.g. "linear(2,128)".
	Spec() string
}

// ScratchLayer is a Layer that needs scratch space for each call (Conv2d's patch matrix);
// a Net hands it the Workspace's, so that nothing is allocated per call.
type ScratchLayer[T Float] interface {
	Layer[T]
	ScratchSize() int
	ForwardScratch(p, x, y []T, n int, scratch []T)
	BackwardScratch(p, x, y, dy, dx, dp []T, n int, scratch []T)
}

// WorkspaceLayer is a Layer that keeps per-batch state of its own between Forward and
// Backward (a residual block's inner activations): a Net makes its workspace once, with the
// Net's Workspace, and hands it to every call, so that nothing is allocated per call.
type WorkspaceLayer[T Float] interface {
	Layer[T]
	NewLayerWorkspace(maxBatch int) any
	ForwardWS(p, x, y []T, n int, ws any)
	BackwardWS(p, x, y, dy, dx, dp []T, n int, ws any)
}
