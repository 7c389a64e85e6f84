package nn

import "fmt"

// MLPConfig describes a multilayer perceptron energy: In inputs, Linear layers of the Hidden
// widths each followed by the activation, and a final Linear layer to one output.
type MLPConfig struct {
	In         int
	Hidden     []int
	Activation ActivationKind
	// Slope is LeakyReLU's negative slope (ignored by the other activations); an ELU has
	// alpha 1.
	Slope float64
}

// NewMLP builds the net an MLPConfig describes.
func NewMLP[T Float](c MLPConfig) (*Net[T], error) {
	if c.In <= 0 {
		return nil, fmt.Errorf("nn: MLP input size must be positive, got %d", c.In)
	}
	var layers []Layer[T]
	in := c.In
	for i, h := range c.Hidden {
		if h <= 0 {
			return nil, fmt.Errorf("nn: hidden width %d must be positive, got %d", i, h)
		}
		layers = append(layers, Linear[T]{In: in, Out: h}, Activation[T]{Kind: c.Activation, Size: h, Slope: c.Slope, Alpha: 1})
		in = h
	}
	layers = append(layers, Linear[T]{In: in, Out: 1})
	return NewNet(layers...)
}
