package nn

import "fmt"

// Arch names an energy architecture in a form that can be saved and rebuilt.
type Arch struct {
	// Kind is the architecture family: "mlp".
	Kind string `json:"kind"`
	// In is the data dimension.
	In int `json:"in"`
	// Hidden are the MLP's hidden widths.
	Hidden []int `json:"hidden"`
	// Activation names the nonlinearity (see ParseActivation).
	Activation string `json:"activation"`
	// Slope is LeakyReLU's negative slope.
	Slope float64 `json:"slope"`
}

// Build makes the net the Arch describes.
func Build[T Float](a Arch) (*Net[T], error) {
	switch a.Kind {
	case "mlp":
		act, err := ParseActivation(a.Activation)
		if err != nil {
			return nil, err
		}
		return NewMLP[T](MLPConfig{In: a.In, Hidden: a.Hidden, Activation: act, Slope: a.Slope})
	}
	return nil, fmt.Errorf("nn: unknown energy architecture %q (want \"mlp\")", a.Kind)
}
