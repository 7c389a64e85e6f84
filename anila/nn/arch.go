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
	// Channels, Height and Width give the image shape (NCHW) of the conv kinds; In is then
	// Channels·Height·Width.
	Channels int `json:"channels,omitempty"`
	Height   int `json:"height,omitempty"`
	Width    int `json:"width,omitempty"`
	// NF is the conv kinds' base channel count n_f.
	NF int `json:"nf,omitempty"`
}

// Build makes the net the Arch describes. Kinds:
//
//   - "mlp": Linear layers of the Hidden widths with the activation between, then Linear to 1.
//   - "convnet": the 5-layer 3×3 ConvNet: 3×3 convolutions to n_f (stride 1), 2n_f, 4n_f and
//     8n_f channels (stride 2, padding 1), each followed by LeakyReLU(Slope), then a Linear
//     layer to one output. (The paper gives no more detail; this is our reading of it.)
//   - "vanilla": the short-run EBM ConvNet (Nijkamp et al.): a 3×3 convolution to n_f, three
//     4×4 stride-2 convolutions to 2n_f, 4n_f and 8n_f, LeakyReLU(Slope) after each, and a
//     final convolution to one output whose kernel covers the remaining map.
func Build[T Float](a Arch) (*Net[T], error) {
	switch a.Kind {
	case "mlp":
		act, err := ParseActivation(a.Activation)
		if err != nil {
			return nil, err
		}
		return NewMLP[T](MLPConfig{In: a.In, Hidden: a.Hidden, Activation: act, Slope: a.Slope})
	case "convnet", "vanilla":
		return buildConv[T](a)
	}
	return nil, fmt.Errorf("nn: unknown energy architecture %q (want \"mlp\", \"convnet\" or \"vanilla\")", a.Kind)
}

func buildConv[T Float](a Arch) (*Net[T], error) {
	if a.Channels < 1 || a.Height < 1 || a.Width < 1 || a.NF < 1 {
		return nil, fmt.Errorf("nn: %s needs channels, height, width and nf >= 1, got %d, %d, %d, %d",
			a.Kind, a.Channels, a.Height, a.Width, a.NF)
	}
	if a.In != a.Channels*a.Height*a.Width {
		return nil, fmt.Errorf("nn: %s input size %d is not channels·height·width = %d", a.Kind, a.In, a.Channels*a.Height*a.Width)
	}
	var layers []Layer[T]
	c, h, w := a.Channels, a.Height, a.Width
	add := func(out, k, stride, pad int) error {
		cv := Conv2d[T]{InC: c, OutC: out, H: h, W: w, K: k, Stride: stride, Pad: pad}
		if err := cv.Validate(); err != nil {
			return fmt.Errorf("nn: %s on %dx%d images: %w", a.Kind, a.Height, a.Width, err)
		}
		layers = append(layers, cv, Activation[T]{Kind: LeakyReLU, Size: cv.OutSize(), Slope: a.Slope})
		c, h, w = out, cv.OutH(), cv.OutW()
		return nil
	}
	nf := a.NF
	k, pad := 3, 1
	if a.Kind == "vanilla" {
		k = 4
	}
	steps := []struct{ out, k, stride, pad int }{{nf, 3, 1, 1}, {2 * nf, k, 2, pad}, {4 * nf, k, 2, pad}, {8 * nf, k, 2, pad}}
	for _, s := range steps {
		if err := add(s.out, s.k, s.stride, s.pad); err != nil {
			return nil, err
		}
	}
	if a.Kind == "vanilla" {
		layers = append(layers, Conv2d[T]{InC: c, OutC: 1, H: h, W: w, K: min(h, w), Stride: 1})
		if h != w {
			return nil, fmt.Errorf("nn: vanilla needs square images, got %dx%d", a.Height, a.Width)
		}
	} else {
		layers = append(layers, Linear[T]{In: c * h * w, Out: 1})
	}
	return NewNet(layers...)
}

// NumParams is the length of the parameter vector of the net the Arch describes, computed
// without allocating it (0 when the Arch is invalid).
func (a Arch) NumParams() int64 {
	net, err := Build[float32](a)
	if err != nil {
		return 0
	}
	return int64(net.NumParams())
}

// ActivationSize is the number of values one example's forward pass keeps (all layer
// outputs), and ScratchSize the scratch a Workspace needs (0 when the Arch is invalid).
func (a Arch) ActivationSize() (acts, scratch int64) {
	net, err := Build[float32](a)
	if err != nil {
		return 0, 0
	}
	for _, l := range net.Layers {
		acts += int64(l.OutSize())
		if sl, ok := l.(ScratchLayer[float32]); ok {
			scratch = max(scratch, int64(sl.ScratchSize()))
		}
	}
	return acts, scratch
}
