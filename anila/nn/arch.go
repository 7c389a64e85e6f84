package nn

import "fmt"

// Arch names an energy architecture in a form that can be saved and rebuilt: a preset
// (Kind "mlp", "convnet" or "vanilla", with its few settings) or, with Kind "layers", a list
// of layer specs. Expanded fills Layers for presets too; model files store that list.
type Arch struct {
	// Kind is the architecture family: "mlp", "convnet", "vanilla" or "layers".
	Kind string `json:"kind"`
	// In is the data dimension.
	In int `json:"in"`
	// Hidden are the MLP's hidden widths.
	Hidden []int `json:"hidden"`
	// Activation names the MLP's nonlinearity (see ParseActivation).
	Activation string `json:"activation"`
	// Slope is LeakyReLU's negative slope.
	Slope float64 `json:"slope"`
	// Channels, Height and Width give the image shape (NCHW) of the conv kinds, and of
	// "layers" nets on images; In is then Channels·Height·Width.
	Channels int `json:"channels,omitempty"`
	Height   int `json:"height,omitempty"`
	Width    int `json:"width,omitempty"`
	// NF is the conv kinds' base channel count n_f.
	NF int `json:"nf,omitempty"`
	// Layers is the architecture as layer specs: given for Kind "layers", filled from the
	// preset by Expanded for the others.
	Layers []LayerSpec `json:"layers,omitempty"`
	// InShift and InScale, when InScale > 0, make the net see (x − InShift)/InScale
	// (Net.SetInputStandardization); InShift has In entries.
	InShift []float64 `json:"in_shift,omitempty"`
	InScale float64   `json:"in_scale,omitempty"`
}

// InputShape is the shape of one example: (Channels, Height, Width) when an image shape is
// given, else In flat features.
func (a Arch) InputShape() Shape {
	if a.Channels > 0 || a.Height > 0 || a.Width > 0 {
		return Shape{a.Channels, a.Height, a.Width}
	}
	return Shape{a.In, 1, 1}
}

// Expanded returns the Arch with Layers holding its layer specs (for a preset, the preset's
// layers), after checking the input shape.
func (a Arch) Expanded() (Arch, error) {
	specs, err := a.specs()
	if err != nil {
		return a, err
	}
	if a.Layers, err = ResolveSpecs(a.InputShape(), specs); err != nil {
		return a, err
	}
	return a, nil
}

// Build makes the net the Arch describes, from its layer specs. Presets:
//
//   - "mlp": Linear layers of the Hidden widths with the activation between, then Linear to 1.
//   - "convnet": the 5-layer 3×3 ConvNet: 3×3 convolutions to n_f (stride 1), 2n_f, 4n_f and
//     8n_f channels (stride 2, padding 1), each followed by LeakyReLU(Slope), then flatten and
//     a Linear layer to one output. (The paper gives no more detail; this is our reading.)
//   - "vanilla": the short-run EBM ConvNet (Nijkamp et al.): a 3×3 convolution to n_f, three
//     4×4 stride-2 convolutions to 2n_f, 4n_f and 8n_f, LeakyReLU(Slope) after each, and a
//     final convolution to one output whose kernel covers the remaining map.
//
// With InScale > 0 the net standardises its inputs (standardize.go).
func Build[T Float](a Arch) (*Net[T], error) {
	specs, err := a.specs()
	if err != nil {
		return nil, err
	}
	net, err := BuildLayers[T](a.InputShape(), specs, false)
	if err != nil || a.InScale == 0 {
		return net, err
	}
	return net, net.SetInputStandardization(a.InShift, a.InScale)
}

func (a Arch) specs() ([]LayerSpec, error) {
	sh := a.InputShape()
	if sh.Size() != a.In || a.In < 1 {
		return nil, fmt.Errorf("nn: %s input size %d is not channels·height·width = %d", a.Kind, a.In, sh.Size())
	}
	switch a.Kind {
	case "mlp":
		if !sh.Flat() {
			return nil, fmt.Errorf("nn: mlp takes flat features, got input shape %v", sh)
		}
		act, err := ParseActivation(a.Activation)
		if err != nil {
			return nil, err
		}
		var specs []LayerSpec
		for i, h := range a.Hidden {
			if h <= 0 {
				return nil, fmt.Errorf("nn: hidden width %d must be positive, got %d", i, h)
			}
			specs = append(specs, LayerSpec{Type: "linear", Out: h}, activationSpec(act, a.Slope))
		}
		return append(specs, LayerSpec{Type: "linear", Out: 1}), nil
	case "convnet", "vanilla":
		return convSpecs(a)
	case "layers":
		if len(a.Layers) == 0 {
			return nil, fmt.Errorf("nn: a \"layers\" architecture needs at least one layer")
		}
		return append([]LayerSpec(nil), a.Layers...), nil
	}
	return nil, fmt.Errorf("nn: unknown energy architecture %q (want \"mlp\", \"convnet\", \"vanilla\" or \"layers\")", a.Kind)
}

// activationSpec is the spec of an activation layer (slope for LeakyReLU only; the other
// settings, such as ELU's alpha, at their defaults).
func activationSpec(k ActivationKind, slope float64) LayerSpec {
	if k == LeakyReLU {
		return leakySpec(slope)
	}
	return LayerSpec{Type: k.String()}
}

func convSpecs(a Arch) ([]LayerSpec, error) {
	if a.Channels < 1 || a.Height < 1 || a.Width < 1 || a.NF < 1 {
		return nil, fmt.Errorf("nn: %s needs channels, height, width and nf >= 1, got %d, %d, %d, %d",
			a.Kind, a.Channels, a.Height, a.Width, a.NF)
	}
	var specs []LayerSpec
	h, w := a.Height, a.Width
	nf := a.NF
	k := 3
	if a.Kind == "vanilla" {
		k = 4
	}
	for _, s := range []struct{ out, k, stride, pad int }{{nf, 3, 1, 1}, {2 * nf, k, 2, 1}, {4 * nf, k, 2, 1}, {8 * nf, k, 2, 1}} {
		oh, ow := outSize(h, s.k, s.stride, s.pad), outSize(w, s.k, s.stride, s.pad)
		if oh < 1 || ow < 1 {
			return nil, fmt.Errorf("nn: %s on %dx%d images: a %dx%d stride-%d convolution leaves no output",
				a.Kind, a.Height, a.Width, s.k, s.k, s.stride)
		}
		specs = append(specs, LayerSpec{Type: "conv2d", Out: s.out, Kernel: s.k, Stride: s.stride, Padding: s.pad},
			leakySpec(a.Slope))
		h, w = oh, ow
	}
	if a.Kind == "vanilla" {
		if h != w {
			return nil, fmt.Errorf("nn: vanilla needs square images, got %dx%d", a.Height, a.Width)
		}
		return append(specs, LayerSpec{Type: "conv2d", Out: 1, Kernel: h, Stride: 1}), nil
	}
	return append(specs, LayerSpec{Type: "flatten"}, LayerSpec{Type: "linear", Out: 1}), nil
}

// Footprint is what a net of an Arch needs, for memory estimates: Params, the length of its
// parameter vector; Acts, the values one example's forward pass keeps (all layer outputs and
// what layers keep besides); Scratch, the scratch a Workspace needs; Chunk, the examples per
// task of a NetEnergy (ChunkFor).
type Footprint struct {
	Params, Acts, Scratch int64
	Chunk                 int
}

// Footprint builds the net once to measure it, without allocating its parameters; an
// invalid Arch gives zeros and DefaultChunk.
func (a Arch) Footprint() Footprint {
	net, err := Build[float32](a)
	if err != nil {
		return Footprint{Chunk: DefaultChunk}
	}
	fp := Footprint{Params: int64(net.NumParams()), Chunk: ChunkFor(net)}
	for _, l := range net.Layers {
		fp.Acts += int64(l.OutSize())
		if av, ok := l.(interface{ ActivationValues() int }); ok {
			fp.Acts += int64(av.ActivationValues())
		}
		if sl, ok := l.(ScratchLayer[float32]); ok {
			fp.Scratch = max(fp.Scratch, int64(sl.ScratchSize()))
		}
	}
	return fp
}

// NumParams is the length of the parameter vector of the net the Arch describes, computed
// without allocating it (0 when the Arch is invalid).
func (a Arch) NumParams() int64 { return a.Footprint().Params }
