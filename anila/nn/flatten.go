package nn

import "math/rand/v2"

// Flatten turns an NCHW map into flat features, as torch.nn.Flatten does: the values are
// already in that order, so it copies them through.
type Flatten[T Float] struct{ Size int }

// InSize is Size.
func (f Flatten[T]) InSize() int { return f.Size }

// OutSize is Size.
func (f Flatten[T]) OutSize() int { return f.Size }

// NumParams is zero.
func (f Flatten[T]) NumParams() int { return 0 }

// Init does nothing: Flatten has no parameters.
func (f Flatten[T]) Init(p []T, rng *rand.Rand) {}

// Spec describes the layer.
func (f Flatten[T]) Spec() string { return "flatten" }

// Forward copies x into y.
func (f Flatten[T]) Forward(p, x, y []T, n int) { copy(y[:n*f.Size], x[:n*f.Size]) }

// Backward copies dy into dx.
func (f Flatten[T]) Backward(p, x, y, dy, dx, dp []T, n int) {
	if dx != nil {
		copy(dx[:n*f.Size], dy[:n*f.Size])
	}
}

func init() {
	RegisterLayer(LayerType{Name: "flatten", Doc: "an NCHW map as flat features (torch.nn.Flatten)",
		Torch: "Flatten", Fixed: map[string]any{"start_dim": 1, "end_dim": -1},
		Build32: buildFlatten[float32], Build64: buildFlatten[float64]})
}

func buildFlatten[T Float](s LayerSpec, in Shape) (Layer[T], Shape, error) {
	return Flatten[T]{Size: in.Size()}, Shape{in.Size(), 1, 1}, nil
}
