package nn

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Shape is the shape of one example between two layers: C channels of H×W pixels (NCHW),
// or, for flat features, C features with H = W = 1.
type Shape struct{ C, H, W int }

// Size is the number of values of one example, C·H·W.
func (s Shape) Size() int { return s.C * s.H * s.W }

// Flat reports whether the shape is a vector of features (H = W = 1).
func (s Shape) Flat() bool { return s.H == 1 && s.W == 1 }

// String is the shape as PyTorch prints one example's: (C) or (C, H, W).
func (s Shape) String() string {
	if s.Flat() {
		return fmt.Sprintf("(%d)", s.C)
	}
	return fmt.Sprintf("(%d, %d, %d)", s.C, s.H, s.W)
}

// LayerSpec describes one layer of an architecture as data: what model files store, what
// the Python package builds with anila.nn, and what the PyTorch twin is built from. Type is
// a registered layer type (LayerTypes lists them); the other fields are that type's
// settings, named as torch.nn names them, and zero where they do not apply.
type LayerSpec struct {
	Type string `json:"type"`
	// In is the input features (linear) or channels (conv2d): 0 takes them from the layer
	// before; a non-zero In must match it. Expanded fills it.
	In int `json:"in,omitempty"`
	// Out is a linear layer's output features or a convolution's output channels.
	Out int `json:"out,omitempty"`
	// Kernel, Stride and Padding are a convolution's or a pooling layer's geometry (Stride
	// 0 means 1 for a convolution and Kernel for pooling).
	Kernel  int `json:"kernel,omitempty"`
	Stride  int `json:"stride,omitempty"`
	Padding int `json:"padding,omitempty"`
	// Slope is LeakyReLU's negative slope.
	Slope float64 `json:"slope,omitempty"`
	// Bias false leaves a linear or conv2d layer's bias out (nil: with bias).
	Bias *bool `json:"bias,omitempty"`
	// Body and Shortcut are a residual block's two branches, y = body(x) + shortcut(x), the
	// shortcut the identity when empty.
	Body     []LayerSpec `json:"body,omitempty"`
	Shortcut []LayerSpec `json:"shortcut,omitempty"`
	// SpectralNorm uses a linear or conv2d layer's weight spectrally normalised, W/σ
	// (torch.nn.utils.parametrizations.spectral_norm; see SpectralNorm).
	SpectralNorm bool `json:"spectral_norm,omitempty"`
}

// HasBias reports whether a linear or conv2d layer has a bias (Bias nil or true).
func (s LayerSpec) HasBias() bool { return s.Bias == nil || *s.Bias }

// LayerType is a kind of layer, registered once (in the file of the layer, with
// RegisterLayer): how to build it from its spec for a given input shape, in float32 and in
// float64. The built Layer carries everything else: forward, input and parameter gradients,
// parameter count and initialisation, scratch needs (ScratchLayer) and its preferred chunk
// of examples (ChunkHinter).
type LayerType struct {
	// Name is the Type of its specs, e.g. "linear".
	Name string
	// Doc says in a line what the layer computes and which spec fields it takes.
	Doc string
	// HasIn says that the spec's In names the input's channels (or features), as for linear
	// and conv2d.
	HasIn bool
	// Torch names the torch.nn class of the layer's PyTorch twin, which is also the name of
	// its class in the Python package's anila.nn.
	Torch string
	// Args are the spec fields the layer takes, in the order of the torch.nn constructor's
	// positional arguments.
	Args []LayerArg
	// Fixed are torch.nn constructor arguments (and module attributes) that anila supports
	// with these values only, e.g. Conv2d's dilation 1; "bias": true means a bias is required.
	Fixed map[string]any
	// Nested says that the spec holds layer lists (Body, Shortcut) rather than Args.
	Nested bool
	// SpectralNorm says that the layer can be spectrally normalised; Rows gives the rows of
	// its weight matrix (its output units) for a spec and input shape.
	SpectralNorm bool
	Rows         func(s LayerSpec, in Shape) int
	// Build32 and Build64 make the layer for inputs of shape in and return its output shape.
	Build32 func(s LayerSpec, in Shape) (Layer[float32], Shape, error)
	Build64 func(s LayerSpec, in Shape) (Layer[float64], Shape, error)
}

// LayerArg is one setting of a layer type: the LayerSpec field that holds it and the
// torch.nn argument (and module attribute) it corresponds to.
type LayerArg struct {
	// Field is the LayerSpec JSON field: "in", "out", "kernel", "stride", "padding" or "slope".
	Field string `json:"field"`
	// Torch is the torch.nn name, e.g. "in_features".
	Torch string `json:"torch"`
	// Default is the value when not given; nil means required. For pooling, a nil-valued
	// default of Stride means Kernel, as in PyTorch.
	Default any `json:"default"`
}

var layerTypes = map[string]LayerType{}

// RegisterLayer makes a layer type available to BuildLayers under its name. Registering a
// name twice is a programming error and panics.
func RegisterLayer(t LayerType) {
	if t.Name == "" || t.Torch == "" || t.Build32 == nil || t.Build64 == nil {
		panic("nn: RegisterLayer needs a name, a torch.nn class and both builders")
	}
	if _, dup := layerTypes[t.Name]; dup {
		panic("nn: layer type " + t.Name + " registered twice")
	}
	layerTypes[t.Name] = t
}

// LayerTypes lists the registered layer types, sorted by name.
func LayerTypes() []LayerType {
	out := make([]LayerType, 0, len(layerTypes))
	for _, t := range layerTypes {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func layerTypeNames() string {
	var names []string
	for _, t := range LayerTypes() {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

// BuildLayers builds the net of the specs, in order, for inputs of shape in. The last layer
// must give one value per example (an energy); with classifier true, any number.
func BuildLayers[T Float](in Shape, specs []LayerSpec, classifier bool) (*Net[T], error) {
	layers, out, _, err := buildChain[T](in, specs)
	if err != nil {
		return nil, err
	}
	if classifier {
		return NewClassifierNet(layers...)
	}
	if out.Size() != 1 {
		return nil, fmt.Errorf("nn: the last layer must give 1 output (the energy), not shape %v", out)
	}
	return NewNet(layers...)
}

// buildChain builds the layers of specs for inputs of shape in and returns them with the
// output shape and each layer's input shape.
func buildChain[T Float](in Shape, specs []LayerSpec) ([]Layer[T], Shape, []Shape, error) {
	if in.C < 1 || in.H < 1 || in.W < 1 {
		return nil, Shape{}, nil, fmt.Errorf("nn: input shape %v must be positive", in)
	}
	if len(specs) == 0 {
		return nil, Shape{}, nil, fmt.Errorf("nn: an architecture needs at least one layer")
	}
	layers := make([]Layer[T], 0, len(specs))
	ins := make([]Shape, 0, len(specs))
	sh := in
	for i, s := range specs {
		lt, ok := layerTypes[s.Type]
		if !ok {
			return nil, Shape{}, nil, fmt.Errorf("nn: layer %d: unknown layer type %q (known: %s)", i, s.Type, layerTypeNames())
		}
		var (
			l   Layer[T]
			out Shape
			err error
		)
		if Is64[T]() {
			var l64 Layer[float64]
			l64, out, err = lt.Build64(s, sh)
			if err == nil {
				l = any(l64).(Layer[T])
			}
		} else {
			var l32 Layer[float32]
			l32, out, err = lt.Build32(s, sh)
			if err == nil {
				l = any(l32).(Layer[T])
			}
		}
		if err != nil {
			return nil, Shape{}, nil, fmt.Errorf("nn: layer %d (%s) on input %v: %w", i, s.Type, sh, err)
		}
		if s.In != 0 && (!lt.HasIn || s.In != sh.C) {
			if !lt.HasIn {
				return nil, Shape{}, nil, fmt.Errorf("nn: layer %d (%s) takes no in, got %d", i, s.Type, s.In)
			}
			return nil, Shape{}, nil, fmt.Errorf("nn: layer %d (%s) says in=%d but its input has shape %v", i, s.Type, s.In, sh)
		}
		if !lt.Nested && (len(s.Body) > 0 || len(s.Shortcut) > 0) {
			return nil, Shape{}, nil, fmt.Errorf("nn: layer %d (%s) takes no body or shortcut", i, s.Type)
		}
		if s.Bias != nil && !slices.ContainsFunc(lt.Args, func(a LayerArg) bool { return a.Field == "bias" }) {
			return nil, Shape{}, nil, fmt.Errorf("nn: layer %d (%s) has no bias to leave out", i, s.Type)
		}
		if s.SpectralNorm {
			if !lt.SpectralNorm {
				return nil, Shape{}, nil, fmt.Errorf("nn: layer %d (%s) cannot be spectrally normalised (linear and conv2d can)", i, s.Type)
			}
			if l, err = withSpectralNorm(l, lt.Rows(s, sh)); err != nil {
				return nil, Shape{}, nil, fmt.Errorf("nn: layer %d (%s): %w", i, s.Type, err)
			}
		}
		layers = append(layers, l)
		ins = append(ins, sh)
		sh = out
	}
	return layers, sh, ins, nil
}

// ResolveSpecs returns the specs with In filled for every layer type that has it, after
// checking that they build for inputs of shape in.
func ResolveSpecs(in Shape, specs []LayerSpec) ([]LayerSpec, error) {
	_, _, ins, err := buildChain[float32](in, specs)
	if err != nil {
		return nil, err
	}
	out := append([]LayerSpec(nil), specs...)
	for i, s := range out {
		if layerTypes[s.Type].HasIn {
			out[i].In = ins[i].C
		}
		if len(s.Body) > 0 {
			if out[i].Body, err = ResolveSpecs(ins[i], s.Body); err != nil {
				return nil, err
			}
		}
		if len(s.Shortcut) > 0 {
			if out[i].Shortcut, err = ResolveSpecs(ins[i], s.Shortcut); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// flatOnly rejects image-shaped inputs for layers that take feature vectors.
func flatOnly(in Shape) error {
	if !in.Flat() {
		return fmt.Errorf("takes flat features but gets a map of shape %v: add a flatten layer before it", in)
	}
	return nil
}

// positive rejects a spec field that must be at least 1.
func positive(name string, v int) error {
	if v < 1 {
		return fmt.Errorf("%s must be >= 1, got %d", name, v)
	}
	return nil
}
