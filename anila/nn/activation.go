package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ActivationKind names an elementwise nonlinearity.
type ActivationKind int

// The activations offered by Activation.
const (
	LeakyReLU ActivationKind = iota // x if x > 0, else Slope·x
	SiLU                            // x·σ(x), also called Swish
	Tanh                            // tanh(x)
	ELU                             // x if x > 0, else Alpha·(exp(x) − 1)
	Softplus                        // log(1 + exp(x)); x itself above 20, as torch.nn.Softplus
	GELU                            // x·Φ(x), Φ the standard normal CDF (exact, as torch.nn.GELU)
)

var activationNames = map[ActivationKind]string{LeakyReLU: "leakyrelu", SiLU: "silu", Tanh: "tanh", ELU: "elu",
	Softplus: "softplus", GELU: "gelu"}

// String is the activation's name as the Python API spells it.
func (k ActivationKind) String() string {
	if s, ok := activationNames[k]; ok {
		return s
	}
	return fmt.Sprintf("activation(%d)", int(k))
}

// ParseActivation maps a name ("leakyrelu", "silu" or "swish", "tanh", "elu") to its kind.
func ParseActivation(name string) (ActivationKind, error) {
	if name == "swish" {
		return SiLU, nil
	}
	for k, s := range activationNames {
		if s == name {
			return k, nil
		}
	}
	return 0, fmt.Errorf("activation: unknown name %q (want leakyrelu, silu, swish, tanh, elu, softplus or gelu)", name)
}

// Activation applies Kind elementwise to Size features; Slope is LeakyReLU's negative slope
// and Alpha ELU's alpha (torch.nn.ELU's default is 1; the zero value means alpha 0).
type Activation[T Float] struct {
	Kind  ActivationKind
	Size  int
	Slope float64
	Alpha float64
}

// param is the one setting of the activation's kind passed to the native kernels: LeakyReLU's
// slope, ELU's alpha, else 0.
func (a Activation[T]) param() float64 {
	switch a.Kind {
	case LeakyReLU:
		return a.Slope
	case ELU:
		return a.Alpha
	}
	return 0
}

// InSize is Size.
func (a Activation[T]) InSize() int { return a.Size }

// OutSize is Size.
func (a Activation[T]) OutSize() int { return a.Size }

// NumParams is zero.
func (a Activation[T]) NumParams() int { return 0 }

// Init does nothing: activations have no parameters.
func (a Activation[T]) Init(p []T, rng *rand.Rand) {}

// Spec describes the layer.
func (a Activation[T]) Spec() string {
	if a.Kind == LeakyReLU {
		return fmt.Sprintf("leakyrelu(%g)", a.Slope)
	}
	if a.Kind == ELU && a.Alpha != 1 {
		return fmt.Sprintf("elu(%g)", a.Alpha)
	}
	return a.Kind.String()
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// activationKernels32, when set (build tag cblas), runs a float32 activation pass in native
// code and reports whether it handled it; param is LeakyReLU's slope or ELU's alpha.
var activationKernels32 func(kind ActivationKind, param float32, x, y, dy, dx []float32, backward bool) bool

// activationKernels64, when set (build tag cblas), runs a float64 activation pass in native
// code and reports whether it handled it; param is LeakyReLU's slope or ELU's alpha.
var activationKernels64 func(kind ActivationKind, param float64, x, y, dy, dx []float64, backward bool) bool

func (a Activation[T]) native(x, y, dy, dx []T, backward bool) bool {
	if Is64[T]() {
		return activationKernels64 != nil &&
			activationKernels64(a.Kind, a.param(), f64s(x), f64s(y), f64s(dy), f64s(dx), backward)
	}
	if activationKernels32 == nil {
		return false
	}
	return activationKernels32(a.Kind, float32(a.param()), f32s(x), f32s(y), f32s(dy), f32s(dx), backward)
}

// Forward applies the nonlinearity.
func (a Activation[T]) Forward(p, x, y []T, n int) {
	x, y = x[:n*a.Size], y[:n*a.Size]
	if a.native(x, y, nil, nil, false) {
		return
	}
	switch a.Kind {
	case LeakyReLU:
		s := T(a.Slope)
		for i, v := range x {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = s * v
			}
		}
	case SiLU:
		if Is64[T]() {
			for i, v := range x {
				y[i] = T(float64(v) * sigmoid(float64(v)))
			}
			return
		}
		for i, v := range x {
			y[i] = T(float32(v) / (1 + expf32(-float32(v))))
		}
	case Tanh:
		if Is64[T]() {
			for i, v := range x {
				y[i] = T(math.Tanh(float64(v)))
			}
			return
		}
		// tanh(x) = 1 − 2/(exp(2x) + 1), accurate to float32 precision
		for i, v := range x {
			y[i] = T(1 - 2/(expf32(2*float32(v))+1))
		}
	case ELU:
		for i, v := range x {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = T(a.Alpha * math.Expm1(float64(v)))
			}
		}
	case Softplus:
		for i, v := range x {
			if v > softplusThreshold {
				y[i] = v
			} else {
				y[i] = T(math.Log1p(math.Exp(float64(v))))
			}
		}
	case GELU:
		for i, v := range x {
			xv := float64(v)
			y[i] = T(xv * normalCDF(xv))
		}
	}
}

// normalCDF is Φ(x) = ½·erfc(−x/√2), accurate in both tails (½(1 + erf(x/√2)) loses all
// digits as Φ goes to 0).
func normalCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// softplusThreshold is torch.nn.Softplus's default: above it softplus(x) is x.
const softplusThreshold = 20

// Backward multiplies dy by the derivative; dx may alias dy. Activations have no parameters.
func (a Activation[T]) Backward(p, x, y, dy, dx, dp []T, n int) {
	if dx == nil {
		return
	}
	x, y, dy, dx = x[:n*a.Size], y[:n*a.Size], dy[:n*a.Size], dx[:n*a.Size]
	if a.native(x, y, dy, dx, true) {
		return
	}
	switch a.Kind {
	case LeakyReLU:
		s := T(a.Slope)
		for i, v := range x {
			if v > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = s * dy[i]
			}
		}
	case SiLU:
		// σ(x) = y/x recovers the forward pass's sigmoid without another exp;
		// d/dx x·σ(x) = σ + y·(1 − σ).
		for i, v := range x {
			xv := float64(v)
			var sg float64
			if math.Abs(xv) > 1e-6 {
				sg = float64(y[i]) / xv
			} else {
				sg = sigmoid(xv)
			}
			dx[i] = T(float64(dy[i]) * (sg + float64(y[i])*(1-sg)))
		}
	case Tanh:
		for i, v := range y {
			dx[i] = dy[i] * (1 - v*v)
		}
	case ELU:
		// d/dx α(exp(x) − 1) = α·exp(x) = y + α
		al := T(a.Alpha)
		for i, v := range x {
			if v > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = dy[i] * (y[i] + al)
			}
		}
	case Softplus:
		for i, v := range x {
			if v > softplusThreshold {
				dx[i] = dy[i]
			} else {
				dx[i] = T(float64(dy[i]) * sigmoid(float64(v)))
			}
		}
	case GELU:
		// d/dx x·Φ(x) = Φ(x) + x·φ(x)
		for i, v := range x {
			xv := float64(v)
			cdf := normalCDF(xv)
			pdf := math.Exp(-0.5*xv*xv) / math.Sqrt(2*math.Pi)
			dx[i] = T(float64(dy[i]) * (cdf + xv*pdf))
		}
	}
}

func init() {
	for _, t := range []LayerType{
		{Name: "leakyrelu", Torch: "LeakyReLU", Doc: "x if x > 0, else slope·x (torch.nn.LeakyReLU)",
			Args: []LayerArg{FloatArg("slope", "negative_slope", 0.01)}},
		{Name: "silu", Torch: "SiLU", Doc: "x·σ(x) (torch.nn.SiLU)"},
		{Name: "tanh", Torch: "Tanh", Doc: "tanh(x) (torch.nn.Tanh)"},
		{Name: "elu", Torch: "ELU", Doc: "x if x > 0, else alpha·(exp(x) − 1) (torch.nn.ELU)",
			Args: []LayerArg{FloatArg("alpha", "alpha", 1.0)}},
		{Name: "softplus", Torch: "Softplus", Doc: "log(1 + exp(x)), x above 20 (torch.nn.Softplus)",
			Fixed: map[string]any{"beta": 1.0, "threshold": 20.0}},
		{Name: "gelu", Torch: "GELU", Doc: "x·Φ(x), Φ the normal CDF, exact (torch.nn.GELU)",
			Fixed: map[string]any{"approximate": "none"}},
	} {
		kind, err := ParseActivation(t.Name)
		if err != nil {
			panic(err)
		}
		t.Build32, t.Build64 = buildActivation[float32](kind), buildActivation[float64](kind)
		RegisterLayer(t)
	}
}

// leakySpec is the spec of a LeakyReLU layer of the given negative slope.
func leakySpec(slope float64) LayerSpec {
	return LayerSpec{Type: "leakyrelu", Settings: map[string]float64{"slope": slope}}
}

// buildActivation returns the builder of an activation layer of the given kind; the shape
// is unchanged.
func buildActivation[T Float](kind ActivationKind) func(LayerSpec, Shape) (Layer[T], Shape, error) {
	return func(s LayerSpec, in Shape) (Layer[T], Shape, error) {
		return Activation[T]{Kind: kind, Size: in.Size(), Slope: s.Setting("slope"), Alpha: s.Setting("alpha")}, in, nil
	}
}
