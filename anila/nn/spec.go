package nn

import (
	"encoding/json"
	"fmt"
	"math"
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
// settings, named as torch.nn names them, and zero where they do not apply. The structural
// settings (sizes, geometry, bias, branches) have fields of their own; every other numeric
// setting a layer type declares (LeakyReLU's slope, ELU's alpha) lives in Settings, so that
// a layer type adds one in its own file. In JSON all of them are keys of one object.
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
	// Bias false leaves a linear or conv2d layer's bias out (nil: with bias).
	Bias *bool `json:"bias,omitempty"`
	// Body and Shortcut are a residual block's two branches, y = body(x) + shortcut(x), the
	// shortcut the identity when empty.
	Body     []LayerSpec `json:"body,omitempty"`
	Shortcut []LayerSpec `json:"shortcut,omitempty"`
	// SpectralNorm uses a linear or conv2d layer's weight spectrally normalised, W/σ
	// (torch.nn.utils.parametrizations.spectral_norm; see SpectralNorm).
	SpectralNorm bool `json:"spectral_norm,omitempty"`
	// Settings are the numeric settings of the layer type's Args that have no field above,
	// by their JSON key (e.g. "slope"). A setting left out takes its Arg's Default
	// (ResolveSpecs fills it in); one that is given is kept and written, 0 included.
	Settings map[string]float64 `json:"-"`
}

// structuralKeys are the JSON keys of LayerSpec's own fields; every other key is a setting.
var structuralKeys = map[string]bool{"type": true, "in": true, "out": true, "kernel": true, "stride": true,
	"padding": true, "bias": true, "body": true, "shortcut": true, "spectral_norm": true}

// layerSpecFields is LayerSpec without its methods, for the default JSON coding of its fields.
type layerSpecFields LayerSpec

// MarshalJSON writes the spec's fields and its Settings as keys of one object (settings
// always, zero included, so that a 0 survives a round trip).
func (s LayerSpec) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(layerSpecFields(s))
	if err != nil || len(s.Settings) == 0 {
		return b, err
	}
	keys := make([]string, 0, len(s.Settings))
	for k := range s.Settings {
		if structuralKeys[k] {
			return nil, fmt.Errorf("nn: setting %q has the name of a layer spec field", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := append([]byte(nil), b[:len(b)-1]...) // without the closing brace
	for _, k := range keys {
		v := s.Settings[k]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("nn: setting %s=%v is not finite", k, v)
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(append(append(out, kb...), ':'), vb...)
	}
	return append(out, '}'), nil
}

// UnmarshalJSON reads the spec's fields and takes every other key with a number as a
// setting (whether the layer type declares it is checked when the layer is built).
func (s *LayerSpec) UnmarshalJSON(b []byte) error {
	var f layerSpecFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k, raw := range all {
		if structuralKeys[k] || string(raw) == "null" {
			continue
		}
		var v float64
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("nn: layer %q: setting %s must be a number, got %s", f.Type, k, raw)
		}
		if f.Settings == nil {
			f.Settings = map[string]float64{}
		}
		f.Settings[k] = v
	}
	*s = LayerSpec(f)
	return nil
}

// Setting is the value of the numeric setting key: the spec's, or else the Default its layer
// type declares (0 for an unknown type or key).
func (s LayerSpec) Setting(key string) float64 {
	if v, ok := s.Settings[key]; ok {
		return v
	}
	for _, a := range layerTypes[s.Type].Args {
		if a.Field == key {
			if d, ok := a.Default.(float64); ok {
				return d
			}
			if d, ok := a.Default.(int); ok {
				return float64(d)
			}
		}
	}
	return 0
}

// With returns a copy of the spec with the setting key set to v (Settings copied, not shared).
func (s LayerSpec) With(key string, v float64) LayerSpec {
	m := make(map[string]float64, len(s.Settings)+1)
	for k, x := range s.Settings {
		m[k] = x
	}
	m[key] = v
	s.Settings = m
	return s
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

// LayerArg is one setting of a layer type: the LayerSpec JSON key that holds it, the
// torch.nn argument (and module attribute) it corresponds to, and its kind. A key that is
// not one of LayerSpec's own fields ("in", "out", "kernel", "stride", "padding", "bias") is
// kept in LayerSpec.Settings, so a layer type declares a new int or float setting here
// alone; its builder reads it with LayerSpec.Setting.
type LayerArg struct {
	// Field is the LayerSpec JSON key, e.g. "out" or "slope".
	Field string `json:"field"`
	// Torch is the torch.nn name, e.g. "in_features".
	Torch string `json:"torch"`
	// Kind is the value's kind: ArgInt, ArgFloat or ArgBool.
	Kind string `json:"kind"`
	// Default is the value when not given; nil means required. A string names another
	// argument's field whose value is the default (AvgPool2d's stride = kernel, as PyTorch).
	Default any `json:"default"`
	// Min is the smallest value an int setting takes (ignored for the other kinds).
	Min int `json:"min"`
}

// The kinds of a LayerArg.
const (
	ArgInt   = "int"
	ArgFloat = "float"
	ArgBool  = "bool"
)

// IntArg is an int setting with its default (nil: required; a string: another field's
// value) and smallest value.
func IntArg(field, torch string, def any, min int) LayerArg {
	return LayerArg{Field: field, Torch: torch, Kind: ArgInt, Default: def, Min: min}
}

// FloatArg is a float setting with its default (nil: required).
func FloatArg(field, torch string, def any) LayerArg {
	return LayerArg{Field: field, Torch: torch, Kind: ArgFloat, Default: def}
}

// BoolArg is a flag with its default.
func BoolArg(field, torch string, def bool) LayerArg {
	return LayerArg{Field: field, Torch: torch, Kind: ArgBool, Default: def}
}

// setting reports whether the arg is held in LayerSpec.Settings rather than a field.
func (a LayerArg) setting() bool { return !structuralKeys[a.Field] }

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
	for _, a := range t.Args {
		switch {
		case a.Kind != ArgInt && a.Kind != ArgFloat && a.Kind != ArgBool:
			panic(fmt.Sprintf("nn: layer type %s: arg %s has kind %q (want int, float or bool)", t.Name, a.Field, a.Kind))
		case a.setting() && a.Kind == ArgBool:
			panic(fmt.Sprintf("nn: layer type %s: a bool arg must be a LayerSpec field, not %s", t.Name, a.Field))
		case a.setting() && a.Default != nil && !isNumber(a.Default):
			panic(fmt.Sprintf("nn: layer type %s: arg %s needs a number (or nil) as default", t.Name, a.Field))
		}
	}
	layerTypes[t.Name] = t
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, float64:
		return true
	}
	return false
}

// checkSettings rejects settings the layer type does not declare, non-integer values of int
// settings and ints below their Min, and values that are not finite.
func checkSettings(lt LayerType, s LayerSpec) error {
	keys := make([]string, 0, len(s.Settings))
	for k := range s.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := s.Settings[k]
		i := slices.IndexFunc(lt.Args, func(a LayerArg) bool { return a.Field == k && a.setting() })
		if i < 0 {
			return fmt.Errorf("%s takes no setting %q", lt.Name, k)
		}
		a := lt.Args[i]
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Errorf("%s must be finite, got %v", k, v)
		case a.Kind == ArgInt && (v != math.Trunc(v) || v < float64(a.Min)):
			return fmt.Errorf("%s must be an integer >= %d, got %v", k, a.Min, v)
		}
	}
	for _, a := range lt.Args {
		if _, ok := s.Settings[a.Field]; a.setting() && !ok && a.Default == nil {
			return fmt.Errorf("%s needs %s", lt.Name, a.Field)
		}
	}
	return nil
}

// withDefaults returns the spec with every setting its layer type declares filled in
// (the Default where not given).
func withDefaults(lt LayerType, s LayerSpec) LayerSpec {
	for _, a := range lt.Args {
		if _, ok := s.Settings[a.Field]; a.setting() && !ok && a.Default != nil {
			s = s.With(a.Field, s.Setting(a.Field))
		}
	}
	return s
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
		if err := checkSettings(lt, s); err != nil {
			return nil, Shape{}, nil, fmt.Errorf("nn: layer %d (%s): %w", i, s.Type, err)
		}
		s = withDefaults(lt, s)
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
		out[i] = withDefaults(layerTypes[s.Type], s)
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
