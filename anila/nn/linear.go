package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Linear is y = x·Wᵀ + b with W of shape Out×In (row-major) followed by b (Out) in the
// parameter vector, as torch.nn.Linear stores them.
type Linear[T Float] struct {
	In, Out int
	// NoBias leaves the bias out (torch.nn.Linear(..., bias=False)): the parameters are W only.
	NoBias bool
}

// InSize is the number of input features.
func (l Linear[T]) InSize() int { return l.In }

// OutSize is the number of output features.
func (l Linear[T]) OutSize() int { return l.Out }

// NumParams is Out·In, + Out for the bias.
func (l Linear[T]) NumParams() int {
	if l.NoBias {
		return l.Out * l.In
	}
	return l.Out*l.In + l.Out
}

// Spec describes the layer.
func (l Linear[T]) Spec() string {
	if l.NoBias {
		return fmt.Sprintf("linear(%d,%d,nobias)", l.In, l.Out)
	}
	return fmt.Sprintf("linear(%d,%d)", l.In, l.Out)
}

// Init draws W and b uniformly from ±1/√In, PyTorch's default for nn.Linear.
func (l Linear[T]) Init(p []T, rng *rand.Rand) {
	bound := 1 / math.Sqrt(float64(l.In))
	for i := range p[:l.NumParams()] {
		p[i] = T((2*rng.Float64() - 1) * bound)
	}
}

// Forward computes y = x·Wᵀ + b.
func (l Linear[T]) Forward(p, x, y []T, n int) {
	w, b := p[:l.Out*l.In], p[l.Out*l.In:l.NumParams()]
	y = y[:n*l.Out]
	for i := 0; i < n; i++ {
		if l.NoBias {
			clear(y[i*l.Out : (i+1)*l.Out])
		} else {
			copy(y[i*l.Out:(i+1)*l.Out], b)
		}
	}
	Gemm(false, true, n, l.Out, l.In, 1, x, l.In, w, l.In, 1, y, l.Out)
}

// Backward computes dx = dy·W and adds dW += dyᵀ·x, db += Σ dy.
func (l Linear[T]) Backward(p, x, y, dy, dx, dp []T, n int) {
	w := p[:l.Out*l.In]
	if dx != nil {
		Gemm(false, false, n, l.In, l.Out, 1, dy, l.Out, w, l.In, 0, dx, l.In)
	}
	if dp != nil {
		dw, db := dp[:l.Out*l.In], dp[l.Out*l.In:l.NumParams()]
		Gemm(true, false, l.Out, l.In, n, 1, dy, l.Out, x, l.In, 1, dw, l.In)
		for i := 0; i < n && !l.NoBias; i++ {
			row := dy[i*l.Out : (i+1)*l.Out]
			for j, v := range row {
				db[j] += v
			}
		}
	}
}

func init() {
	RegisterLayer(LayerType{Name: "linear", HasIn: true, Doc: "y = x·Wᵀ + b on flat features (torch.nn.Linear)",
		Torch: "Linear", Args: []LayerArg{IntArg("in", "in_features", nil, 1), IntArg("out", "out_features", nil, 1),
			BoolArg("bias", "bias", true)},
		SpectralNorm: true, Rows: func(s LayerSpec, in Shape) int { return s.Out },
		Build32: buildLinear[float32], Build64: buildLinear[float64]})
}

func buildLinear[T Float](s LayerSpec, in Shape) (Layer[T], Shape, error) {
	if err := flatOnly(in); err != nil {
		return nil, Shape{}, err
	}
	if err := positive("out", s.Out); err != nil {
		return nil, Shape{}, err
	}
	return Linear[T]{In: in.C, Out: s.Out, NoBias: !s.HasBias()}, Shape{s.Out, 1, 1}, nil
}
