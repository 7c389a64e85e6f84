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

// NumParams is the length of the parameter vector of the net the Arch describes, computed
// without building it (0 for an unknown kind).
func (a Arch) NumParams() int64 {
	if a.Kind != "mlp" {
		return 0
	}
	var n int64
	in := int64(a.In)
	for _, h := range a.Hidden {
		n += (in + 1) * int64(h)
		in = int64(h)
	}
	return n + in + 1
}

// MaxWidth is the widest layer of the net (its input included).
func (a Arch) MaxWidth() int64 {
	w := int64(a.In)
	for _, h := range a.Hidden {
		w = max(w, int64(h))
	}
	return w
}
